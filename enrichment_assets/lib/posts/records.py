"""What every parser yields: channels and posts in one shape, whatever the source format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class MalformedFile(Exception):
    """The file cannot be read as its format says (bad JSON, truncated, wrong encoding, unknown
    shape). The whole file is quarantined; nothing of it is written."""


@dataclass(frozen=True, slots=True)
class Channel:
    source: str  # telegram | feed | jsonl
    handle: str
    title: str | None = None
    url: str | None = None


@dataclass(slots=True)
class Post:
    channel: Channel
    external_id: str
    published_at: datetime  # timezone-aware UTC
    text: str
    urls: list[str] = field(default_factory=list)
    url: str | None = None
    author: str | None = None


@dataclass(slots=True)
class ReadStats:
    """What a parser passed over, and why: a post is never skipped silently."""

    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def warn(self, message: str) -> None:
        if len(self.warnings) < 20:  # a file full of one problem must not flood the metadata
            self.warnings.append(message)
