"""The post pipeline on two real Celery workers (broker: the local Redis), with the Dagster
instance and the app database on the local PostgreSQL: the same tables as an in-process run."""

from __future__ import annotations

import json
import shutil

import pytest
import sqlalchemy as sa

from enrichment_assets.storage import create_database_engine, reading
from enrichment_assets.storage.tables import channels, post_enrichment, posts
from enrichment_assets_tests.support.celery_workers import (
    PROJECT_ROOT,
    celery_workers,
    execute_job,
    shared_instance,
)
from enrichment_assets_tests.support.databases import (
    POSTGRES_HOST,
    drop_postgres_database,
    new_postgres_database,
)

# Real workers on the local Redis, the instance and the app database on the local PostgreSQL.
pytestmark = [pytest.mark.celery, pytest.mark.postgres]

RANGE = {
    "dagster/asset_partition_range_start": "2024-05-01",
    "dagster/asset_partition_range_end": "2024-05-16",
}


def snapshot(app_url: str) -> dict:
    engine = create_database_engine(app_url)
    with reading(engine) as connection:
        post_rows = connection.execute(
            sa.select(channels.c.handle, posts.c.external_id, posts.c.text, posts.c.content_hash)
            .join(channels)
            .order_by(channels.c.handle, posts.c.external_id)
        ).all()
        enrichment_rows = connection.execute(
            sa.select(channels.c.handle, posts.c.external_id, post_enrichment.c.kind,
                      post_enrichment.c.status, post_enrichment.c.payload)
            .join(posts, posts.c.id == post_enrichment.c.post_id)
            .join(channels)
            .order_by(channels.c.handle, posts.c.external_id, post_enrichment.c.kind)
        ).all()  # fmt: skip
    engine.dispose()
    return {"posts": [tuple(r) for r in post_rows],
            "enrichment": [(*r[:4], json.dumps(r[4], sort_keys=True))
                           for r in enrichment_rows]}  # fmt: skip


def test_a_backfill_on_two_celery_workers_equals_an_in_process_run(tmp_path, postgres_template):
    landing = tmp_path / "landing"
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "posts", landing)
    with (
        shared_instance(tmp_path, postgres_template, landing) as cluster,
        celery_workers(cluster, tmp_path, count=2) as logs,
    ):
        completed = execute_job("post_pipeline_celery", cluster.env, RANGE)
        assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
        assert "celery" in (completed.stdout + completed.stderr).lower()
        worker_logs = "".join(path.read_text() for path in logs)
        assert "execute_plan" in worker_logs and "succeeded" in worker_logs, worker_logs[-3000:]

        in_process_db = new_postgres_database(postgres_template)
        try:
            in_process_url = f"postgresql+psycopg://{POSTGRES_HOST}/{in_process_db}"
            in_process_env = {**cluster.env, "DATABASE_URL": in_process_url}
            completed = execute_job("post_pipeline", in_process_env, RANGE)
            assert completed.returncode == 0, completed.stderr[-4000:]
            celery_tables, in_process_tables = snapshot(cluster.app_url), snapshot(in_process_url)
        finally:
            drop_postgres_database(in_process_db)
    assert len(celery_tables["posts"]) == 240
    assert celery_tables == in_process_tables
