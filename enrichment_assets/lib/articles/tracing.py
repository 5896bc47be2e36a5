"""Tracing: each atomic claim of an article, the source sentence behind it, and whether the
sources it cites hold every number, date and name it states (the rule of `facts_supported`,
claim by claim, so a reviewer sees which sentence of which source a claim rests on)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from enrichment_assets.lib.articles.claims import Claim, split_claims, unsupported_reason
from enrichment_assets.lib.articles.facts import (
    Facts,
    date_supported,
    facts,
    name_in,
    normalize_name,
)
from enrichment_assets.lib.articles.records import TracedClaim
from enrichment_assets.lib.articles.text import sentences, words

# Words too common to say two sentences speak of the same thing.
_COMMON = frozenset(
    re.findall(
        r"\S+",
        "a an the of in on at to by for from with and or as is are was were be been has have had "
        "that this these those it its their there said says say will would not no but he she they "
        "we i you",
    )
)


def source_sentences(text: str) -> list[str]:
    """The sentences of a source's text; a line break ends one too (a headline, a signature)."""
    return [found for line in text.splitlines() for found in sentences(line) if found.strip()]


def _shared_facts(stated: Facts, sentence: str) -> int:
    found = facts(sentence)
    normalized = normalize_name(sentence)
    return (
        len(stated.numbers & found.numbers)
        + sum(1 for date in stated.dates if date_supported(date, found.dates))
        + sum(1 for name in stated.names if name_in(name, normalized))
    )


def _content_words(text: str) -> set[str]:
    return {word for word in words(text) if word not in _COMMON}


def supporting_span(claim: Claim, texts: Mapping[int, str]) -> tuple[int, str] | None:
    """(source number, sentence) of the cited, stored source sentence that shares the most
    facts with the claim, then the most words; None when no cited source shares anything."""
    stated = claim.facts
    claimed = _content_words(claim.text)
    best: tuple[tuple[int, int], int, str] | None = None
    for n in claim.citations:
        if n not in texts:
            continue
        for sentence in source_sentences(texts[n]):
            overlap = (_shared_facts(stated, sentence), len(claimed & _content_words(sentence)))
            if overlap > (0, 0) and (best is None or overlap > best[0]):
                best = (overlap, n, sentence)
    return (best[1], best[2]) if best else None


def trace_claims(
    markdown: str, texts: Mapping[int, str], *, channels: Mapping[int, str] | None = None
) -> list[TracedClaim]:
    """Every claim of the article in reading order (position from 0), with its best supporting
    span (see `supporting_span`: given whenever a cited source shares something with the claim,
    also for an unsupported claim, so the reviewer sees what the source says instead).
    `supported` follows `unsupported_reason`: every number, date and name of the claim is in a
    cited source (or, for a name, a cited source's channel, when `channels` is given); a claim
    without facts needs only to cite sources that exist. `reason` says what is missing."""
    traced = []
    for position, claim in enumerate(split_claims(markdown)):
        reason = unsupported_reason(claim, texts, channels)
        span = supporting_span(claim, texts)
        traced.append(
            TracedClaim(
                position=position,
                text=claim.text,
                citations=claim.citations,
                source_n=span[0] if span else None,
                span=span[1] if span else None,
                supported=reason is None,
                reason=reason,
            )
        )
    return traced
