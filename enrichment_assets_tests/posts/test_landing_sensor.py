"""The landing sensor, through build_sensor_context against a real (temporary) instance."""

from __future__ import annotations

import json
import os

import dagster as dg

from enrichment_assets.defs.posts.sensors import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    landing_folder_sensor,
)
from enrichment_assets.resources.landing import LandingResource
from enrichment_assets_tests.support.posts import telegram_message, unixtime, write_telegram_export


def tick(instance, landing_root, cursor=None, start_date=None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"landing": LandingResource(path=str(landing_root), start_date=start_date)},
    )
    return landing_folder_sensor(context)


def requested(result: dg.SensorResult) -> list[tuple[str, str]]:
    out = []
    for request in result.run_requests:
        if request.partition_key:
            out.append((request.partition_key, request.partition_key))
        else:
            out.append((request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]))
    return out


def test_new_files_request_one_run_per_contiguous_range_of_days(landing):
    with dg.instance_for_test() as instance:
        result = tick(instance, landing)
    # Telegram May 1–3 (two channels), the feed May 8 (two items); one feed item has no date.
    assert requested(result) == [("2024-05-01", "2024-05-03"), ("2024-05-08", "2024-05-08")]
    assert json.loads(result.cursor).keys() == {
        "demo/result.json",
        "other/result.json",
        "feeds/news.xml",
    }


def test_the_cursor_survives_a_restart_and_only_changed_files_count(landing):
    with dg.instance_for_test() as instance:
        first = tick(instance, landing)
        again = tick(instance, landing, cursor=first.cursor)  # a restarted daemon
        assert again.run_requests == [] and again.skip_reason
        path = write_telegram_export(
            landing / "other" / "result.json",
            [telegram_message(10, "Same story, edited", unixtime(2024, 5, 6, 8))],
            channel_id=42,
        )
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        changed = tick(instance, landing, cursor=again.cursor)
    assert requested(changed) == [("2024-05-06", "2024-05-06")]


def test_days_before_the_start_date_get_no_run(landing):
    with dg.instance_for_test() as instance:
        result = tick(instance, landing, start_date="2024-05-03")
    assert requested(result) == [("2024-05-03", "2024-05-03"), ("2024-05-08", "2024-05-08")]


def test_a_bad_file_does_not_stop_the_sensor(landing):
    (landing / "junk.jsonl").write_text("{not json\n")
    with dg.instance_for_test() as instance:
        result = tick(instance, landing)
    assert requested(result) == [("2024-05-01", "2024-05-03"), ("2024-05-08", "2024-05-08")]
    assert "junk.jsonl" in json.loads(result.cursor)


def test_the_sensor_run_request_materializes_its_range(landing, sqlite_url):
    from enrichment_assets.defs.posts.assets import posts
    from enrichment_assets.resources.database import DatabaseResource

    with dg.instance_for_test() as instance:
        (request, _) = tick(instance, landing).run_requests
        result = dg.materialize(
            [posts],
            instance=instance,
            tags=request.tags,
            resources={
                "db": DatabaseResource(url=sqlite_url),
                "landing": LandingResource(path=str(landing)),
            },
        )
        assert result.success
        keys = instance.get_materialized_partitions(dg.AssetKey("posts"))
    assert keys == {"2024-05-01", "2024-05-02", "2024-05-03"}
