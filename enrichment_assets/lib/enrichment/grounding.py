"""Grounded tags: every tag must appear in the post's text, after the same normalisation.

The strict prompt asks for it; this enforces it. A tag that is not a substring of the
normalised text (an invented, translated or paraphrased one) is dropped and counted.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

_WHITESPACE = re.compile(r"\s+")
_EDGE_PUNCTUATION = "#@\"'«»“”‘’`.,;:!?()[]{}<>"


def normalize_for_grounding(text: str) -> str:
    """NFKC, casefolded, whitespace collapsed: how both the text and a tag are compared."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def clean_tag(tag: str) -> str:
    """The tag as stored: trimmed of hashtag signs and surrounding punctuation, lower case."""
    return normalize_for_grounding(tag).strip(_EDGE_PUNCTUATION + " ")


@dataclass(frozen=True)
class GroundedTags:
    tags: list[str]
    dropped: list[str]


def ground_tags(tags: list[str], text: str, limit: int = 10) -> GroundedTags:
    """Keep the tags found in `text` (normalised, deduplicated, at most `limit`)."""
    haystack = normalize_for_grounding(text)
    kept: list[str] = []
    dropped: list[str] = []
    for raw in tags:
        tag = clean_tag(raw)
        if not tag or tag in kept:
            continue
        if tag in haystack and len(kept) < limit:
            kept.append(tag)
        elif tag not in haystack:
            dropped.append(raw)
    return GroundedTags(tags=kept, dropped=dropped)


def tags_hash(tags: list[str]) -> str:
    """Order-insensitive hash of a tag set: the row is rewritten only when it changes."""
    joined = "\x1f".join(sorted(set(tags)))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()
