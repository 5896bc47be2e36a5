import re

import numpy as np
import pytest

from enrichment_assets.lib.articles.gates import GATES, run_gates
from enrichment_assets.lib.articles.local_writer import LocalWriter, quotable
from enrichment_assets.lib.articles.polish import article_sources, polish
from enrichment_assets.lib.articles.readability import flesch_reading_ease
from enrichment_assets.lib.articles.records import ChosenSource, OutlineSection
from enrichment_assets.lib.articles.research import rank_sources
from enrichment_assets.lib.articles.text import body, plain, sentences
from enrichment_assets.lib.articles.writers import StageUsage
from enrichment_assets_tests.articles.stories import (
    ELSEWHERE,
    FLOODS,
    FLOODS_TOPIC,
    KEYWORDS,
    RATES,
    TOPIC,
    chosen,
)

# `Channel verb: “verbatim sentence” [n]`, the only kind of sentence the writer writes.
ATTRIBUTED = re.compile(
    r"^(?P<channel>.+) (?:reports|says|writes|adds): “(?P<quote>[^”]+)” \[(?P<n>\d+)\]$"
)


@pytest.fixture(scope="module")
def writer(encode):
    return LocalWriter(encode, "all-MiniLM-L6-v2")


def write(writer, topic, sources):
    """Every stage as the pipeline runs them: outline, a draft per section, lead, polish."""
    outline = writer.outline(topic, KEYWORDS, sources).value
    bodies = [
        writer.draft(topic, section, [s for s in sources if s.n in section.sources]).value
        for section in outline.sections
    ]
    lead = writer.lead(topic, outline.title, bodies, sources).value
    sections = [(s.heading, b) for s, b in zip(outline.sections, bodies, strict=True)]
    polished = polish(outline.title, lead, sections, sources)
    return outline, polished, article_sources(polished, sources)


def gates_of(polished, cited):
    results = run_gates(polished.markdown, [(s.n, s.channel, s.text) for s in cited])
    return {result.name: result for result in results}


@pytest.fixture(scope="module")
def researched(encode):
    candidates = [*RATES, *ELSEWHERE]
    vectors = encode([c.text for c in candidates])
    return rank_sources(encode([TOPIC])[0], candidates, vectors, KEYWORDS)


def test_a_story_several_channels_tell_passes_every_gate(writer, researched):
    outline, polished, cited = write(writer, TOPIC, researched)
    results = gates_of(polished, cited)
    assert [name for name, result in results.items() if not result.passed] == []
    assert list(results) == list(GATES)
    assert results["readability"].score >= 60
    assert len({s.channel for s in cited}) >= 3
    assert outline.title == "ECB Holds Interest Rates"
    assert 1 <= len(outline.sections) <= 3


def test_every_sentence_is_a_verbatim_quotation_attributed_to_the_source_it_cites(
    writer, researched
):
    _, polished, cited = write(writer, TOPIC, researched)
    by_n = {source.n: source for source in cited}
    written = sentences(plain(polished.markdown, headings=False))
    assert len(written) >= 4
    for sentence in written:
        match = ATTRIBUTED.match(sentence)
        assert match, sentence
        source = by_n[int(match["n"])]
        assert match["channel"] == source.channel
        assert match["quote"] in " ".join(source.text.split())
    # The lead is the first sentence and is not said again further down.
    lead = ATTRIBUTED.match(written[0])["quote"]
    assert body(polished.markdown).count(lead) == 1


def test_the_outline_gives_each_source_to_one_section_and_drafts_use_only_their_own(
    writer, researched
):
    outline = writer.outline(TOPIC, KEYWORDS, researched).value
    numbers = [n for section in outline.sections for n in section.sources]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) <= {s.n for s in researched}
    section = outline.sections[0]
    text = writer.draft(TOPIC, section, researched).value  # given every source, uses its own
    assert {int(n) for n in re.findall(r"\[(\d+)\]", text)} <= set(section.sources)


def test_a_story_one_channel_tells_fails_perspective_balance_only(writer):
    _, polished, cited = write(writer, FLOODS_TOPIC, chosen(FLOODS))
    results = gates_of(polished, cited)
    assert [name for name, result in results.items() if not result.passed] == [
        "perspective_balance"
    ]
    assert "from 1 channel" in results["perspective_balance"].reason


def test_the_same_sources_give_the_same_article(encode, researched):
    first = write(LocalWriter(encode, "m"), TOPIC, researched)[1]
    again = write(LocalWriter(encode, "m"), TOPIC, list(reversed(researched)))[1]
    assert first.markdown == again.markdown


def test_the_writer_costs_nothing_and_names_its_encoder(writer, researched):
    answer = writer.outline(TOPIC, KEYWORDS, researched)
    assert (writer.provider, writer.model) == ("local", "all-MiniLM-L6-v2")
    assert answer.usage == StageUsage()


def _fake_encoder(vectors):
    def encode(texts):
        return np.stack([vectors[text] for text in texts]).astype(np.float32)

    return encode


def test_of_two_sentences_saying_the_same_the_readable_one_is_quoted():
    hard = (
        "The central bank kept its benchmark interest rate unchanged, citing persistent inflation."
    )
    easy = "The bank took a long time to make up its mind."
    other = "Traders bet on a cut in June."
    axis = np.eye(4, dtype=np.float32)
    vectors = {
        hard: axis[0],
        easy: (0.97 * axis[0] + 0.243 * axis[1]) / np.linalg.norm([0.97, 0.243]),
        other: (0.3 * axis[0] + 0.954 * axis[2]),  # less central than the hard one, even read
        "rates": axis[0],
    }
    assert flesch_reading_ease(hard) < 60 < flesch_reading_ease(easy)
    source = ChosenSource(1, "post", "Wire", f"{hard} {easy} {other}", 1.0, 1)
    text = LocalWriter(_fake_encoder(vectors), "fake").draft(
        "rates", OutlineSection("A", (1,)), [source]
    )
    expected = rf"Wire (reports|says|writes): “{re.escape(easy)}” \[1\] Wire adds: “{other}” \[1\]"
    assert re.fullmatch(expected, text.value), text.value


def test_only_whole_plain_sentences_are_quotable():
    source = ChosenSource(
        1,
        "post",
        "World Brief Daily",
        'Bank of Korea holds rates\nThe bank said "inflation is cooling" on Wednesday.\n'
        "Read more at https://news.example/a. Source: @globalwire. Too short. "
        "See the table [2] for details.",
        1.0,
    )
    assert [q.text for q in quotable([source])] == [
        "The bank said ‘inflation is cooling’ on Wednesday."
    ]
