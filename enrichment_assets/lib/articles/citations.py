"""Citations: every `[n]` an article makes points at a stored source, and every source is cited."""

from __future__ import annotations

from collections.abc import Iterable

from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets.lib.articles.text import body, cited

NAME = "citations_resolve"


def citations(markdown: str) -> list[int]:
    """The numbers the article cites, in reading order, repeats kept: `[1]`, `[1, 3]` and
    `[2][4]` alike; the trailing list of sources, markdown links and footnotes `[^1]` aside."""
    return cited(body(markdown))


def _numbers(numbers: Iterable[int]) -> str:
    return ", ".join(f"[{n}]" for n in sorted(numbers))


def citations_resolve(markdown: str, source_numbers: Iterable[int]) -> GateResult:
    """Passes when the article cites something, every cited number is a stored source and every
    stored source is cited. The score is the count of dangling plus uncited numbers (0 passes)."""
    made = set(citations(markdown))
    stored = set(source_numbers)
    dangling, uncited = made - stored, stored - made
    problems = []
    if dangling:
        problems.append(f"cited but no such source: {_numbers(dangling)}")
    if uncited:
        problems.append(f"sources never cited: {_numbers(uncited)}")
    if not made:
        problems.insert(0, "the article cites nothing")
    score = len(dangling) + len(uncited)
    reason = "; ".join(problems) or f"{len(made)} sources cited, each stored"
    return GateResult(NAME, not problems, float(score), 0.0, reason)
