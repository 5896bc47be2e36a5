"""Local Celery workers and a shared PostgreSQL instance, for the scale-out test and bench."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from enrichment_assets_tests.support.databases import (
    POSTGRES_HOST,
    drop_postgres_database,
    new_postgres_database,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BROKER_DB, BACKEND_DB = 11, 12


@dataclass
class Cluster:
    env: dict[str, str]
    app_url: str
    logs: list[Path]


@contextlib.contextmanager
def shared_instance(root: Path, app_template: str, landing: Path) -> Iterator[Cluster]:
    """A Dagster instance on PostgreSQL (what every worker must share) and an app database."""
    dagster_db = new_postgres_database("template0")
    app_db = new_postgres_database(app_template)
    home = root / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    for db in (BROKER_DB, BACKEND_DB):
        redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    app_url = f"postgresql+psycopg://{POSTGRES_HOST}/{app_db}"
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # the worker CLI runs `celery`
        "DAGSTER_HOME": str(home),
        # dagster-postgres speaks psycopg2 (NOTIFY with bound parameters), and SQLAlchemy 2.1
        # maps a bare postgresql:// to psycopg 3: the Dagster storage URL names its driver.
        "DAGSTER_POSTGRES_URL": f"postgresql+psycopg2://{POSTGRES_HOST}/{dagster_db}",
        "DATABASE_URL": app_url,
        "LANDING_DIR": str(landing),
        "LLM_PROVIDER": "local",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{BROKER_DB}",
        "CELERY_RESULT_BACKEND": f"redis://127.0.0.1:6379/{BACKEND_DB}",
    }
    # Create Dagster's tables once, before any worker starts: processes that all find an empty
    # database race to create them (the production guide says the same).
    subprocess.run([str(BIN / "dagster"), "instance", "migrate"], env=env, cwd=PROJECT_ROOT,
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield Cluster(env=env, app_url=app_url, logs=[])
    finally:
        drop_postgres_database(dagster_db)
        drop_postgres_database(app_db)


@contextlib.contextmanager
def celery_workers(cluster: Cluster, root: Path, count: int = 2) -> Iterator[list[Path]]:
    """`count` dagster-celery workers (one task at a time each), ready when this yields."""
    processes = []
    for index in range(count):
        log_path = root / f"worker-{index}.log"
        log = log_path.open("w")
        command = [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                   "-y", str(PROJECT_ROOT / "deploy" / "celery-worker.yaml"),
                   "-n", f"worker-{index}@%h", "--", "--concurrency=1", "--pool=solo"]  # fmt: skip
        # Own session: `dagster-celery worker start` runs `celery` as a child, and stopping only
        # the wrapper would leave a worker consuming the next run's tasks with stale settings.
        worker = subprocess.Popen(command, env=cluster.env, cwd=PROJECT_ROOT, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        processes.append(worker)
        cluster.logs.append(log_path)
    try:
        deadline = time.monotonic() + 120
        while not all("ready." in path.read_text() for path in cluster.logs):
            dead = [path for process, path in zip(processes, cluster.logs, strict=True)
                    if process.poll() is not None]  # fmt: skip
            assert not dead, dead and dead[0].read_text()[-3000:]
            assert time.monotonic() < deadline, "Celery workers did not start within 120 s"
            time.sleep(0.5)
        yield cluster.logs
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def execute_job(job: str, env: dict, tags: dict, timeout: float = 600):
    """`dagster job execute` of `job` (its own executor: in-process steps or Celery)."""
    import json

    return subprocess.run(
        [str(BIN / "dagster"), "job", "execute", "-m", "enrichment_assets.definitions",
         "-j", job, "--tags", json.dumps(tags)],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
