"""bench/scaleout: a 90-day backfill of the post pipeline (local LLM provider), in-process
versus on two Celery workers, in the same run, on the same PostgreSQL-backed instance.

Both are one Dagster run (the post assets have a single-run backfill policy); the Celery run
spreads its steps over the workers. Posts: BENCH_SCALEOUT_POSTS_PER_DAY a day (default 20).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from enrichment_assets.defs.operations.jobs import POST_PIPELINE_ASSETS
from enrichment_assets_tests.support.celery_workers import (
    celery_workers,
    execute_job,
    shared_instance,
)
from enrichment_assets_tests.support.databases import (
    create_migrated_database,
    drop_postgres_database,
)
from enrichment_assets_tests.support.posts import telegram_message, write_telegram_export

DAYS = 90
PER_DAY = int(os.environ.get("BENCH_SCALEOUT_POSTS_PER_DAY", "20"))
RANGE = {
    "dagster/asset_partition_range_start": "2024-01-01",
    "dagster/asset_partition_range_end": "2024-03-30",
}
FIRST_DAY = datetime(2024, 1, 1, tzinfo=UTC)
STORIES = [
    "Central bank holds rates as inflation cools",
    "Striker signs for a record fee",
    "New battery chemistry doubles range",
    "Parliament passes the budget after a long night",
    "Museum returns looted bronzes",
    "Trial shows the vaccine cuts hospital stays",
]


def landing_with_90_days(root: Path) -> Path:
    landing = root / "landing"
    messages = []
    for day in range(DAYS):
        for slot in range(PER_DAY):
            text = f"{STORIES[(day + slot) % len(STORIES)]} (day {day}, item {slot})."
            moment = FIRST_DAY + timedelta(days=day, hours=8 + slot % 12, minutes=slot)
            when = str(int(moment.timestamp()))
            messages.append(telegram_message(day * 1000 + slot, text, when))
    write_telegram_export(landing / "bench" / "result.json", messages, channel_id=9090)
    return landing


def timed(job: str, env: dict) -> float:
    started = time.perf_counter()
    completed = execute_job(job, env, RANGE, timeout=3600)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{job} failed:\n{completed.stderr[-3000:]}")
    return elapsed


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    template = create_migrated_database("enrichment_bench")
    try:
        landing = landing_with_90_days(root)
        print(f"{DAYS} days × {PER_DAY} posts; assets: {', '.join(POST_PIPELINE_ASSETS)}")
        with shared_instance(root / "in-process", template, landing) as cluster:
            in_process = timed("post_pipeline", cluster.env)
        with (
            shared_instance(root / "celery", template, landing) as cluster,
            celery_workers(cluster, root, count=2),
        ):
            on_celery = timed("post_pipeline_celery", cluster.env)
        print(f"in-process (multiprocess executor): {in_process:6.1f} s in 1 run")
        print(f"two Celery workers:                 {on_celery:6.1f} s in 1 run")
        print(f"ratio: Celery / in-process = {on_celery / in_process:.2f} "
              "(one machine: the workers share its 2 cores)")  # fmt: skip
    finally:
        drop_postgres_database(template)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
