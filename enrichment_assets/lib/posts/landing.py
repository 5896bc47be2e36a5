"""The landing folder: which files are there, what format each is, which days they touch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from enrichment_assets.lib.posts.feeds import read_feed
from enrichment_assets.lib.posts.jsonl import read_jsonl
from enrichment_assets.lib.posts.records import MalformedFile, Post, ReadStats
from enrichment_assets.lib.posts.telegram import read_telegram_export

FORMAT_BY_SUFFIX = {
    ".json": "telegram",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
_READERS = {"telegram": read_telegram_export, "feed": read_feed, "jsonl": read_jsonl}


@dataclass(frozen=True, slots=True)
class LandingFile:
    path: Path
    relative: str
    format: str
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


def discover(root: Path) -> list[LandingFile]:
    """Every post file under `root`, in a stable order. Hidden folders (and media files inside
    Telegram export folders) are passed over."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        file_format = FORMAT_BY_SUFFIX.get(path.suffix.lower())
        if file_format is None:
            continue
        stat = path.stat()
        found.append(
            LandingFile(path, relative.as_posix(), file_format, stat.st_size, stat.st_mtime_ns)
        )
    return found


def read_posts(file: LandingFile, stats: ReadStats) -> Iterator[Post]:
    """The posts of `file`, streamed. Raises MalformedFile for a file that cannot be read."""
    try:
        yield from _READERS[file.format](file.path, stats)
    except OSError as error:
        raise MalformedFile(f"cannot read the file: {error.strerror or error}") from error


@dataclass
class DaySummary:
    """The days a file's posts fall on, as the landing sensor needs them."""

    days: Counter = field(default_factory=Counter)
    error: str | None = None


def summarize_days(file: LandingFile) -> DaySummary:
    summary = DaySummary()
    try:
        for post in read_posts(file, ReadStats()):
            summary.days[post.published_at.date()] += 1
    except MalformedFile as error:
        summary.error = str(error)
    return summary


def contiguous_ranges(days: set[date]) -> list[tuple[date, date]]:
    """[(first, last), …] covering `days` with no gaps inside a range."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


@dataclass
class LandingPlan:
    """What the landing sensor should request: day ranges touched by new or changed files."""

    ranges: list[tuple[date, date]]
    cursor: dict[str, str]  # relative path → fingerprint, for every file seen
    changed: list[str]
    outside: int = 0  # posts on days with no partition (before the start date, in the future)
    errors: dict[str, str] = field(default_factory=dict)


def plan_runs(root: Path, previous: dict[str, str], first_day: date, last_day: date) -> LandingPlan:
    files = discover(root)
    changed = [f for f in files if previous.get(f.relative) != f.fingerprint]
    days: set[date] = set()
    outside = 0
    errors: dict[str, str] = {}
    for file in changed:
        summary = summarize_days(file)
        if summary.error:
            # The run still gets the days read before the error, and will quarantine the file
            # in its own metadata; a file that gave nothing is reported here.
            errors[file.relative] = summary.error
        for day, count in summary.days.items():
            if first_day <= day <= last_day:
                days.add(day)
            else:
                outside += count
    return LandingPlan(
        ranges=contiguous_ranges(days),
        cursor={f.relative: f.fingerprint for f in files},
        changed=[f.relative for f in changed],
        outside=outside,
        errors=errors,
    )
