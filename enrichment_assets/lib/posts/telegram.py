"""Telegram Desktop "Export chat history" (`result.json`) of one channel, streamed.

Traps handled (docs/posts.md, "Inputs"):
- `text` is polymorphic (string, or a list mixing strings and entity objects): `text_entities`
  is read instead, which is always a list of objects.
- tdesktop writes control characters as `\\x0B`-style escapes that strict JSON rejects: the
  byte stream is repaired on the fly (into `\\u000B`), without loading the file.
- `date` is the exporting machine's local time without an offset: `date_unixtime` (a string of
  epoch seconds) is the UTC source.
- Empty values are omitted, `from` may be null, service messages carry `actor`/`action`,
  `unsupported` messages have only `id` and `type`: every key is read with a default, and
  what is not a post is counted by kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from enrichment_assets.lib.posts.records import Channel, MalformedFile, Post, ReadStats
from enrichment_assets.lib.posts.urls import raw_urls, unique_urls

_CHUNK = 1 << 16
# An escaped backslash is kept as it is; `\xHH` becomes the JSON escape `\u00HH`.
_ESCAPE = re.compile(rb"\\(\\|x([0-9A-Fa-f]{2}))")


def _repair(match: re.Match[bytes]) -> bytes:
    hex_digits = match.group(2)
    return match.group(0) if hex_digits is None else b"\\u00" + hex_digits


class EscapeRepairingReader:
    """A binary reader over `raw` that turns tdesktop's `\\xHH` escapes into JSON ones.

    A chunk never ends inside an escape: a trailing run of backslashes (and what may follow it)
    is held back and processed with the next chunk, so the rewrite is the same however the
    stream is cut.
    """

    def __init__(self, raw: BinaryIO, chunk_size: int = _CHUNK):
        self._raw = raw
        self._chunk_size = chunk_size
        self._held = b""
        self._ready = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._ready) < size:
            chunk = self._raw.read(self._chunk_size)
            if not chunk:
                self._ready += _ESCAPE.sub(_repair, self._held)
                self._held = b""
                break
            data = self._held + chunk
            cut = _safe_cut(data)
            self._ready += _ESCAPE.sub(_repair, data[:cut])
            self._held = data[cut:]
        if size < 0:
            out, self._ready = self._ready, b""
        else:
            out, self._ready = self._ready[:size], self._ready[size:]
        return out


def _safe_cut(data: bytes) -> int:
    """Where `data` can be cut without splitting an escape sequence."""
    tail_start = max(len(data) - 4, 0)
    last = data.rfind(b"\\", tail_start)
    if last < 0:
        return len(data)
    while last > 0 and data[last - 1 : last] == b"\\":
        last -= 1
    return last


def read_channel_header(path: Path) -> Channel:
    """The channel's identity from the top of the export (stops reading at `messages`)."""
    header: dict[str, Any] = {}
    with path.open("rb") as raw:
        try:
            for prefix, event, value in ijson.parse(EscapeRepairingReader(raw), use_float=True):
                if prefix in {"name", "type", "id"} and event in {"string", "number", "null"}:
                    header[prefix] = value
                elif prefix in {"chats", "about"}:
                    raise MalformedFile(
                        "this is a whole-account Telegram export; export one channel with "
                        "'Export chat history' and drop its result.json here"
                    )
                elif prefix == "messages":
                    break
                elif prefix == "" and event not in {"start_map", "map_key", "end_map"}:
                    raise MalformedFile("unknown shape: the top level is not a JSON object")
            else:
                raise MalformedFile(
                    "unknown shape: no 'messages' list; expected a Telegram Desktop channel "
                    "export (result.json)"
                )
        except (ijson.JSONError, UnicodeDecodeError) as error:
            raise MalformedFile(f"not valid JSON: {error}") from error
    if header.get("id") is None:
        raise MalformedFile("unknown shape: the export has no channel 'id'")
    return Channel(source="telegram", handle=str(int(header["id"])), title=header.get("name"))


def read_telegram_export(path: Path, stats: ReadStats) -> Iterator[Post]:
    channel = read_channel_header(path)
    with path.open("rb") as raw:
        messages = ijson.items(EscapeRepairingReader(raw), "messages.item", use_float=True)
        try:
            for message in messages:
                post = _to_post(message, channel, stats)
                if post is not None:
                    yield post
        except (ijson.JSONError, UnicodeDecodeError) as error:
            raise MalformedFile(f"not valid JSON (truncated or corrupt): {error}") from error


def _to_post(message: Any, channel: Channel, stats: ReadStats) -> Post | None:
    if not isinstance(message, dict):
        stats.skip("telegram: message is not an object")
        return None
    kind = message.get("type", "message")
    if kind != "message":
        stats.skip(f"telegram: {kind} message")
        return None
    if message.get("id") is None:
        stats.skip("telegram: message without id")
        return None
    published_at = _published_at(message, stats)
    if published_at is None:
        stats.skip("telegram: message without a date")
        return None
    text, entity_urls = _text_and_links(message)
    return Post(
        channel=channel,
        external_id=str(message["id"]),
        published_at=published_at,
        text=text,
        urls=unique_urls([*entity_urls, *raw_urls(text)]),
        author=message.get("author") or message.get("from"),
    )


def _published_at(message: dict, stats: ReadStats) -> datetime | None:
    unixtime = message.get("date_unixtime")
    if unixtime not in (None, ""):
        return datetime.fromtimestamp(int(unixtime), tz=UTC)
    local = message.get("date")
    if not local:
        return None
    # Exports older than date_unixtime carry only the exporter's local time: read it as UTC.
    stats.warn(f"message {message.get('id')}: no date_unixtime, 'date' read as UTC")
    return datetime.fromisoformat(local).replace(tzinfo=UTC)


def _text_and_links(message: dict) -> tuple[str, list[str]]:
    entities = message.get("text_entities")
    if entities is None:  # very old exports: only the polymorphic `text`
        raw = message.get("text", "")
        entities = [{"type": "plain", "text": raw}] if isinstance(raw, str) else raw
    parts: list[str] = []
    links: list[str] = []
    for entity in entities:
        if isinstance(entity, str):
            parts.append(entity)
            continue
        piece = str(entity.get("text", ""))
        parts.append(piece)
        kind = entity.get("type")
        if kind == "link":
            links.append(piece)
        elif kind == "text_link" and entity.get("href"):
            links.append(entity["href"])
    return "".join(parts).strip(), links
