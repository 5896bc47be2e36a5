"""The index job on a real repository: incremental runs equal a full rebuild, a parser change
re-parses once, a killed or time-limited run goes on to the same graph, and errors get the
legacy's treatment (storage errors wait and retry, bad paths fail at once)."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy.exc

from enrichment_assets.defs.code_graph import assets as code_graph_assets
from enrichment_assets.lib.code_graph import indexing, parsing, registry
from enrichment_assets.storage import code_graph as store
from enrichment_assets_tests.code_graph.conftest import index, snapshot, write_tree

REPORT = "geo/report.py::geo.report.report"
SQUARE = "geo/shapes.py::geo.shapes.Square"
SHAPE = "geo/shapes.py::geo.shapes.Shape"
CIRCLE = "geo/circle.py::geo.circle.Circle"


def _edges(engine, tenant, repo) -> set:
    return snapshot(engine, tenant, repo)[1]


def test_incremental_runs_equal_a_full_rebuild_and_parse_only_what_changed(
    engine, database_url, instance, project, code_roots, monkeypatch
):
    monkeypatch.setattr(indexing, "POOL_MIN_FILES", 2)  # parse on worker processes, as big repos do
    first = index(instance, engine, database_url, "inc", "small", project)
    assert first.metadata("code_graph")["parsed"] == 7
    edges = _edges(engine, "inc", "small")
    assert ("CALLS", REPORT, SQUARE) in edges
    # An edit of the callee (the caller's edge must survive), a renamed function (the caller's
    # edge must go), a deletion (the Go caller's edge must go), an addition, an emptied file.
    (project / "geo/shapes.py").write_text(
        (project / "geo/shapes.py").read_text().replace('"""Shapes."""', '"""Plane shapes."""')
    )
    (project / "geo/units.py").write_text("def to_centimetres(metres):\n    return metres * 100\n")
    (project / "tool/add.go").unlink()
    write_tree(project, {"geo/circle.py": "from geo.shapes import Shape\n\n\nclass Circle(Shape):"
                         "\n    def area(self):\n        return 3\n"})  # fmt: skip
    (project / "cli.py").write_text("")

    second = index(instance, engine, database_url, "inc", "small", project)
    metadata = second.metadata("code_graph")
    assert metadata["parsed"] == 4  # shapes, units, circle, cli: never report.py or main.go
    assert second.metadata("code_graph_manifest")["deleted"] == 1
    assert second.check("no_dangling_edges") and second.check("tenant_isolation")

    full = index(instance, engine, database_url, "full", "small", project)
    assert full.metadata("code_graph")["parsed"] == 7
    assert snapshot(engine, "inc", "small") == snapshot(engine, "full", "small")
    edges = _edges(engine, "inc", "small")
    assert (
        "CALLS",
        "geo/report.py::geo.report.report",
        "geo/shapes.py::geo.shapes.Square",
    ) in edges
    assert not any(t.startswith("tool/add.go") or t.startswith("geo/units.py::geo.units.to_cm")
                   for _, _, t in edges)  # fmt: skip
    assert (
        "INHERITS",
        "geo/circle.py::geo.circle.Circle",
        "geo/shapes.py::geo.shapes.Shape",
    ) in edges

    third = index(instance, engine, database_url, "inc", "small", project)
    assert third.metadata("code_graph")["parsed"] == 0
    assert third.metadata("code_graph")["edges_rewritten_files"] == 0


def test_a_parser_change_re_parses_every_file_once(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    before = snapshot(sqlite_engine, "t", "small")
    monkeypatch.setattr(code_graph_assets, "parser_fingerprint", lambda: "a-new-grammar")
    again = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert again.metadata("code_graph_manifest")["changed"] == 7
    assert again.metadata("code_graph")["parsed"] == 7
    assert index(instance, sqlite_engine, sqlite_url, "t", "small", project).metadata(
        "code_graph")["parsed"] == 0  # fmt: skip
    assert snapshot(sqlite_engine, "t", "small") == before


def test_a_run_killed_mid_parse_resumes_to_the_same_graph(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    real_parse = parsing.parse_file
    calls = []

    def dies_on_the_fourth_file(path, source, language):
        calls.append(path)
        if len(calls) == 4:
            raise SystemExit("killed")  # like a kill: no handler of ours runs
        return real_parse(path, source, language)

    monkeypatch.setattr(parsing, "parse_file", dies_on_the_fourth_file)
    monkeypatch.setattr(
        indexing, "WRITE_BATCH", 1
    )  # every file its own commit, as a big run's batch
    with pytest.raises(SystemExit):
        index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert store.get_repository(sqlite_engine, "t", "small").state == "indexing"
    monkeypatch.setattr(parsing, "parse_file", real_parse)
    resumed = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert resumed.metadata("code_graph")["parsed"] == 4  # the three before the kill are kept
    index(instance, sqlite_engine, sqlite_url, "whole", "small", project)
    assert snapshot(sqlite_engine, "t", "small") == snapshot(sqlite_engine, "whole", "small")


def test_the_soft_time_limit_keeps_what_was_parsed_and_the_sensor_goes_on(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    monkeypatch.setenv("CODE_GRAPH_SOFT_LIMIT_MINUTES", "0.000001")
    cut = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert cut.metadata("code_graph")["parsed"] == 1  # at least one file a run: it always moves
    assert cut.metadata("code_graph")["complete"] is False
    assert cut.check("no_dangling_edges")
    row = store.get_repository(sqlite_engine, "t", "small")
    assert row.state == "partial"
    (wanted,) = registry.runs_to_request(sqlite_engine, [cut.key])
    assert wanted.run_key.startswith(f"{cut.key}:") and ":after-" in wanted.run_key
    monkeypatch.delenv("CODE_GRAPH_SOFT_LIMIT_MINUTES")
    done = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert done.metadata("code_graph")["parsed"] == 6
    assert store.get_repository(sqlite_engine, "t", "small").state == "indexed"
    assert registry.runs_to_request(sqlite_engine, [cut.key]) == []


def test_a_path_that_left_the_roots_fails_at_once_with_no_retry(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch, tmp_path
):
    registry.register(sqlite_engine, "t", "small", project, [code_roots])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("CODE_GRAPH_ROOTS", str(elsewhere))
    result = index(instance, sqlite_engine, sqlite_url, "t", "small", project,
                   raise_on_error=False, resources={})  # fmt: skip
    assert not result.result.success
    (failure,) = [e for e in result.result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "outside CODE_GRAPH_ROOTS" in failure.event_specific_data.error.message
    assert not [e for e in result.result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_storage_errors_wait_as_the_legacy_did_then_succeed(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    asked = []  # the retry numbers the waits were asked for; the clock is never slept on
    monkeypatch.setattr(code_graph_assets, "storage_retry_wait", lambda n: asked.append(n) or 0)
    real = store.files_to_parse
    failures = iter([True, True])

    def flaky(*args, **kwargs):
        if next(failures, False):
            raise sqlalchemy.exc.OperationalError("SELECT", {}, ConnectionError("server closed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "files_to_parse", flaky)
    result = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    assert result.result.success
    assert asked == [0, 1]
    retries = [e for e in result.result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 2


def test_the_legacy_waits_are_60_120_240_jittered_and_never_past_600():
    import random

    random.seed(7)
    for attempt, (low, high) in enumerate([(45, 75), (90, 150), (180, 300), (360, 600)]):
        for _ in range(50):
            assert low <= code_graph_assets.storage_retry_wait(attempt) <= high
    assert max(code_graph_assets.storage_retry_wait(9) for _ in range(50)) <= 600


def test_a_file_that_does_not_parse_is_recorded_and_the_rest_lands(
    sqlite_engine, sqlite_url, instance, project, code_roots
):
    write_tree(project, {"geo/broken.py": "def nope(:\n    return (\n"})
    result = index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    metadata = result.metadata("code_graph")
    assert metadata["parse_errors"] == 1 and metadata["parsed"] == 8
    assert not result.check("parse_error_rate")  # 1 of 8 is past 5 %: a warning
    files = store.stored_files(sqlite_engine, "t", "small")
    assert files["geo/broken.py"].status == "error"
    assert "syntax error at line 1" in files["geo/broken.py"].error


def test_unregister_removes_every_row(sqlite_engine, sqlite_url, instance, project, code_roots):
    index(instance, sqlite_engine, sqlite_url, "t", "small", project)
    removed = registry.unregister(sqlite_engine, "t", "small")
    assert removed["code_nodes"] > 0 and removed["code_repositories"] == 1
    assert snapshot(sqlite_engine, "t", "small") == (set(), set())
    shutil.rmtree(project)
