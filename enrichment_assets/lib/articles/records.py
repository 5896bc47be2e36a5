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
