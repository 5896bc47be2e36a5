"""The repositories sensor (a run per new commit, or per change of a plain folder) and the
command (`register`, `index`, `status`, `unregister`), on a real Dagster instance."""

from __future__ import annotations

import json
import subprocess

import dagster as dg
import pytest

from enrichment_assets import code_graph as command
from enrichment_assets.definitions import defs
from enrichment_assets.defs.code_graph.sensors import code_repositories_sensor
from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph import registry
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import code_graph as store
from enrichment_assets_tests.code_graph.conftest import index, roots_for


def _git(path, *args):
    subprocess.run(
        ["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True, capture_output=True,
    )  # fmt: skip


def _tick(instance, url):
    with dg.build_sensor_context(
        instance=instance, resources={"db": DatabaseResource(url=url)},
        definitions=defs(),
    ) as context:  # fmt: skip
        return code_repositories_sensor(context)


def test_the_sensor_asks_for_a_run_per_new_commit(
    sqlite_engine, sqlite_url, instance, project, code_roots
):
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "commit", "-qm", "first")
    key = registry.register(sqlite_engine, "t", "small", project, roots_for(project))
    instance.add_dynamic_partitions(code_repositories.name, [key])
    head = registry.current_revision(project, "git")
    (request,) = _tick(instance, sqlite_url).run_requests
    assert request.run_key == f"{key}:{head}" and request.partition_key == key
    assert request.tags["dagster/max_runtime"] == "3600"

    index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert store.get_repository(sqlite_engine, "t", "small").indexed_revision == head
    assert not _tick(instance, sqlite_url).run_requests

    (project / "cli.py").write_text("def main():\n    return 1\n")
    assert not _tick(instance, sqlite_url).run_requests  # not committed yet: HEAD is the same
    _git(project, "commit", "-qam", "second")
    (request,) = _tick(instance, sqlite_url).run_requests
    assert request.run_key == f"{key}:{registry.current_revision(project, 'git')}"


def test_a_plain_folder_is_noticed_by_its_files(
    sqlite_engine, sqlite_url, instance, project, code_roots
):
    key = registry.register(sqlite_engine, "t", "small", project, roots_for(project))
    instance.add_dynamic_partitions(code_repositories.name, [key])
    index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert not _tick(instance, sqlite_url).run_requests
    (project / "geo" / "more.py").write_text("def more():\n    return 2\n")
    (request,) = _tick(instance, sqlite_url).run_requests
    assert request.run_key.startswith(f"{key}:folder-")


@pytest.fixture
def command_environment(monkeypatch, tmp_path, sqlite_url, code_roots):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def test_the_command_registers_indexes_reports_and_unregisters(
    command_environment, project, capsys
):
    assert command.main(["register", "--tenant", "acme", "--repo", "small",
                         "--path", str(project)]) == 0  # fmt: skip
    key = capsys.readouterr().out.strip().splitlines()[-1]
    assert key == "acme.small"
    assert command.main(["index", key]) == 0
    capsys.readouterr()
    assert command.main(["status", "--tenant", "acme", "--repo", "small"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["files"] == 7 and status["parsed_last_run"] == 7
    assert set(status["nodes"]) == {"module", "class", "function", "method"}
    assert status["nodes"]["class"] == 2 and status["edges"]["CALLS"] > 0
    assert status["progress"] == 100
    assert set(status["phases"]) == {"walk", "hash", "parse", "resolve", "write", "embed"}
    # Another tenant sees nothing of it.
    assert command.main(["status", "--tenant", "globex", "--repo", "small"]) == 2
    assert "no repository" in capsys.readouterr().err
    assert command.main(["unregister", "--tenant", "acme", "--repo", "small"]) == 0
    assert command.main(["status", "--tenant", "acme", "--repo", "small"]) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["register", "--tenant", "Acme", "--repo", "x", "--path", "."], "tenant 'Acme'"),
        (["register", "--tenant", "a", "--repo", "x/y", "--path", "."], "repository 'x/y'"),
        (["register", "--tenant", "a", "--repo", "x", "--path", "/etc"], "outside CODE_GRAPH"),
        (["index", "no-dot"], "not a repository key"),
        (["index", "a.unknown"], "register it first"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(command_environment, argv, message, capsys):
    assert command.main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
