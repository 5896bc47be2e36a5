"""The `posts` asset, run through Dagster on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.defs.posts.assets import posts
from enrichment_assets.lib.posts.loader import Window, ingest_window
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.landing import LandingResource
from enrichment_assets.storage import create_database_engine, reading, upgrade_to_head
from enrichment_assets.storage.posts import PostWriter
from enrichment_assets.storage.tables import channels, landing_files
from enrichment_assets.storage.tables import posts as posts_table
from enrichment_assets_tests.support.posts import telegram_message, unixtime, write_telegram_export

RANGE = {
    "dagster/asset_partition_range_start": "2024-05-01",
    "dagster/asset_partition_range_end": "2024-05-10",
}


def materialize(database_url: str, root, tags=RANGE, partition_key=None, start_date=None):
    resources = {
        "db": DatabaseResource(url=database_url),
        "landing": LandingResource(path=str(root), start_date=start_date),
    }
    result = dg.materialize([posts], resources=resources, tags=tags, partition_key=partition_key)
    assert result.success
    materialization = result.asset_materializations_for_node("posts")[-1]
    metadata = {
        key: getattr(value, "value", value) for key, value in materialization.metadata.items()
    }
    return metadata, result.get_asset_check_evaluations()


def stored_posts(database_url: str) -> list[tuple]:
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(channels.c.handle, posts_table.c.external_id, posts_table.c.text)
            .join(channels)
            .order_by(channels.c.handle, posts_table.c.external_id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_posts_land_once_and_a_rerun_changes_nothing(database_url, landing):
    first, checks = materialize(database_url, landing)
    assert (first["inserted"], first["updated"], first["unchanged"]) == (7, 0, 0)
    assert first["dagster/row_count"] == 7
    assert first["skipped"] == {
        "telegram: unsupported message": 1,
        "feed: entry without a parseable date": 1,
    }
    assert [c.passed for c in checks] == [True]
    rows = stored_posts(database_url)
    assert len(rows) == 7
    # The same text in two channels is two posts (one per channel), sharing a content hash.
    assert sum(text == "Same story everywhere" for _, _, text in rows) == 2

    second, checks = materialize(database_url, landing)
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 7)
    assert stored_posts(database_url) == rows
    assert [c.passed for c in checks] == [True]


def test_an_edited_post_is_updated_in_place(database_url, landing):
    materialize(database_url, landing)
    write_telegram_export(
        landing / "demo" / "result.json",
        [telegram_message(1, "Markets rally (edited)", unixtime(2024, 5, 1, 9))],
    )
    metadata, _ = materialize(database_url, landing, tags={}, partition_key="2024-05-01")
    assert (metadata["inserted"], metadata["updated"]) == (0, 1)
    assert ("1487851422", "1", "Markets rally (edited)") in stored_posts(database_url)


def test_a_single_partition_takes_only_its_day(sqlite_url, landing):
    metadata, _ = materialize(sqlite_url, landing, tags={}, partition_key="2024-05-02")
    assert metadata["inserted"] == 2
    assert {text for _, _, text in stored_posts(sqlite_url)} == {"Same story everywhere"}


def test_a_malformed_file_is_quarantined_and_every_other_file_lands(database_url, landing):
    bad = write_telegram_export(
        landing / "broken" / "result.json",
        [telegram_message(i, f"never half-written {i}", unixtime(2024, 5, 1)) for i in range(50)],
        channel_id=99,
    )
    bad.write_bytes(bad.read_bytes()[:-400])  # truncated after many complete messages
    metadata, checks = materialize(database_url, landing)
    assert metadata["quarantined_files"] == 1
    assert "broken/result.json | telegram | quarantined" in metadata["files"]
    assert "truncated or corrupt" in metadata["files"]
    assert metadata["inserted"] == 7
    assert not any("never half-written" in text for _, _, text in stored_posts(database_url))
    assert [c.passed for c in checks] == [True]
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        status, error = connection.execute(
            sa.select(landing_files.c.status, landing_files.c.error).where(
                landing_files.c.path == "broken/result.json"
            )
        ).one()
    assert status == "quarantined" and "truncated" in error


def test_posts_before_the_start_date_are_counted_not_dropped_silently(sqlite_url, landing):
    metadata, _ = materialize(sqlite_url, landing, start_date="2024-05-02")
    assert metadata["older_than_start_date"] == 1
    assert "posts before POSTS_START_DATE" in metadata["files"]
    assert metadata["inserted"] == 6


def test_the_check_fails_when_the_database_lost_posts(sqlite_url, landing, monkeypatch):
    original = PostWriter._write

    def lose_one(self, channel_id, batch):
        original(self, channel_id, batch[1:])

    monkeypatch.setattr(PostWriter, "_write", lose_one)
    _, (check,) = materialize(sqlite_url, landing)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR


def test_a_run_that_dies_mid_file_leaves_nothing_half_written(sqlite_url, landing, monkeypatch):
    big = [telegram_message(i, f"bulk {i}", unixtime(2024, 5, 4)) for i in range(2500)]
    write_telegram_export(landing / "big" / "result.json", big, channel_id=7)
    original = PostWriter.flush
    flushes = {"count": 0}

    def die_on_second_batch(self):
        flushes["count"] += 1
        if flushes["count"] == 2:
            raise KeyboardInterrupt("killed")
        original(self)

    monkeypatch.setattr(PostWriter, "flush", die_on_second_batch)
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    window = Window(date(2024, 5, 1), date(2024, 5, 10))
    with pytest.raises(KeyboardInterrupt):
        ingest_window(engine, landing, window, date(2020, 1, 1))
    monkeypatch.setattr(PostWriter, "flush", original)
    report = ingest_window(engine, landing, window, date(2020, 1, 1))
    assert report.stored == report.offered == 2507
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(posts_table)).scalar_one()
            == 2507
        )


def committed_files(engine) -> int:
    with reading(engine) as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(landing_files)
        ).scalar_one()


KILL_SCRIPT = """
import sys
from datetime import date
from pathlib import Path
from enrichment_assets.lib.posts.loader import Window, ingest_window
from enrichment_assets.storage import create_database_engine, reading, upgrade_to_head
engine = create_database_engine(sys.argv[1])
upgrade_to_head(engine)
print("ready", flush=True)
window = Window(date(2024, 5, 1), date(2024, 5, 31))
ingest_window(engine, Path(sys.argv[2]), window, date(2020, 1, 1))
"""


@pytest.mark.slow
def test_killing_ingestion_with_sigkill_and_running_again_leaves_every_post_once(
    database_url, tmp_path
):
    root = tmp_path / "landing"
    for channel in range(6):
        write_telegram_export(
            root / f"c{channel}" / "result.json",
            [telegram_message(i, f"c{channel} post {i}", unixtime(2024, 5, 1 + i % 20))
             for i in range(4000)],
            channel_id=100 + channel,
        )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, database_url, str(root)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout.readline().strip() == b"ready"
    engine = create_database_engine(database_url)  # migrated by the child; reads never wait
    deadline = time.monotonic() + 60
    while committed_files(engine) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)  # the first file is in, the others are not
    process.wait()
    with reading(engine) as connection:
        after_kill = connection.execute(sa.select(sa.func.count()).select_from(posts_table))
        assert 0 < after_kill.scalar_one() < 24_000
    window = Window(date(2024, 5, 1), date(2024, 5, 31))
    report = ingest_window(engine, root, window, date(2020, 1, 1))
    assert report.offered == report.stored == 24_000
    with engine.connect() as connection:
        distinct = connection.execute(
            sa.select(sa.func.count(sa.distinct(posts_table.c.text)))
        ).scalar_one()
    assert distinct == 24_000
