import pytest

from enrichment_assets.lib.articles.readability import (
    flesch_reading_ease,
    readability,
    syllables,
)


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("the", 1),
        ("cat", 1),
        ("table", 2),
        ("jumped", 1),
        ("wanted", 2),
        ("people", 2),
        ("make", 1),
        ("analysis", 4),
        ("readability", 5),
        ("80,000", 1),
    ],
)
def test_syllables(word, count):
    assert syllables(word) == count


def test_short_plain_sentences_pass():
    result = readability("The cat sat on the mat [1]. The dog ran to the park. It was a fine day.")
    assert result.passed
    assert result.score == pytest.approx(116.5, abs=0.1)


def test_long_latinate_sentences_fail():
    text = (
        "Notwithstanding considerable institutional heterogeneity, intergovernmental "
        "administrative coordination mechanisms demonstrated substantially diminished "
        "organizational effectiveness throughout the evaluation."
    )
    result = readability(text)
    assert not result.passed
    assert result.score < 0
    assert "below 60" in result.reason


def test_citations_and_markdown_do_not_count_as_words():
    assert flesch_reading_ease("The cat sat [1, 2].") == flesch_reading_ease("The cat sat.")
    assert flesch_reading_ease("**The cat** sat.") == flesch_reading_ease("The cat sat.")


def test_no_words_means_no_score():
    result = readability("[1]")
    assert not result.passed and result.score is None
