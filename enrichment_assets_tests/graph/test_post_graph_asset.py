"""The `post_graph` asset through dg.materialize on a real instance: metadata, data version,
the check that can fail, and its automation condition."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.defs.graph.assets import post_graph
from enrichment_assets.lib.graph.build import build_post_graph
from enrichment_assets.lib.graph.checks import check_post_graph
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage.tables import graph_edges
from enrichment_assets_tests.graph.evidence import enrich
from enrichment_assets_tests.graph.test_build import DAY, NEXT_DAY, fixture
from enrichment_assets_tests.support.factories import insert_post


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        yield instance


def _materialize(database_url: str, instance, partition: str = "2024-05-01"):
    return dg.materialize(
        [post_graph],
        resources={"db": DatabaseResource(url=database_url), "embedder": EmbedderResource()},
        partition_key=partition,
        instance=instance,
    )


def test_post_graph_materializes_a_day(database_url, engine, instance):
    posts = fixture(engine)
    result = _materialize(database_url, instance)
    assert result.success
    (materialization,) = result.asset_materializations_for_node("post_graph")
    meta = materialization.metadata
    assert meta["dagster/row_count"].value == 15
    assert meta["posts"].value == 3
    assert (meta["edges_inserted"].value, meta["edges_unchanged"].value) == (15, 0)
    assert meta["model"].value == "all-MiniLM-L6-v2"
    by_kind = {row.data["kind"]: row.data["edges"] for row in meta["edges_by_kind"].records}
    assert by_kind == {"CITES": 3, "MENTIONS": 5, "PUBLISHED": 3, "SAME_STORY": 1, "TAGGED": 3}
    nodes = {record.data["kind"]: record.data["nodes"] for record in meta["nodes_by_kind"].records}
    assert nodes["entity"] == 3 and nodes["post"] == 3
    assert "| Microsoft | ORG | 2 |" in meta["top_entities"].value
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["mentions_expected"].value == 5
    version = materialization.tags["dagster/data_version"]

    # Unchanged inputs: nothing written, the same data version.
    again = _materialize(database_url, instance)
    (materialization,) = again.asset_materializations_for_node("post_graph")
    assert materialization.metadata["edges_unchanged"].value == 15
    assert materialization.metadata["edges_inserted"].value == 0
    assert materialization.tags["dagster/data_version"] == version

    # A re-enriched post: another version.
    enrich(engine, posts["second"], [("Microsoft", "org")])
    changed = _materialize(database_url, instance)
    (materialization,) = changed.asset_materializations_for_node("post_graph")
    assert materialization.metadata["edges_deleted"].value == 2
    assert materialization.tags["dagster/data_version"] != version


def test_a_day_without_posts_is_an_empty_graph(sqlite_url, instance):
    result = _materialize(sqlite_url, instance, "2024-06-01")
    (materialization,) = result.asset_materializations_for_node("post_graph")
    assert materialization.metadata["dagster/row_count"].value == 0
    assert "no entity" in materialization.metadata["top_entities"].value
    assert result.get_asset_check_evaluations()[0].passed


def test_the_check_fails_when_the_graph_lacks_a_post_or_a_mention(engine):
    posts = fixture(engine)
    build_post_graph(engine, DAY, NEXT_DAY, "all-MiniLM-L6-v2")
    assert check_post_graph(engine, DAY, NEXT_DAY).passed
    late = insert_post(engine, "A late post.", external_id="late", published_at=DAY)
    enrich(engine, posts["first"], [("OpenAI", "org"), ("Anthropic", "org")])
    with engine.begin() as connection:
        connection.execute(
            sa.delete(graph_edges).where(
                graph_edges.c.kind == "PUBLISHED", graph_edges.c.post_id == posts["second"]
            )
        )
    check = check_post_graph(engine, DAY, NEXT_DAY)
    assert not check.passed
    assert check.posts_missing == sorted([posts["second"], late])
    assert check.mentions_missing == [(posts["first"], "ORG:anthropic")]
    assert "2 posts without node or PUBLISHED edge" in check.describe()


def test_post_graph_follows_any_input_of_any_day_by_automation():
    """A day is rebuilt when one input of it changed, even while the others never ran (a day
    may have no crawl), and only once."""
    stubs = []
    inputs = ("post_enrichments", "post_tags", "post_crawls", "near_duplicate_posts", "link_health")
    for name in inputs:

        @dg.asset(partitions_def=post_graph.partitions_def, name=name)
        def stub() -> None: ...

        stubs.append(stub)
    definitions = dg.Definitions(
        assets=[*stubs, post_graph],
        resources={"db": DatabaseResource(), "embedder": EmbedderResource()},
    )
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
        assert first.total_requested == 0
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="post_tags", partition="2024-05-01")
        )
        second = dg.evaluate_automation_conditions(
            defs=definitions, instance=instance, cursor=first.cursor
        )
        assert second.get_requested_partitions(post_graph.key) == {"2024-05-01"}
        third = dg.evaluate_automation_conditions(
            defs=definitions, instance=instance, cursor=second.cursor
        )
        assert third.total_requested == 0
    assert post_graph.group_names_by_key[post_graph.key] == "graph"
