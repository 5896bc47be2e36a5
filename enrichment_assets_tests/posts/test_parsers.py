"""One test per trap of the real formats (docs/posts.md, "Inputs"), plus JSONL."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from enrichment_assets.lib.posts.feeds import read_feed
from enrichment_assets.lib.posts.jsonl import read_jsonl
from enrichment_assets.lib.posts.records import MalformedFile, ReadStats
from enrichment_assets.lib.posts.telegram import EscapeRepairingReader, read_telegram_export
from enrichment_assets_tests.support.posts import (
    ATOM_FEED,
    RSS_FEED,
    telegram_message,
    unixtime,
    write_telegram_export,
)


def read_all(reader, path):
    stats = ReadStats()
    return list(reader(path, stats)), stats


# --- Telegram Desktop export -------------------------------------------------------------


def test_polymorphic_text_is_read_from_text_entities(tmp_path):
    parts = ["Sale @116\n\n", {"type": "link", "text": "https://amzn.to/x"}, " and ",
             {"type": "text_link", "text": "this", "href": "https://example.com/t"},
             {"type": "bold", "text": "!"}]  # fmt: skip
    path = write_telegram_export(
        tmp_path / "c" / "result.json",
        [
            telegram_message(1, "plain string text", unixtime(2024, 5, 1)),
            telegram_message(2, parts, unixtime(2024, 5, 1)),
            telegram_message(3, "", unixtime(2024, 5, 1), photo="(File not included.)"),
        ],
    )
    posts, _ = read_all(read_telegram_export, path)
    assert [p.text for p in posts] == [
        "plain string text",
        "Sale @116\n\nhttps://amzn.to/x and this!",
        "",  # a photo-only post is still a post (enrichment will skip it with a reason)
    ]
    assert posts[1].urls == ["https://amzn.to/x", "https://example.com/t"]


def test_very_old_exports_without_text_entities_fall_back_to_text(tmp_path):
    message = telegram_message(1, ["a ", {"type": "bold", "text": "b"}], unixtime(2024, 5, 1))
    del message["text_entities"]
    posts, _ = read_all(read_telegram_export, write_telegram_export(tmp_path / "r.json", [message]))
    assert posts[0].text == "a b"


def test_x_escapes_that_strict_json_rejects_are_repaired(tmp_path):
    path = write_telegram_export(
        tmp_path / "result.json", [telegram_message(1, "1=412@@2=97180", unixtime(2024, 5, 1))]
    )
    raw = path.read_text().replace("@@", "\\x01").replace("97180", "97180 \\\\x41 \\u2028")
    path.write_text(raw)
    with pytest.raises(json.JSONDecodeError, match="Invalid"):
        json.loads(raw)
    posts, _ = read_all(read_telegram_export, path)
    # \x01 becomes the control character; an escaped backslash before x41 stays a backslash.
    assert posts[0].text == "1=412\x012=97180 \\x41 \u2028".strip()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64])
def test_escape_repair_is_the_same_however_the_stream_is_cut(chunk_size):
    source = b'{"a": "x\\x0By\\\\x0B\\\\\\x0Cz\\"q\\u00e9"}'
    expected = b'{"a": "x\\u000By\\\\x0B\\\\\\u000Cz\\"q\\u00e9"}'
    assert EscapeRepairingReader(io.BytesIO(source), chunk_size=chunk_size).read() == expected
    reader = EscapeRepairingReader(io.BytesIO(source), chunk_size=chunk_size)
    pieces = iter(lambda: reader.read(3), b"")
    assert b"".join(pieces) == expected


def test_date_unixtime_is_the_utc_source_not_the_local_date(tmp_path):
    message = telegram_message(1, "late night", unixtime(2024, 5, 1, 23, 30))
    message["date"] = "2024-05-02T02:30:00"  # the exporter's local time (UTC+3), no offset
    posts, _ = read_all(read_telegram_export, write_telegram_export(tmp_path / "r.json", [message]))
    assert posts[0].published_at == datetime(2024, 5, 1, 23, 30, tzinfo=UTC)


def test_omitted_and_null_keys_and_non_posts(tmp_path):
    sparse = {"id": 7, "type": "message", "date_unixtime": unixtime(2024, 5, 1), "from": None,
              "text_entities": []}  # fmt: skip
    service = {"id": 1, "type": "service", "date_unixtime": unixtime(2024, 5, 1),
               "actor": "Demo", "action": "create_channel",
               "text": "", "text_entities": []}  # fmt: skip
    path = write_telegram_export(
        tmp_path / "r.json", [service, sparse, {"id": 9, "type": "unsupported"}]
    )
    posts, stats = read_all(read_telegram_export, path)
    assert [(p.external_id, p.text, p.author, p.urls) for p in posts] == [("7", "", None, [])]
    assert stats.skipped == {"telegram: service message": 1, "telegram: unsupported message": 1}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not json at all", "not valid JSON"),
        (
            b'{"name": "x", "id": 1, "messages": [{"id": 1, "type": "message", "date_unix',
            "truncated",
        ),
        ('{"name": "caf\xe9", "id": 1, "messages": []}'.encode("latin-1"), "not valid JSON"),
        (b'{"name": "x", "id": 1, "list": []}', "no 'messages' list"),
        (b'{"about": "x", "chats": {"list": []}}', "whole-account"),
        (b'[{"id": 1}]', "not a JSON object"),
    ],
    ids=["not-json", "truncated", "latin-1", "no-messages", "whole-account", "array"],
)
def test_malformed_exports_raise_a_clear_error(tmp_path, content, reason):
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(MalformedFile, match=reason):
        read_all(read_telegram_export, path)


def test_large_exports_are_streamed_not_loaded_whole(tmp_path, monkeypatch):
    messages = [telegram_message(i, f"post {i}", unixtime(2024, 5, 1)) for i in range(2000)]
    path = write_telegram_export(tmp_path / "r.json", messages)
    reads: list[int] = []
    original = EscapeRepairingReader.read

    def spy(self, size=-1):
        reads.append(size)
        return original(self, size)

    monkeypatch.setattr(EscapeRepairingReader, "read", spy)
    posts, _ = read_all(read_telegram_export, path)
    assert len(posts) == 2000
    sized = [size for size in reads if size > 0]  # ijson probes with read(0) first
    assert len(sized) > 2 and max(sized) < path.stat().st_size


# --- RSS / Atom -------------------------------------------------------------------------------


def test_rss_dates_in_any_zone_become_utc_and_ids_fall_back(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text(RSS_FEED)
    posts, stats = read_all(read_feed, path)
    by_title = {p.text.split("\n")[0]: p for p in posts}
    headline = by_title["Headline & more"]
    assert headline.published_at == datetime(2024, 5, 8, 3, 0, tzinfo=UTC)  # 22:00 EST
    assert headline.external_id == "abc-123"
    assert headline.url == "https://news.example/a?x=1&y=2"  # &amp; unescaped exactly once
    assert headline.author == "Jane"
    assert "Full body with a relative link." in headline.text
    assert headline.urls == ["https://news.example/a?x=1&y=2", "https://news.example/inside"]
    assert by_title["No guid here"].external_id == "https://news.example/no-guid"
    orphan = by_title["No guid, no link"]
    assert orphan.external_id.startswith("sha256:")
    assert orphan.published_at == datetime(2024, 5, 8, 9, 0, tzinfo=UTC)
    assert stats.skipped == {"feed: entry without a parseable date": 1}
    assert any("Junk date" in warning for warning in stats.warnings)


def test_atom_updated_offsets_and_relative_links(tmp_path):
    path = tmp_path / "atom.xml"
    path.write_text(ATOM_FEED)
    (post,), _ = read_all(read_feed, path)
    assert post.published_at == datetime(2024, 5, 8, 22, 30, tzinfo=UTC)
    assert post.url == "https://atom.example/post/1"
    assert post.text == "Bold title\n\nSummary text"
    assert post.channel.handle == "https://atom.example/"


def test_bozo_feeds_are_read_leniently_with_a_warning(tmp_path):
    path = tmp_path / "bozo.xml"
    path.write_text(RSS_FEED.replace("<title>No guid here</title>", "<title>Caf&eacute;</title>"))
    posts, stats = read_all(read_feed, path)
    assert len(posts) == 3
    assert any("leniently" in warning for warning in stats.warnings)


def test_a_file_that_is_not_a_feed_is_malformed(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(b"\x00\x01 this is not xml")
    with pytest.raises(MalformedFile, match="not a feed"):
        read_all(read_feed, path)


# --- JSONL ------------------------------------------------------------------------------------


def test_jsonl_posts_with_offsets_and_urls(tmp_path):
    path = tmp_path / "posts.jsonl"
    lines = [
        {"channel": "wire", "id": "1", "published_at": "2024-05-01T23:30:00-02:00",
         "text": "See https://example.org/x.", "urls": ["https://example.com/y"]},
        {},  # blank-ish line below
    ]  # fmt: skip
    path.write_text(json.dumps(lines[0]) + "\n\n")
    (post,), _ = read_all(read_jsonl, path)
    assert post.published_at == datetime(2024, 5, 2, 1, 30, tzinfo=UTC)
    assert post.urls == ["https://example.com/y", "https://example.org/x"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{broken", "line 2: not valid JSON"),
        (b'{"channel": "w", "id": "2"}', "line 2: missing published_at"),
        ('{"channel": "w", "id": "2", "text": "caf\xe9"}'.encode("latin-1"), "line 2: not UTF-8"),
    ],
)
def test_jsonl_bad_lines_name_their_line_number(tmp_path, line, reason):
    path = tmp_path / "posts.jsonl"
    good = b'{"channel": "w", "id": "1", "published_at": "2024-05-01T00:00:00Z"}'
    path.write_bytes(good + b"\n" + line + b"\n")
    with pytest.raises(MalformedFile, match=reason):
        read_all(read_jsonl, path)
