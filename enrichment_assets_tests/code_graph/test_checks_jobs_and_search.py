"""The graph's checks can fail (and block what follows), the launchpad's jobs register and
unregister, progress only moves forward, and code search reads one tenant's vectors."""

from __future__ import annotations

import re

import dagster as dg

from enrichment_assets import search
from enrichment_assets.definitions import defs
from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph import indexing, registry
from enrichment_assets.lib.code_graph.records import Edge
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import code_graph_status
from enrichment_assets_tests.code_graph.conftest import copy_sample, index, roots_for

GHOST = "geo/ghost.py::geo.ghost.nothing"


def test_a_dangling_edge_fails_its_check_and_blocks_the_embeddings(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    real = indexing.resolve_edges_counted

    def with_a_ghost(files):
        edges, unresolved = real(files)
        edges["cli.py"] = edges["cli.py"] | {Edge("CALLS", "cli.py::cli.main", GHOST)}
        return edges, unresolved

    monkeypatch.setattr(indexing, "resolve_edges_counted", with_a_ghost)
    result = index(instance, sqlite_engine, sqlite_url, "t", "small", project,
                   assets=("code_graph_manifest", "code_graph", "code_embeddings"),
                   raise_on_error=False)  # fmt: skip
    assert result.check("no_dangling_edges") is False
    materialized = {e.asset_key.to_user_string() for e in
                    result.result.get_asset_materialization_events()}  # fmt: skip
    assert "code_embeddings" not in materialized  # the blocking check stopped it


def test_tenant_isolation_fails_when_the_tenant_filter_breaks(
    sqlite_engine, sqlite_url, instance, project, code_roots, monkeypatch
):
    assert index(instance, sqlite_engine, sqlite_url, "t", "small", project).check(
        "tenant_isolation")  # fmt: skip
    # A repository layer that forgot the tenant: SQLite has nothing else to stop it.
    monkeypatch.setattr(
        code_graph_status, "tenant_scope",
        lambda table, tenant, repo: table.c.repository_id == repo,
    )  # fmt: skip
    broken = index(instance, sqlite_engine, sqlite_url, "t", "small", project,
                   raise_on_error=False)  # fmt: skip
    assert broken.check("tenant_isolation") is False


def test_progress_only_moves_forward_and_every_line_names_the_tenant(
    sqlite_engine, sqlite_url, instance, project, code_roots
):
    result = index(instance, sqlite_engine, sqlite_url, "acme", "small", project,
                   assets=("code_graph_manifest", "code_graph", "code_embeddings"))  # fmt: skip
    lines = [
        record.user_message
        for record in instance.all_logs(result.result.run_id)
        if record.step_key and record.level >= 20 and "%" in record.user_message
    ]
    assert lines and all(line.startswith("[tenant=acme repo=small] ") for line in lines)
    percents = [int(re.search(r"\((\d+)% overall\)", line).group(1)) for line in lines]
    assert percents == sorted(percents) and percents[-1] == 100
    status = registry.status(sqlite_engine, "acme", "small")
    assert status["progress"] == 100
    assert {phase["state"] for phase in status["phases"].values()} == {"done"}


def test_the_launchpad_jobs_register_and_unregister(sqlite_url, sqlite_engine, project, code_roots):
    definitions = defs()
    resources = {"db": DatabaseResource(url=sqlite_url)}
    with dg.instance_for_test() as instance:
        register = definitions.resolve_job_def("register_repository")
        done = register.execute_in_process(
            instance=instance, resources=resources,
            run_config={"ops": {"record_repository": {"config": {
                "tenant": "acme", "repository": "small", "path": str(project)}}}},
        )  # fmt: skip
        assert done.success
        assert instance.get_dynamic_partitions(code_repositories.name) == ["acme.small"]
        refused = register.execute_in_process(
            instance=instance, resources=resources, raise_on_error=False,
            run_config={"ops": {"record_repository": {"config": {
                "tenant": "acme", "repository": "other", "path": "/etc"}}}},
        )  # fmt: skip
        assert not refused.success
        assert not [e for e in refused.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        unregister = definitions.resolve_job_def("unregister_repository")
        assert unregister.execute_in_process(
            instance=instance, resources=resources,
            run_config={"ops": {"remove_repository": {"config": {
                "tenant": "acme", "repository": "small"}}}},
        ).success  # fmt: skip
        assert instance.get_dynamic_partitions(code_repositories.name) == []
    assert not registry.is_registered(sqlite_engine, "acme", "small")


def test_code_search_finds_one_tenants_code(
    sqlite_engine, sqlite_url, instance, tmp_path, code_roots, monkeypatch, capsys
):
    sample = copy_sample(code_roots / "shop")
    every_asset = ("code_graph_manifest", "code_graph", "code_embeddings")
    first = index(instance, sqlite_engine, sqlite_url, "acme", "shop", sample, assets=every_asset)
    assert first.metadata("code_embeddings")["encoded"] == 49
    again = index(instance, sqlite_engine, sqlite_url, "acme", "shop", sample, assets=every_asset)
    assert again.metadata("code_embeddings")["encoded"] == 0  # nothing changed, nothing encoded
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    query = ["the total price of an order with tax", "--kind", "code", "-k", "3"]
    assert search.main([*query, "--tenant", "acme"]) == 0
    out = capsys.readouterr().out
    assert "shop.pricing.order_total" in out.splitlines()[1]
    assert search.main([*query, "--tenant", "globex"]) == 1  # another tenant: nothing
    assert "no code vectors for tenant globex" in capsys.readouterr().err
    assert search.main([*query]) == 2
    assert roots_for(sample)
