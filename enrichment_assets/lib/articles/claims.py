"""Claims: an article cut into atomic claims, each with its citations, and the two gates that
hold every claim to the sources it cites (in the spirit of FActScore, without an LLM judge).

A claim is a sentence, cut further at ";" and at "and" where both sides state a fact. A part of
a sentence without a citation of its own takes the citations that close the sentence: "A rose to
5; B fell to 3 [2]" cites [2] for both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from enrichment_assets.lib.articles.facts import (
    Facts,
    date_supported,
    facts,
    name_in,
    normalize_name,
    numbers_in_context,
)
from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets.lib.articles.text import cited, plain, sentences, strip_citations

__all__ = [
    "Claim",
    "facts",
    "facts_supported",
    "no_contradicted_claims",
    "split_claims",
    "unsupported_reason",
]

FACTS_SUPPORTED = "facts_supported"
NO_CONTRADICTED_CLAIMS = "no_contradicted_claims"
FACTS_THRESHOLD = 80.0  # legacy: a fact-check score of at least 80 out of 100
_SHOWN = 3  # claims named in a reason
_AND = re.compile(r",?\s+and\s+")


@dataclass(frozen=True)
class Claim:
    text: str  # without its citations
    citations: tuple[int, ...]  # distinct, in reading order

    @property
    def facts(self) -> Facts:
        return facts(self.text)


def _parts(sentence: str) -> list[str]:
    parts = []
    for piece in sentence.split(";"):
        pending = ""
        for chunk in _AND.split(piece):
            if pending and facts(strip_citations(pending)) and facts(strip_citations(chunk)):
                parts.append(pending)
                pending = chunk
            else:
                pending = f"{pending} and {chunk}" if pending else chunk
        parts.append(pending)
    return [part.strip() for part in parts if strip_citations(part).strip(" .,:")]


def split_claims(markdown: str) -> list[Claim]:
    """The article's atomic claims, in reading order (headings and the source list aside)."""
    claims = []
    for sentence in sentences(plain(markdown, headings=False)):
        parts = _parts(sentence)
        closing: tuple[int, ...] = ()
        for part in reversed(parts):
            if cited(part):
                closing = tuple(dict.fromkeys(cited(part)))
                break
        for part in parts:
            own = tuple(dict.fromkeys(cited(part)))
            claims.append(Claim(strip_citations(part), own or closing))
    return claims


def unsupported_reason(
    claim: Claim, sources: Mapping[int, str], channels: Mapping[int, str] | None = None
) -> str | None:
    """What keeps `claim` from being supported, or None when every fact is in a cited source.

    `channels` (source number -> channel title), when given, also supports a name that is part
    of a cited source's channel: "World Brief Daily reports: “...” [1]" names the channel that
    published [1], which the stored source proves though its text never says so."""
    if not claim.citations:
        return "cites nothing"
    absent = [n for n in claim.citations if n not in sources]
    if absent:
        return "cites " + ", ".join(f"[{n}]" for n in absent) + ", which does not exist"
    stated = claim.facts
    texts = [sources[n] for n in claim.citations]
    source_facts = [facts(text) for text in texts]
    normalized = [normalize_name(text) for text in texts]
    normalized += [
        normalize_name(channels[n].replace("_", " "))
        for n in claim.citations
        if channels and channels.get(n)
    ]
    cited_as = ", ".join(f"[{n}]" for n in claim.citations)
    missing = [n for n in sorted(stated.numbers) if not any(n in f.numbers for f in source_facts)]
    missing += [
        d.removeprefix("-")
        for d in sorted(stated.dates)
        if not any(date_supported(d, f.dates) for f in source_facts)
    ]
    missing += [n for n in sorted(stated.names) if not any(name_in(n, t) for t in normalized)]
    if missing:
        return f"{', '.join(missing)} not in {cited_as}"
    return None


def facts_supported(
    claims: Sequence[Claim],
    sources: Mapping[int, str],
    threshold: float = FACTS_THRESHOLD,
    channels: Mapping[int, str] | None = None,
) -> GateResult:
    """The share (0-100) of fact-bearing claims whose every number, date and name appears in at
    least one cited source (a name may also be a cited source's channel, see
    `unsupported_reason`). A claim citing nothing, or a source that is not stored, is
    unsupported. Passes at `threshold` or above; with no fact-bearing claim there is no score."""
    bearing = [claim for claim in claims if claim.facts]
    if not bearing:
        return GateResult.no_score(
            FACTS_SUPPORTED, threshold, "no claim states a number, date or name"
        )
    unsupported = [
        (claim, why) for claim in bearing if (why := unsupported_reason(claim, sources, channels))
    ]
    score = round(100.0 * (len(bearing) - len(unsupported)) / len(bearing), 1)
    reason = f"{len(bearing) - len(unsupported)} of {len(bearing)} fact-bearing claims supported"
    if unsupported:
        shown = "; ".join(f"{_quote(claim)}: {why}" for claim, why in unsupported[:_SHOWN])
        more = len(unsupported) - _SHOWN
        reason += f"; unsupported: {shown}" + (f"; and {more} more" if more > 0 else "")
    return GateResult(FACTS_SUPPORTED, score >= threshold, score, threshold, reason)


def _quote(claim: Claim, width: int = 60) -> str:
    text = claim.text if len(claim.text) <= width else claim.text[: width - 1] + "…"
    return f'"{text}"'


def contradictions(claim: Claim, sources: Mapping[int, str]) -> list[str]:
    """Each number of `claim` that a cited source gives otherwise for the same thing: the source
    states numbers sharing a context word with the claim's number, and none of them equals it."""
    found = []
    for key, context in numbers_in_context(claim.text):
        if not context:
            continue
        for n in claim.citations:
            if n not in sources:
                continue
            stated = [(k, c) for k, c in numbers_in_context(sources[n]) if c & context]
            if stated and key not in {k for k, _ in stated}:
                word = sorted(context & stated[0][1])[0]
                found.append(f"{key} {word}, but [{n}] says {stated[0][0]} {word}")
                break
    return found


def no_contradicted_claims(claims: Sequence[Claim], sources: Mapping[int, str]) -> GateResult:
    """Passes only when no claim states a number its cited source gives otherwise ("120,000
    displaced" where the source says "80,000 displaced"). The score is the count of contradicted
    claims (threshold 0); an article without claims has no score."""
    if not claims:
        return GateResult.no_score(NO_CONTRADICTED_CLAIMS, 0.0, "the article makes no claim")
    contradicted = [(claim, found) for claim in claims if (found := contradictions(claim, sources))]
    if not contradicted:
        return GateResult(
            NO_CONTRADICTED_CLAIMS, True, 0.0, 0.0, f"none of {len(claims)} claims contradicted"
        )
    shown = "; ".join(f"{_quote(c)}: {', '.join(f)}" for c, f in contradicted[:_SHOWN])
    more = len(contradicted) - _SHOWN
    reason = f"{len(contradicted)} contradicted: {shown}" + (
        f"; and {more} more" if more > 0 else ""
    )
    return GateResult(NO_CONTRADICTED_CLAIMS, False, float(len(contradicted)), 0.0, reason)
