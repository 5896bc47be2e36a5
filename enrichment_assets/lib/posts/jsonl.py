"""JSONL: one post per line.

Fields: `channel` (required), `id` (required), `published_at` (required: ISO 8601, with an
offset; or epoch seconds), `text`, `urls`, `url`, `author`, `channel_title`, `source`.
A line that is not valid JSON or UTF-8, or lacks a required field, makes the whole file
malformed (named by line number), so a file lands whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from enrichment_assets.lib.posts.records import Channel, MalformedFile, Post, ReadStats
from enrichment_assets.lib.posts.urls import find_urls, unique_urls


def read_jsonl(path: Path, stats: ReadStats) -> Iterator[Post]:
    channels: dict[tuple[str, str], Channel] = {}
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as error:
                raise MalformedFile(f"line {number}: not UTF-8 ({error.reason})") from error
            except json.JSONDecodeError as error:
                raise MalformedFile(f"line {number}: not valid JSON ({error.msg})") from error
            yield _to_post(item, number, channels, stats)


def _to_post(item, number: int, channels: dict, stats: ReadStats) -> Post:
    if not isinstance(item, dict):
        raise MalformedFile(f"line {number}: expected a JSON object")
    missing = [name for name in ("channel", "id", "published_at") if item.get(name) in (None, "")]
    if missing:
        raise MalformedFile(f"line {number}: missing {', '.join(missing)}")
    key = (str(item.get("source") or "jsonl"), str(item["channel"]))
    channel = channels.setdefault(
        key, Channel(source=key[0], handle=key[1], title=item.get("channel_title"))
    )
    text = str(item.get("text") or "")
    urls = item.get("urls") or []
    if not isinstance(urls, list):
        raise MalformedFile(f"line {number}: 'urls' must be a list")
    return Post(
        channel=channel,
        external_id=str(item["id"]),
        published_at=_parse_time(item["published_at"], number, stats),
        text=text,
        urls=unique_urls([*map(str, urls), *find_urls(text)]),
        url=item.get("url"),
        author=item.get("author"),
    )


def _parse_time(value, number: int, stats: ReadStats) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise MalformedFile(f"line {number}: published_at {value!r} is not ISO 8601") from error
    if parsed.tzinfo is None:
        stats.warn(f"line {number}: published_at has no offset; read as UTC")
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
