"""One catalog entry, whichever hub it came from, and the identity of its content."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from enrichment_assets.lib.common.hashing import canonical_json
from enrichment_assets.storage.datasets import CONTENT_COLUMNS

HUGGINGFACE = "huggingface"
KAGGLE = "kaggle"

CONTENT_SEPARATOR = "\x1f"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(slots=True)
class DatasetRecord:
    source: str
    external_id: str
    title: str | None = None
    description: str | None = None
    url: str | None = None
    owner: str | None = None
    license: str | None = None
    tags: list[str] | None = None
    downloads: int | None = None
    likes: int | None = None
    source_created_at: datetime | None = None
    source_modified_at: datetime | None = None
    ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """What makes two fetches of one dataset "the same": every content column, in order,
        as text a columnar reader can write too (`meta_kaggle_arrow` hashes a whole batch so):
        None as "", numbers in decimal, times as epoch microseconds, JSON in canonical form."""
        text = CONTENT_SEPARATOR.join(
            (
                self.title or "",
                self.description or "",
                self.url or "",
                self.owner or "",
                self.license or "",
                canonical_json(self.tags) if self.tags is not None else "",
                _decimal(self.downloads),
                _decimal(self.likes),
                _epoch_micros(self.source_created_at),
                _epoch_micros(self.source_modified_at),
                self.ref or "",
                canonical_json(self.extra or {}),
            )
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def row(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in CONTENT_COLUMNS}
        values["source"] = self.source
        values["external_id"] = self.external_id
        values["content_hash"] = self.content_hash()
        return values


def _decimal(number: int | None) -> str:
    return "" if number is None else str(number)


def _epoch_micros(value: datetime | None) -> str:
    return "" if value is None else str((utc(value) - _EPOCH) // _MICROSECOND)


def utc(value: datetime | None) -> datetime | None:
    """A timezone-aware UTC datetime; naive values are taken to be UTC already."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None


_SPACES = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str | None) -> str | None:
    """Lines trimmed, spaces collapsed, at most one blank line in a row; None when empty.
    For titles and excerpts: markdown bodies keep their layout (see `strip_text`)."""
    if text is None:
        return None
    if "\n" not in text and "\t" not in text and "  " not in text:  # the common case, fast
        return text.strip() or None
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text or None


def strip_text(text: str | None) -> str | None:
    """Outer whitespace only: a markdown description's indentation and line breaks are its
    layout (code blocks, lists)."""
    if text is None:
        return None
    return text.strip() or None
