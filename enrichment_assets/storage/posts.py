"""Writing posts: channels resolved once, posts compared with what is stored, then upserted in
batches, so a run can say what it inserted, updated and left unchanged. And the bookkeeping of
the landing folder (`landing_files`): what each file held when it was last read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.storage.tables import channels, landing_files, posts
from enrichment_assets.storage.upsert import upsert

if TYPE_CHECKING:  # the parsers' record types, for annotations only: storage never imports lib
    from enrichment_assets.lib.posts.records import Channel, Post

BATCH_POSTS = 1000
_COMPARED = ("published_at", "content_hash", "urls", "url", "author")


class PostWriter:
    """Buffers posts and writes them in batches on `connection` (inside the caller's
    transaction: a file lands whole or not at all)."""

    def __init__(self, connection: Connection, source_file: str | None = None):
        self._connection = connection
        self._source_file = source_file
        self._channel_ids: dict[tuple[str, str], int] = {}
        self._pending: dict[tuple[str, str, str], Post] = {}
        self.counts: Counter = Counter()  # inserted | updated | unchanged

    def add(self, post: Post) -> None:
        # The same message twice in one file (an export stitched together): the last one wins.
        self._pending[(post.channel.source, post.channel.handle, post.external_id)] = post
        if len(self._pending) >= BATCH_POSTS:
            self.flush()

    def flush(self) -> None:
        by_channel: dict[Channel, list[Post]] = {}
        for post in self._pending.values():
            by_channel.setdefault(post.channel, []).append(post)
        self._pending.clear()
        for channel, batch in by_channel.items():
            self._write(self.channel_id(channel), batch)

    def channel_id(self, channel: Channel) -> int:
        key = (channel.source, channel.handle)
        if key not in self._channel_ids:
            row = {"source": channel.source, "handle": channel.handle}
            described = {name: value for name, value in
                         (("title", channel.title), ("url", channel.url)) if value}  # fmt: skip
            upsert(self._connection, channels, [row | described], key=["source", "handle"],
                   update=list(described), only_if_changed=list(described))  # fmt: skip
            self._channel_ids[key] = self._connection.execute(
                sa.select(channels.c.id).where(
                    channels.c.source == channel.source, channels.c.handle == channel.handle
                )
            ).scalar_one()
        return self._channel_ids[key]

    def _write(self, channel_id: int, batch: list[Post]) -> None:
        rows = [self._row(channel_id, post) for post in batch]
        stored = {
            row.external_id: row
            for row in self._connection.execute(
                sa.select(posts.c.external_id, *(posts.c[name] for name in _COMPARED)).where(
                    posts.c.channel_id == channel_id,
                    posts.c.external_id.in_([row["external_id"] for row in rows]),
                )
            )
        }
        changed = []
        for row in rows:
            existing = stored.get(row["external_id"])
            if existing is None:
                self.counts["inserted"] += 1
            elif any(getattr(existing, name) != row[name] for name in _COMPARED):
                self.counts["updated"] += 1
            else:
                self.counts["unchanged"] += 1
                continue
            changed.append(row)
        upsert(self._connection, posts, changed, key=["channel_id", "external_id"])

    def _row(self, channel_id: int, post: Post) -> dict:
        return {
            "channel_id": channel_id,
            "external_id": post.external_id,
            "published_at": post.published_at,
            "text": post.text,
            "urls": post.urls,
            "url": post.url,
            "author": post.author,
            "content_hash": content_hash(post.text),
            "source_file": self._source_file,
        }


def count_posts_between(connection: Connection, start: datetime, end: datetime) -> int:
    """Posts published in [start, end)."""
    return connection.execute(
        sa.select(sa.func.count())
        .select_from(posts)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
    ).scalar_one()


def known_landing_files(connection: Connection) -> dict[str, sa.Row]:
    """Every file of the landing folder read so far, by its relative path."""
    return {row.path: row for row in connection.execute(sa.select(landing_files))}


def record_landing_file(
    connection: Connection,
    *,
    path: str,
    format: str,
    size: int,
    mtime_ns: int,
    status: str,
    error: str | None,
    days: Mapping[str, int],
    before_start: int,
) -> None:
    """Upsert one file's entry: its size and mtime (a file unchanged since is not read again),
    its status and the posts it holds per day (ISO date -> count)."""
    ordered = sorted(days)
    upsert(
        connection,
        landing_files,
        [
            {
                "path": path,
                "format": format,
                "size": size,
                "mtime_ns": mtime_ns,
                "status": status,
                "error": error,
                "posts": sum(days.values()),
                "first_day": date.fromisoformat(ordered[0]) if ordered else None,
                "last_day": date.fromisoformat(ordered[-1]) if ordered else None,
                "days": dict(days),
                "before_start": before_start,
                "checked_at": datetime.now(UTC),
            }
        ],
        key=["path"],
    )


def latest_posts(connection: Connection, limit: int = 3) -> list[sa.Row]:
    """published_at, channel title and text of the newest posts."""
    return connection.execute(
        sa.select(posts.c.published_at, channels.c.title, posts.c.text)
        .join(channels)
        .order_by(posts.c.published_at.desc())
        .limit(limit)
    ).all()
