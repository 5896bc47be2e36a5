"""The post pipeline on two real Celery workers (broker: the local Redis), with the Dagster
instance and the app database on the local PostgreSQL: the same tables as an in-process run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from enrichment_assets.storage import create_database_engine, reading
from enrichment_assets.storage.tables import channels, post_enrichment, posts
from enrichment_assets_tests.conftest import (
    POSTGRES_HOST,
    drop_postgres_database,
    new_postgres_database,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RANGE = {
    "dagster/asset_partition_range_start": "2024-05-01",
    "dagster/asset_partition_range_end": "2024-05-16",
}
BROKER_DB, BACKEND_DB = 11, 12


@pytest.fixture
def shared_postgres(postgres_template):
    """An empty database for Dagster's storage, and a migrated one for the app."""
    dagster_db = new_postgres_database("template0")
    app_db = new_postgres_database(postgres_template)
    # dagster-postgres speaks psycopg2 (NOTIFY with bound parameters), and SQLAlchemy 2.1 maps a
    # bare postgresql:// to psycopg 3: the Dagster storage URL names its driver.
    yield (f"postgresql+psycopg2://{POSTGRES_HOST}/{dagster_db}",
           f"postgresql+psycopg://{POSTGRES_HOST}/{app_db}")  # fmt: skip
    drop_postgres_database(dagster_db)
    drop_postgres_database(app_db)


@pytest.fixture
def celery_environment(tmp_path, shared_postgres):
    dagster_url, app_url = shared_postgres
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    landing = tmp_path / "landing"
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "posts", landing)
    for db in (BROKER_DB, BACKEND_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # the worker CLI runs `celery`
        "DAGSTER_HOME": str(home),
        "DAGSTER_POSTGRES_URL": dagster_url,
        "DATABASE_URL": app_url,
        "LANDING_DIR": str(landing),
        "LLM_PROVIDER": "local",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:6379/{BACKEND_DB}",
    }
    return env, app_url


@pytest.fixture
def two_workers(celery_environment, tmp_path):
    env, _ = celery_environment
    workers = []
    for name in ("worker-a", "worker-b"):
        log = (tmp_path / f"{name}.log").open("w")
        workers.append(
            (
                subprocess.Popen(
                    [
                        str(BIN / "dagster-celery"),
                        "worker",
                        "start",
                        "-A",
                        "dagster_celery.app",
                        "-y",
                        str(PROJECT_ROOT / "deploy" / "celery-worker.yaml"),
                        "-n",
                        f"{name}@%h",
                        "--",
                        "--concurrency=1",
                        "--pool=solo",
                    ],
                    env=env,
                    cwd=PROJECT_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                tmp_path / f"{name}.log",
            )
        )
    deadline = time.monotonic() + 120
    while not all("ready." in path.read_text() for _, path in workers):
        dead = [path for process, path in workers if process.poll() is not None]
        assert not dead and time.monotonic() < deadline, dead and dead[0].read_text()[-3000:]
        time.sleep(0.5)
    yield workers
    for process, _ in workers:
        process.terminate()
    for process, _ in workers:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


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


def execute(job: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "enrichment_assets.definitions",
         "-j", job, "--tags", json.dumps(RANGE)],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_backfill_on_two_celery_workers_equals_an_in_process_run(
    celery_environment, two_workers, postgres_template
):
    env, celery_app_url = celery_environment
    completed = execute("post_pipeline_celery", env)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert "celery" in (completed.stdout + completed.stderr).lower()
    logs = "".join(path.read_text() for _, path in two_workers)
    assert "execute_plan" in logs and "succeeded" in logs, logs[-3000:]

    in_process_db = new_postgres_database(postgres_template)
    try:
        in_process_url = f"postgresql+psycopg://{POSTGRES_HOST}/{in_process_db}"
        completed = execute("post_pipeline", {**env, "DATABASE_URL": in_process_url})
        assert completed.returncode == 0, completed.stderr[-4000:]
        celery_tables, in_process_tables = snapshot(celery_app_url), snapshot(in_process_url)
    finally:
        drop_postgres_database(in_process_db)
    assert len(celery_tables["posts"]) == 240
    assert celery_tables == in_process_tables
