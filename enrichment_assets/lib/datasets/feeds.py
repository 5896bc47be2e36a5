"""Walking a newest-first listing (Hugging Face by lastModified, Kaggle by update time) down to
a watermark, within a window and a budget.

A window is what one run owes: entries modified in [lower, upper). `upper` is the end of the
run's partition (entries modified later belong to a later partition and are skipped); `lower`
is the start of the partition, or the watermark when that is older (a missed day is caught up),
or None on the very first run (the newest `limit` entries then seed the catalog). The walk stops
at the first entry older than `lower`: the listing is sorted, so nothing below it is new.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from enrichment_assets.lib.datasets.records import DatasetRecord


@dataclass(frozen=True)
class Window:
    lower: datetime | None
    upper: datetime


def window_for(start: datetime, end: datetime, watermark: datetime | None) -> Window:
    """The window of a run over partitions [start, end) given the stored watermark."""
    if watermark is None:
        return Window(None, end)
    return Window(min(start, watermark), end)


@dataclass
class FeedWalk:
    """Iterate `records()`; then `reached_lower`, `stopped_by`, `skipped_newer`, `oldest`."""

    entries: Iterable[DatasetRecord]
    window: Window
    limit: int
    max_scanned: int

    def __post_init__(self) -> None:
        self.scanned = 0
        self.taken = 0
        self.skipped_newer = 0
        self.skipped_undated = 0
        self.oldest: datetime | None = None
        self.reached_lower = False
        self.stopped_by: str | None = None  # "watermark" | "end" | "limit" | "scan budget"

    def records(self) -> Iterator[DatasetRecord]:
        for record in self.entries:
            self.scanned += 1
            modified = record.source_modified_at
            if modified is None:
                self.skipped_undated += 1
            elif modified >= self.window.upper:
                self.skipped_newer += 1
            elif self.window.lower is not None and modified < self.window.lower:
                self.reached_lower = True
                self.stopped_by = "watermark"
                return
            else:
                self.oldest = modified
                self.taken += 1
                yield record
                if self.taken >= self.limit:
                    self.stopped_by = "limit"
                    return
            if self.scanned >= self.max_scanned:
                self.stopped_by = "scan budget"
                return
        self.reached_lower = True  # the listing ended: nothing older exists
        self.stopped_by = "end"

    def gap(self) -> tuple[datetime | None, datetime] | None:
        """What the window still owes when the walk stopped early: [lower, oldest taken)."""
        if self.reached_lower or self.window.lower is None:
            return None
        return (self.window.lower, self.oldest or self.window.upper)
