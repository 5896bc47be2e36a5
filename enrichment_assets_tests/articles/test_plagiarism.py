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


def test_a_title_or_heading_in_a_sources_words_is_not_copying():
    article = "# Rescue teams said 80,000 people were displaced\n\n## By the floods on Sunday\n\n"
    article += "The wire reports that many left home [1]."
    run, _, total = longest_copied_run(article, SOURCE)
    assert (run, total) == (1, 7)
    assert plagiarism(article.replace("# ", "", 1), SOURCE).score > 5  # as prose it counts
