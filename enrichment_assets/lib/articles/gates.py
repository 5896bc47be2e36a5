"""All the gates on one article, each one's verdict whatever the others say."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from enrichment_assets.lib.articles import bias as bias_gates
from enrichment_assets.lib.articles.citations import NAME as CITATIONS_RESOLVE
from enrichment_assets.lib.articles.citations import citations, citations_resolve
from enrichment_assets.lib.articles.claims import (
    FACTS_SUPPORTED,
    FACTS_THRESHOLD,
    NO_CONTRADICTED_CLAIMS,
    facts_supported,
    no_contradicted_claims,
    split_claims,
)
from enrichment_assets.lib.articles.plagiarism import PLAGIARISM, PLAGIARISM_THRESHOLD, plagiarism
from enrichment_assets.lib.articles.readability import (
    READABILITY,
    READABILITY_THRESHOLD,
    readability,
)
from enrichment_assets.lib.articles.records import GateResult, Source

GATES = (
    CITATIONS_RESOLVE,
    FACTS_SUPPORTED,
    NO_CONTRADICTED_CLAIMS,
    bias_gates.BIAS,
    bias_gates.PERSPECTIVE_BALANCE,
    READABILITY,
    PLAGIARISM,
)
_THRESHOLDS = {
    CITATIONS_RESOLVE: 0.0,
    FACTS_SUPPORTED: FACTS_THRESHOLD,
    NO_CONTRADICTED_CLAIMS: 0.0,
    bias_gates.BIAS: bias_gates.BIAS_THRESHOLD,
    bias_gates.PERSPECTIVE_BALANCE: bias_gates.MAX_CHANNEL_SHARE,
    READABILITY: READABILITY_THRESHOLD,
    PLAGIARISM: PLAGIARISM_THRESHOLD,
}


def _guarded(name: str, compute: Callable[[], GateResult]) -> GateResult:
    """A gate that raises has no score, so it fails; it never takes the others down with it."""
    try:
        return compute()
    except Exception as error:
        return GateResult.no_score(name, _THRESHOLDS[name], f"{type(error).__name__}: {error}")


def run_gates(
    article_markdown: str, sources: Iterable[Source | tuple[int, str, str]]
) -> list[GateResult]:
    """Every gate on one article, in the order of `GATES`, with the legacy thresholds. A source
    is (n, channel, text). Perspective balance counts the stored sources the article cites; a
    name in a claim may be its cited source's channel ("World Brief Daily reports: ...")."""
    stored = [Source(*source) for source in sources]
    texts = {source.n: source.text for source in stored}
    channel_of = {source.n: source.channel for source in stored}
    claims = split_claims(article_markdown)
    made = dict.fromkeys(citations(article_markdown))
    return [
        _guarded(CITATIONS_RESOLVE, lambda: citations_resolve(article_markdown, texts)),
        _guarded(FACTS_SUPPORTED, lambda: facts_supported(claims, texts, channels=channel_of)),
        _guarded(NO_CONTRADICTED_CLAIMS, lambda: no_contradicted_claims(claims, texts)),
        _guarded(bias_gates.BIAS, lambda: bias_gates.bias(article_markdown)),
        _guarded(
            bias_gates.PERSPECTIVE_BALANCE,
            lambda: bias_gates.perspective_balance([channel_of[n] for n in made if n in texts]),
        ),
        _guarded(READABILITY, lambda: readability(article_markdown)),
        _guarded(PLAGIARISM, lambda: plagiarism(article_markdown, texts)),
    ]
