"""Fixtures of the posts tests: a landing folder in the real formats."""

from __future__ import annotations

import pytest

from enrichment_assets_tests.support.posts import (
    RSS_FEED,
    telegram_message,
    unixtime,
    write_telegram_export,
)


@pytest.fixture
def landing(tmp_path):
    """A landing folder with one Telegram export (May 1–3) and one RSS feed (May 8)."""
    root = tmp_path / "landing"
    write_telegram_export(
        root / "demo" / "result.json",
        [
            telegram_message(1, "Markets rally", unixtime(2024, 5, 1, 9)),
            telegram_message(2, "Same story everywhere", unixtime(2024, 5, 2, 9)),
            telegram_message(3, "Election results", unixtime(2024, 5, 3, 23, 59)),
            {"id": 4, "type": "unsupported"},
        ],
    )
    write_telegram_export(
        root / "other" / "result.json",
        [telegram_message(10, "Same story everywhere", unixtime(2024, 5, 2, 10))],
        channel_id=42,
        name="Other Channel",
    )
    (root / "feeds").mkdir()
    (root / "feeds" / "news.xml").write_text(RSS_FEED)
    return root
