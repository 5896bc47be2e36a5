from enrichment_assets.lib.articles.plagiarism import (
    longest_common_run,
    longest_copied_run,
    plagiarism,
)
from enrichment_assets_tests.articles.fixtures import HONEST, TEXTS

SOURCE = {1: "Rescue teams said 80,000 people were displaced by the floods on Sunday."}
FILLER = " ".join(["Officials will meet again next week to discuss the response."] * 10)


def test_longest_common_run():
    assert longest_common_run(list("abcdx"), list("zabcycdx")) == 3
    assert longest_common_run([], ["a"]) == 0


def test_a_copied_sentence_without_quotation_marks_fails():
    copied = "Rescue teams said 80,000 people were displaced by the floods on Sunday"
    article = f"{copied} [1]. {FILLER}"
    result = plagiarism(article, SOURCE)
    assert not result.passed
    assert "12 of" in result.reason and "from [1]" in result.reason


def test_the_same_sentence_quoted_passes_straight_or_curly():
    sentence = "Rescue teams said 80,000 people were displaced by the floods on Sunday."
    for quoted in (f'"{sentence}"', f"“{sentence}”"):
        result = plagiarism(f"The wire reports: {quoted} [1] {FILLER}", SOURCE)
        assert result.passed, result.reason


def test_a_quotation_breaks_a_run():
    article = 'Rescue teams said "80,000" people were displaced.'
    run, _, _ = longest_copied_run(article, SOURCE)
    assert run == 3  # "rescue teams said", "people were displaced": not one run of 7
    assert longest_copied_run(article.replace('"', ""), SOURCE)[0] == 7


def test_the_honest_article_passes_and_no_words_means_no_score():
    assert plagiarism(HONEST, TEXTS).passed
    result = plagiarism("", TEXTS)
    assert not result.passed and result.score is None


def test_a_short_shared_run_and_a_heading_are_not_copying():
    article = (
        "# Rescue teams said 80,000 people were displaced\n\nCrews said people were displaced."
    )
    run, _, total = longest_copied_run(article, SOURCE)
    assert run == 3 and total == 5  # the heading is not counted
    result = plagiarism(article, SOURCE)
    assert result.passed and result.score == 0.0, result.reason
    copied = "Teams said 80,000 people were displaced by floods."
    assert not plagiarism(copied, SOURCE).passed  # a run of 6 is copying
