"""What the gates take and give: a source an article may cite, and one gate's verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple


class Source(NamedTuple):
    """A stored source: the number an article cites it by, its channel, and its text."""

    n: int
    channel: str
    text: str


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict. A gate without a score never passes: constructing one that claims to
    is an error, so a missing score can never count as a pass (the legacy's weak point)."""

    name: str
    passed: bool
    score: float | None
    threshold: float | None
    reason: str

    def __post_init__(self) -> None:
        if self.passed and (self.score is None or math.isnan(self.score)):
            raise ValueError(f"gate {self.name!r} cannot pass without a score")

    @classmethod
    def no_score(cls, name: str, threshold: float | None, why: str) -> GateResult:
        """The verdict of a gate whose score cannot be computed: failed, reason "no score: ..."."""
        return cls(name, False, None, threshold, f"no score: {why}")


# --- what the stages pass on ----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A text research may choose: a post, or a page a post links to."""

    kind: str  # post | page
    channel: str  # the post's channel title; for a page, the host it was fetched from
    text: str
    post_id: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class ChosenSource:
    """A source research chose, numbered from 1 in rank order; `score` is its relevance."""

    n: int
    kind: str
    channel: str
    text: str
    score: float
    post_id: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class OutlineSection:
    """One section to write: its heading and the numbers of the only sources it may use."""

    heading: str
    sources: tuple[int, ...]


@dataclass(frozen=True)
class Outline:
    title: str
    sections: tuple[OutlineSection, ...]


@dataclass(frozen=True)
class Polished:
    """The finished article: title, markdown (ending in its "## Sources" list) and how research's
    numbers map to the article's (`numbering[research_n] = article_n`, cited sources only)."""

    title: str
    markdown: str
    numbering: dict[int, int]


@dataclass(frozen=True)
class TracedClaim:
    """One atomic claim, the source that supports it best and the span of that source's text
    that does (None when no cited source supports it), with the reason when unsupported."""

    position: int
    text: str
    citations: tuple[int, ...]
    source_n: int | None
    span: str | None
    supported: bool
    reason: str | None = None
