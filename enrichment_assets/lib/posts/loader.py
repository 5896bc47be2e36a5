"""Loading the landing folder into the database for a window of days.

A file is the unit of work: its posts in the window are written in one transaction, together
with the file's entry in `landing_files`. A file that turns out malformed half-way is rolled
back and quarantined (with the reason), and every other file still lands. A killed run leaves
each file either fully written or not at all, so running it again leaves every post once.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from enrichment_assets.lib.posts.landing import LandingFile, discover, read_posts
from enrichment_assets.lib.posts.records import MalformedFile, Post, ReadStats
from enrichment_assets.storage.posts import (
    PostWriter,
    count_posts_between,
    known_landing_files,
    record_landing_file,
)

PREVIEW_POSTS = 5


@dataclass(frozen=True)
class Window:
    """Days `first` … `last`, both included (a partition key range)."""

    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass
class FileOutcome:
    relative: str
    format: str
    status: str  # ingested | quarantined | not in window | still quarantined
    posts_in_window: int = 0
    note: str = ""


@dataclass
class IngestReport:
    window: Window
    files: list[FileOutcome] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)  # inserted | updated | unchanged
    per_channel: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # reason → count
    before_start: int = 0
    offered: int = 0  # distinct posts the files offer for the window
    stored: int = 0  # posts the database holds for the window afterwards
    preview: list[Post] = field(default_factory=list)

    @property
    def quarantined(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status in {"quarantined", "still quarantined"}]


def ingest_window(engine: Engine, root: Path, window: Window, start_date: date) -> IngestReport:
    report = IngestReport(window)
    offered: set[tuple[str, str, str]] = set()
    with engine.connect() as connection:
        known = known_landing_files(connection)
    for file in discover(root):
        previous = known.get(file.relative)
        unchanged = previous is not None and (previous.size, previous.mtime_ns) == (
            file.size,
            file.mtime_ns,
        )
        if unchanged and previous.status == "quarantined":
            report.files.append(FileOutcome(file.relative, file.format, "still quarantined",
                                            note=previous.error or ""))  # fmt: skip
            continue
        if unchanged and not _touches(previous.days or {}, window):
            report.files.append(FileOutcome(file.relative, file.format, "not in window"))
            continue
        report.files.append(_ingest_file(engine, file, window, start_date, report, offered))
    report.offered = len(offered)
    with engine.connect() as connection:
        report.stored = count_posts_between(connection, window.start, window.end)
    report.preview.sort(key=lambda post: post.published_at, reverse=True)
    del report.preview[PREVIEW_POSTS:]
    return report


def _touches(days: dict[str, int], window: Window) -> bool:
    return any(date.fromisoformat(day) in window for day in days)


def _ingest_file(
    engine: Engine,
    file: LandingFile,
    window: Window,
    start_date: date,
    report: IngestReport,
    offered: set,
) -> FileOutcome:
    stats = ReadStats()
    days: Counter = Counter()
    before_start = 0
    in_window: list = []  # heap of (published_at, id, post)
    # Merged into the report only once the file has committed: a quarantined file offers nothing.
    file_offered: set[tuple[str, str, str]] = set()
    file_channels: Counter = Counter()
    try:
        with engine.begin() as connection:
            writer = PostWriter(connection, source_file=file.relative)
            for post in read_posts(file, stats):
                day = post.published_at.date()
                if day < start_date:
                    before_start += 1
                    continue
                days[day.isoformat()] += 1
                if day in window:
                    writer.add(post)
                    file_offered.add((post.channel.source, post.channel.handle, post.external_id))
                    file_channels[post.channel.title or post.channel.handle] += 1
                    _keep_latest(in_window, post, limit=PREVIEW_POSTS)
            writer.flush()
            _record_file(connection, file, "ok", None, days, before_start)
    except MalformedFile as error:
        with engine.begin() as connection:
            _record_file(connection, file, "quarantined", str(error), Counter(), 0)
        return FileOutcome(file.relative, file.format, "quarantined", note=str(error))
    offered |= file_offered
    report.per_channel.update(file_channels)
    report.counts.update(writer.counts)
    report.skipped.update(stats.skipped)
    report.before_start += before_start
    report.preview.extend(post for _, _, post in in_window)
    in_file = sum(count for day, count in days.items() if date.fromisoformat(day) in window)
    notes = list(stats.warnings[:3])
    if before_start:
        notes.append(f"{before_start} posts before POSTS_START_DATE {start_date} not stored")
    return FileOutcome(file.relative, file.format, "ingested", in_file, "; ".join(notes))


def _keep_latest(latest: list, post: Post, limit: int) -> None:
    """Keep the `limit` most recent posts seen, as a min-heap on publish time."""
    entry = (post.published_at, id(post), post)
    if len(latest) < limit:
        heapq.heappush(latest, entry)
    elif entry > latest[0]:
        heapq.heapreplace(latest, entry)


def _record_file(
    connection: Connection,
    file: LandingFile,
    status: str,
    error: str | None,
    days: Counter,
    before_start: int,
) -> None:
    record_landing_file(
        connection,
        path=file.relative,
        format=file.format,
        size=file.size,
        mtime_ns=file.mtime_ns,
        status=status,
        error=error,
        days=days,
        before_start=before_start,
    )
