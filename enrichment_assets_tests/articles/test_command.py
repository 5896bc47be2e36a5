"""`python -m enrichment_assets.articles` as a person runs it: request an article, list it,
generate it on the Dagster instance at DAGSTER_HOME (the run shows in the UI), show it as JSON;
and one line with exit status 2 for what cannot be done. Each command is a subprocess, so the
steps share a test."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy.engine import Engine

from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.lib.articles.requests import make_request
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets_tests.articles.conftest import seed_posts
from enrichment_assets_tests.test_configuration import run_command

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODULE = "enrichment_assets.articles"
SHOWN = {"status", "stage", "title", "markdown", "sources", "claims", "scores", "checks"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGSTER_HOME with the project's own dagster.yaml (its storage paths are relative to the
    working directory, which is this folder for the commands and for the test)."""
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """The commands' code is the same on either database (the storage tests run both); one is
    enough here, where every command pays for a new process."""
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def articles(home: Path, database_url: str, *args: str):
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return run_command(MODULE, home, *args, DATABASE_URL=database_url, PYTHONPATH=path)


def test_request_list_generate_and_show_an_article(sqlite_engine, encode, sqlite_url, home):
    database_url = sqlite_url
    seed_posts(sqlite_engine, encode)
    requested = articles(
        home, database_url, "request", "Floods displace thousands",
        "--keywords", "floods,shelters", "--priority", "high", "--approve",
    )  # fmt: skip
    assert requested.returncode == 0, requested.stderr[-2000:]
    key = requested.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"r[0-9]+-floods-displace-thousands", key)

    listed = articles(home, database_url, "list")
    assert listed.returncode == 0, listed.stderr[-2000:]
    [line] = [line for line in listed.stdout.splitlines() if key in line]
    assert "approved" in line and "high" in line and "Floods displace thousands" in line

    generated = articles(home, database_url, "generate", key)
    assert generated.returncode == 0, generated.stdout[-2000:] + generated.stderr[-2000:]
    assert generated.stdout.strip().splitlines()[-1] == f"{key}: ready"

    with dg.DagsterInstance.from_config(str(home)) as instance:
        [run] = instance.get_runs()
        assert run.job_name == "generate_article"
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/partition"] == key
        assert run.tags["dagster/priority"] == "10"
        assert run.tags["dagster/max_runtime"] == "1800"
        assert instance.has_dynamic_partition(article_requests.name, key)
        materialized = instance.get_materialized_partitions(dg.AssetKey("article_publication"))
        assert materialized == {key}

    shown = articles(home, database_url, "show", key)
    assert shown.returncode == 0, shown.stderr[-2000:]
    article = json.loads(shown.stdout)
    assert SHOWN | {"cost_usd"} <= set(article)
    assert (article["status"], article["stage"]) == ("ready", "scores")
    assert article["title"] and article["markdown"].startswith(f"# {article['title']}")
    assert article["sources"] and article["claims"] and article["scores"]
    for source in article["sources"]:
        assert {"n", "channel", "text"} <= set(source), source
        assert source.get("post_id") or source.get("url"), source
        assert f"[{source['n']}]" in article["markdown"]
    assert set(article["checks"]) == set(article["scores"])
    for name, check in article["checks"].items():
        assert set(check) == {"passed", "reason"}, name
        assert check["passed"] is True and isinstance(check["reason"], str), (name, check)
    assert article["cost_usd"] == 0.0


def test_what_cannot_be_generated_exits_2_with_one_line(sqlite_engine, sqlite_url, home):
    pending = make_request(sqlite_engine, "Museum returns paintings").partition_key
    for key, expected in [
        (pending, f"request {pending} is pending: approve it first"),
        ("r404-nowhere", "no article request 'r404-nowhere'"),
    ]:
        completed = articles(home, sqlite_url, "generate", key)
        assert completed.returncode == 2, completed.stderr[-2000:]
        assert completed.stderr == f"articles: {expected}\n"
        assert "Traceback" not in completed.stderr
    refused = articles(home, sqlite_url, "request", " \t ", "--priority", "urgent")
    assert refused.returncode == 2
    assert refused.stderr == "articles: topic is empty: say what the article is about\n"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []
