"""RSS 2.0, RSS 1.0 and Atom feeds, through feedparser.

Traps handled (docs/posts.md, "Inputs"):
- dates in any zone: feedparser's `*_parsed` values are UTC; RSS `pubDate` is `published`,
  Atom often has only `updated`; an entry with no parseable date is counted and reported;
- items without a guid: the id falls back to the link, then to a hash of title and date;
- relative links are resolved against the feed's own link;
- `bozo` is a warning (undefined entities, encoding overrides), not a failure, unless nothing
  could be read at all.
"""

from __future__ import annotations

import calendar
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from enrichment_assets.lib.common.hashing import stable_hash
from enrichment_assets.lib.posts.html import html_to_text
from enrichment_assets.lib.posts.records import Channel, MalformedFile, Post, ReadStats
from enrichment_assets.lib.posts.urls import find_urls, unique_urls


def read_feed(path: Path, stats: ReadStats) -> Iterator[Post]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parsed = feedparser.parse(str(path))
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        if not parsed.entries and not parsed.get("version"):
            raise MalformedFile(f"not a feed: {problem}")
        stats.warn(f"feed parsed leniently: {problem}")
    elif not parsed.get("version"):
        raise MalformedFile("not a feed: no RSS or Atom root element")
    channel = _channel(parsed, path)
    for entry in parsed.entries:
        post = _to_post(entry, channel, parsed.feed, stats)
        if post is not None:
            yield post


def _channel(parsed, path: Path) -> Channel:
    feed = parsed.feed
    link = feed.get("link")
    return Channel(
        source="feed",
        handle=link or feed.get("id") or path.stem,
        title=feed.get("title") or path.stem,
        url=link,
    )


def _utc(parsed_time) -> datetime | None:
    if not parsed_time:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed_time), tz=UTC)


def _to_post(entry, channel: Channel, feed, stats: ReadStats) -> Post | None:
    # dict.get: FeedParserDict.get maps updated → published with a DeprecationWarning.
    published_at = _utc(dict.get(entry, "published_parsed")) or _utc(
        dict.get(entry, "updated_parsed")
    )
    if published_at is None:
        stats.skip("feed: entry without a parseable date")
        stats.warn(f"entry {entry.get('title', '')[:60]!r} has no parseable date; not ingested")
        return None
    base = channel.url
    link = unique_urls([entry.get("link")], base=base)
    title, _ = html_to_text(entry.get("title", ""))
    contents = entry.get("content") or []
    body_html = contents[0].get("value") if contents else entry.get("summary", "")
    body, hrefs = html_to_text(body_html)
    text = "\n\n".join(part for part in (title, body) if part)
    external_id = entry.get("id") or (link[0] if link else None)
    if not external_id:
        external_id = "sha256:" + stable_hash(title, published_at.isoformat())
    return Post(
        channel=channel,
        external_id=external_id,
        published_at=published_at,
        text=text,
        # The article itself first: for a news feed it is the page most worth crawling.
        urls=unique_urls([*link, *hrefs, *find_urls(body)], base=base),
        url=link[0] if link else None,
        author=entry.get("author"),
    )
