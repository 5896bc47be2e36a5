import numpy as np
import pytest

from enrichment_assets.lib.articles.records import Candidate, ChosenSource
from enrichment_assets.lib.articles.research import (
    KEYWORD_BONUS,
    keyword_hits,
    rank_sources,
    too_few_sources,
)
from enrichment_assets_tests.articles.stories import (
    ELSEWHERE,
    FLOODS,
    FLOODS_TOPIC,
    KEYWORDS,
    RATES,
    TOPIC,
)

DIMENSIONS = 32
TOPIC_VECTOR = np.eye(DIMENSIONS, dtype=np.float32)[0]


def _at(cosine: float, axis: int) -> np.ndarray:
    """A unit vector at `cosine` to the topic, off-topic along its own `axis`."""
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[0] = cosine
    vector[axis] = np.sqrt(1.0 - cosine**2)
    return vector


def _rank(rows, max_below_best=None, **options):
    """rows: (channel, text, cosine); each text gets its own off-topic axis unless repeated."""
    candidates = [
        Candidate("post", channel, text, post_id=i) for i, (channel, text, _) in enumerate(rows)
    ]
    axes: dict[str, int] = {}
    vectors = np.stack(
        [_at(cosine, axes.setdefault(text, len(axes) + 1)) for _, text, cosine in rows]
    )
    return rank_sources(TOPIC_VECTOR, candidates, vectors, max_below_best=max_below_best, **options)


def _picked(sources):
    return [(s.n, s.channel, s.text) for s in sources]


def test_no_channel_holds_more_than_its_share_and_channels_take_turns():
    rows = [
        ("A", "a1", 0.95),
        ("A", "a2", 0.94),
        ("A", "a3", 0.93),
        ("A", "a4", 0.92),
        ("B", "b1", 0.80),
        ("B", "b2", 0.79),
        ("C", "c1", 0.60),
    ]
    sources = _rank(rows)
    assert _picked(sources) == [
        (1, "A", "a1"),
        (2, "B", "b1"),
        (3, "C", "c1"),
        (4, "A", "a2"),
        (5, "B", "b2"),
    ]
    assert [s.channel for s in _rank(rows, max_per_channel=1)] == ["A", "B", "C"]
    assert len(_rank(rows, max_per_channel=4)) == 7
    assert [s.text for s in _rank(rows, max_sources=2)] == ["a1", "b1"]


def test_candidates_below_the_similarity_floor_are_dropped():
    rows = [("A", "close", 0.5), ("B", "far", 0.29), ("C", "unrelated", -0.2)]
    assert [s.text for s in _rank(rows)] == ["close"]
    assert [s.text for s in _rank(rows, min_similarity=0.2)] == ["close", "far"]


def test_a_source_far_below_the_best_is_another_story():
    rows = [
        ("A", "the match", 0.9),
        ("B", "the match again", 0.8),
        ("C", "same club, other day", 0.6),
    ]
    assert [s.text for s in _rank(rows, max_below_best=0.25)] == ["the match", "the match again"]
    assert len(_rank(rows)) == 3  # without the relative floor the 0.6 one is in


def test_a_copied_text_is_kept_once_from_a_channel_not_yet_chosen():
    rows = [
        ("A", "The bank held rates.", 0.9),
        ("A", "Markets bet on a June cut.", 0.8),
        ("B", "markets  bet on a JUNE cut!", 0.8),  # the same text, another channel
        ("B", "The euro slid.", 0.5),
    ]
    sources = _rank(rows)
    assert _picked(sources) == [
        (1, "A", "The bank held rates."),
        (2, "B", "markets  bet on a JUNE cut!"),
        (3, "B", "The euro slid."),
    ]


def test_of_two_near_identical_texts_the_better_scoring_is_kept():
    candidates = [
        Candidate("post", "A", "held at 3.75%"),
        Candidate("post", "B", "held: 3.75% link"),
    ]
    same = np.stack([_at(0.6, 1), _at(0.6, 1)])  # a copy with a link added embeds alike
    sources = rank_sources(TOPIC_VECTOR, candidates, same, keywords=["link"])
    assert [s.text for s in sources] == ["held: 3.75% link"]  # the keyword made it better
    assert len(rank_sources(TOPIC_VECTOR, candidates, np.stack([_at(0.6, 1), _at(0.6, 2)]))) == 2


def test_keywords_add_a_small_bonus_for_whole_words_only():
    assert keyword_hits("The ECB held its rates.", ["ecb", "Rates", "rate", "held its"]) == 3
    assert keyword_hits("ECBs and grates", ["ecb", "rates"]) == 0
    rows = [("A", "about the bank", 0.70), ("B", "about the ECB", 0.68)]
    assert [s.text for s in _rank(rows)] == ["about the bank", "about the ECB"]
    ranked = _rank(rows, keywords=["ecb"])
    assert [s.text for s in ranked] == ["about the ECB", "about the bank"]
    assert ranked[0].score == pytest.approx(0.68 + KEYWORD_BONUS, abs=1e-4)
    # A keyword never lifts a text under the floor.
    assert _rank([("A", "the ECB", 0.2)], keywords=["ecb"]) == []


def test_nothing_to_rank_gives_nothing():
    assert rank_sources(TOPIC_VECTOR, [], np.zeros((0, DIMENSIONS))) == []


def test_the_chosen_keep_what_the_article_needs_to_cite_them():
    candidates = [Candidate("page", "host.example", "text", url="https://host.example/a")]
    [source] = rank_sources(TOPIC_VECTOR, candidates, _at(0.9, 1)[None, :])
    assert source == ChosenSource(
        1, "page", "host.example", "text", 0.9, None, "https://host.example/a"
    )


def test_with_real_embeddings_the_story_is_found_and_the_rest_left_out(encode):
    candidates = [*ELSEWHERE, *RATES, RATES[1]]  # a copy of one post too
    vectors = encode([c.text for c in candidates])
    topic = encode([TOPIC])[0]
    sources = rank_sources(topic, candidates, vectors, KEYWORDS)
    assert {s.text for s in sources} == {c.text for c in RATES}
    assert [s.n for s in sources] == list(range(1, len(RATES) + 1))
    scores = [s.score for s in sources]
    assert scores[:4] == sorted(scores[:4], reverse=True)  # the first of each channel, best first
    assert sources[-1].channel == "World Brief Daily"  # its second post comes last


def test_too_few_sources_says_how_many_from_how_many_channels():
    def of(*channels):
        return [ChosenSource(n, "post", ch, "t", 1.0) for n, ch in enumerate(channels, 1)]

    assert too_few_sources(of("A", "A")) == "2 sources from 1 channel"
    assert too_few_sources(of("A", "A", "A")) == "3 sources from 1 channel"
    assert too_few_sources(of("A", "B")) == "2 sources from 2 channels"
    assert too_few_sources([]) == "0 sources from 0 channels"
    assert too_few_sources(of("A", "B", "A")) is None
    assert too_few_sources(of("A", "B"), min_sources=2) is None


def test_a_story_one_channel_tells_gives_too_few_sources(encode):
    candidates = [*FLOODS, *RATES]
    sources = rank_sources(
        encode([FLOODS_TOPIC])[0], candidates, encode([c.text for c in candidates])
    )
    assert [s.channel for s in sources] == ["Science Health Review"] * 2  # at most 2 per channel
    assert too_few_sources(sources) == "2 sources from 1 channel"
