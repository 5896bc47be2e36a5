"""Plagiarism: the longest run of words an article copies from one source outside quotation
marks, as a share of the article's words. Quoting is allowed (the offline writer quotes its
sources on purpose, with attribution); a quotation, straight ("...") or curly (“...”), breaks a
run, so words inside it never count. Headings do not count either: the title is the topic
someone asked for, and a topic ("Floods in Rio Grande do Sul") is often a source's own words."""

from __future__ import annotations

from collections.abc import Mapping

from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets.lib.articles.text import plain, unquoted, words

PLAGIARISM = "plagiarism"
PLAGIARISM_THRESHOLD = 5.0  # percent of the article's words, in one unquoted run


def longest_common_run(article: list[str], source: list[str]) -> int:
    """The length of the longest run of consecutive words both lists share."""
    positions: dict[str, list[int]] = {}
    for index, word in enumerate(source):
        positions.setdefault(word, []).append(index)
    best, previous = 0, {}
    for word in article:
        current = {j: previous.get(j - 1, 0) + 1 for j in positions.get(word, ())}
        if current:
            best = max(best, *current.values())
        previous = current
    return best


def longest_copied_run(markdown: str, sources: Mapping[int, str]) -> tuple[int, int | None, int]:
    """(longest unquoted run copied from one source, that source's number, article words)."""
    prose = plain(markdown, headings=False)
    stretches = [words(stretch) for stretch in unquoted(prose)]
    best, best_n = 0, None
    for n, text in sources.items():
        source_words = words(text)
        for stretch in stretches:
            run = longest_common_run(stretch, source_words)
            if run > best:
                best, best_n = run, n
    return best, best_n, len(words(prose))


def plagiarism(
    markdown: str, sources: Mapping[int, str], threshold: float = PLAGIARISM_THRESHOLD
) -> GateResult:
    """Passes when the longest unquoted copied run is under `threshold` percent of the words."""
    run, n, total = longest_copied_run(markdown, sources)
    if not total:
        return GateResult.no_score(PLAGIARISM, threshold, "the article has no words")
    share = round(100.0 * run / total, 1)
    where = f" from [{n}]" if n is not None else ""
    reason = f"longest unquoted copied run: {run} of {total} words ({share}%){where}"
    return GateResult(PLAGIARISM, share < threshold, share, threshold, reason)
