"""Configuration through the whole project: the database is checked when a run starts, the
retry policies are on the loaded assets, and the commands fail with one line on a bad setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.definitions import defs
from enrichment_assets.defs.articles.jobs import STAGE_ASSETS
from enrichment_assets.defs.code_graph.jobs import INDEX_ASSETS
from enrichment_assets.defs.posts.assets import posts
from enrichment_assets.defs.retries import ARTICLE_STAGE_RETRY, DATABASE_RETRY, NETWORK_RETRY
from enrichment_assets.resources.database import (
    DatabaseResource,
    DatabaseUnreachable,
    open_database,
)
from enrichment_assets.resources.landing import LandingResource
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import posts as posts_table
from enrichment_assets_tests.support.posts import telegram_message, unixtime, write_telegram_export

PROJECT_ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql+psycopg://app:hunter2@127.0.0.1:1/nowhere"
NETWORK_ASSETS = {"hf_datasets", "kaggle_latest_datasets", "kaggle_dataset_details",
                  "post_enrichments", "post_tags", "post_crawls", "link_health"}  # fmt: skip


def run_failure_line(result: dg.ExecuteInProcessResult) -> str:
    event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    error = event.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


@pytest.fixture
def landing(tmp_path) -> Path:
    folder = tmp_path / "landing"
    write_telegram_export(
        folder / "demo" / "result.json", [telegram_message(1, "Markets", unixtime(2024, 5, 1, 9))]
    )
    return folder


def materialize_posts(landing: Path, db: DatabaseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [posts],
        resources={"db": db, "landing": LandingResource(path=str(landing))},
        partition_key="2024-05-01",
        raise_on_error=False,
    )


def test_an_unreachable_database_fails_the_run_naming_the_setting(monkeypatch, landing):
    monkeypatch.setenv("DATABASE_URL", UNREACHABLE)
    result = materialize_posts(landing, DatabaseResource())
    assert not result.success
    line = run_failure_line(result)
    assert (
        "DATABASE_URL: cannot connect to postgresql+psycopg://app:***@127.0.0.1:1/nowhere" in line
    )
    assert "\n" not in line
    assert "hunter2" not in "".join(str(e) for e in result.all_events)


def test_a_bad_start_date_fails_the_posts_run_and_writes_nothing(monkeypatch, sqlite_url, landing):
    monkeypatch.setenv("POSTS_START_DATE", "2024-13-01")
    result = materialize_posts(landing, DatabaseResource(url=sqlite_url))
    assert not result.success
    assert "POSTS_START_DATE must be YYYY-MM-DD, got '2024-13-01'" in run_failure_line(result)
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(posts_table)).scalar() == 0
    engine.dispose()


def test_every_asset_carries_a_retry_policy_with_backoff_and_jitter():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    keys = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    assert len(keys) >= 13
    # The code graph retries in the step, storage errors only, with the legacy's waits
    # (`legacy_retries`; tested in code_graph/test_indexing.py): a policy would retry any error.
    code_graph = {key for key in keys if definitions.get_assets_def(key).group_names_by_key[key]
                  == "code_graph"}  # fmt: skip
    assert {key.to_user_string() for key in code_graph} == set(INDEX_ASSETS)
    for key in code_graph:
        assert definitions.get_assets_def(key).op.retry_policy is None
    for key in set(keys) - code_graph:
        policy = definitions.get_assets_def(key).op.retry_policy
        name = key.to_user_string()
        expected = (
            ARTICLE_STAGE_RETRY
            if name in STAGE_ASSETS
            else NETWORK_RETRY
            if name in NETWORK_ASSETS
            else DATABASE_RETRY
        )
        assert policy == expected, key.to_user_string()
        assert policy.max_retries >= 1
        assert policy.backoff == dg.Backoff.EXPONENTIAL and policy.jitter == dg.Jitter.PLUS_MINUS


def run_command(module: str, tmp_path: Path, *args: str, **env: str):
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("module", "args"),
    [("enrichment_assets.demo", ()), ("enrichment_assets.search", ("markets",))],
)
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ENRICHMENT_RATE_LIMIT": "abc"}, "ENRICHMENT_RATE_LIMIT must be a number, got 'abc'"),
        ({"DATABASE_URL": UNREACHABLE}, "DATABASE_URL: cannot connect to "),
    ],
)
def test_the_commands_print_one_line_and_exit_non_zero(tmp_path, module, args, env, expected):
    if module.endswith("search") and "ENRICHMENT_RATE_LIMIT" in env:
        env = {"EMBEDDING_BATCH_SIZE": "abc"}
        expected = "EMBEDDING_BATCH_SIZE must be a whole number, got 'abc'"
    completed = run_command(module, tmp_path, *args, **env)
    assert completed.returncode == 2, completed.stderr[-2000:]
    assert completed.stderr.count("\n") == 1 and expected in completed.stderr
    assert "Traceback" not in completed.stderr and "hunter2" not in completed.stderr
    assert not (tmp_path / "data").exists()  # the demo stopped before copying anything


def test_a_malformed_url_is_named_without_showing_it():
    with pytest.raises(DatabaseUnreachable) as raised:
        open_database("hunter2@not a url", "db.url")
    assert str(raised.value).startswith("db.url: cannot connect to <not a URL>: ")
    assert "hunter2" not in str(raised.value) and "\n" not in str(raised.value)
