"""What a writer is: the provider-specific part of article generation.

Three writers fill the same protocol: `GroqWriter` (`groq_writer.py`: structured outputs through
the shared LLM runner), `LocalWriter` (`local_writer.py`: extractive, offline, with MiniLM) and
none (the `none` provider writes nothing). Research, polish, claims and scores are the same code
whatever the writer: they are computations, not generations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from enrichment_assets.lib.articles.records import ChosenSource, Outline, OutlineSection

T = TypeVar("T")


@dataclass
class StageUsage:
    """What a stage's calls cost; zero for the local writer (it calls no one)."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: int = 0  # answers taken from the LLM cache, not paid again

    def add(self, other: StageUsage) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.cached += other.cached


@dataclass
class StageAnswer(Generic[T]):
    value: T
    usage: StageUsage = field(default_factory=StageUsage)


class StageFailed(Exception):
    """A stage could not get an answer. `kind` says what to do about it:
    `transient` (timeouts, 5xx, 429 after the limiter's waits: retry the stage later),
    `auth` (a refused key: stop, no retry), `budget` (a cost cap reached: stop, no retry),
    `invalid` (the answer stayed invalid after the corrective retry: stop, no retry)."""

    def __init__(self, kind: str, message: str, usage: StageUsage | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.usage = usage or StageUsage()

    @property
    def retryable(self) -> bool:
        return self.kind == "transient"


class Writer(Protocol):
    provider: str
    model: str

    def outline(
        self, topic: str, keywords: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[Outline]:
        """A title and sections, each with the numbers of the sources it is written from."""
        ...

    def draft(
        self, topic: str, section: OutlineSection, sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        """The section's body in markdown (no heading), every factual sentence ending in `[n]`
        citations of the section's own sources; `sources` are exactly those."""
        ...

    def lead(
        self, topic: str, title: str, bodies: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        """One or two opening sentences for the article, cited like the body."""
        ...
