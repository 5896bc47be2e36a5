"""The `entity_trends` asset on the hand-made graph, materialized on a real (temporary)
instance: the stored list, its replacement when the graph changes, a range of days in one run,
and the metadata; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.graph.trends import entity_trends
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage.graph_queries import stored_trends
from enrichment_assets.storage.tables import entity_trends as trends_table
from enrichment_assets.storage.tables import graph_edges
from enrichment_assets_tests.graph.handmade import build_handmade

DAY = date(2024, 5, 4)


def materialize(instance, database_url: str, days: int = 2, **run) -> dict:
    result = dg.materialize(
        [entity_trends],
        instance=instance,
        resources={"db": DatabaseResource(url=database_url)},
        run_config={"ops": {"entity_trends": {"config": {"days": days, "limit": 20}}}},
        **run,
    )
    # A range run materializes every day of it, each with the run's metadata.
    materialization = result.asset_materializations_for_node("entity_trends")[-1]
    return {name: value.value for name, value in materialization.metadata.items()}


def listed(engine, day: date = DAY, days: int = 2) -> list[tuple]:
    return [
        (row.rank, row.label, row.entity_type, row.mentions, row.previous, row.channels)
        for row in stored_trends(engine, day, days)
    ]


def test_the_days_list_is_stored_and_replaced(engine, database_url):
    graph = build_handmade(engine)
    with dg.instance_for_test() as instance:
        metadata = materialize(instance, database_url, partition_key="2024-05-04")
        assert listed(engine) == [
            (1, "Kyiv", "LOC", 3, 0, 2),
            (2, "Apple", "ORG", 2, 0, 2),
            (3, "Apple", "PRODUCT", 1, 0, 1),
        ]
        assert metadata["dagster/row_count"] == 3
        assert metadata["top_entity"] == "Kyiv (LOC), +3"
        assert metadata["day"] == "2024-05-04" and metadata["window_days"] == 2
        table = metadata["trending"]
        assert (
            table.splitlines()[0] == "| # | entity | type | mentions | previous | rise | channels |"
        )
        assert "| 1 | Kyiv | LOC | 3 | 0 | +3 | 2 |" in table

        with engine.connect() as connection:
            before = dict(
                connection.execute(
                    sa.select(trends_table.c.node_id, trends_table.c.updated_at)
                ).all()
            )
        # A re-run with an unchanged graph rewrites nothing.
        materialize(instance, database_url, partition_key="2024-05-04")
        with engine.connect() as connection:
            after = dict(
                connection.execute(
                    sa.select(trends_table.c.node_id, trends_table.c.updated_at)
                ).all()
            )
        assert after == before

        # p8 re-enriched without entities: Apple PRODUCT leaves the list, Apple ORG falls to 1.
        with engine.begin() as connection:
            connection.execute(
                graph_edges.delete().where(
                    graph_edges.c.kind == "MENTIONS", graph_edges.c.post_id == graph.post["p8"]
                )
            )
        materialize(instance, database_url, partition_key="2024-05-04")
        assert listed(engine) == [(1, "Kyiv", "LOC", 3, 0, 2), (2, "Apple", "ORG", 1, 0, 1)]
        # Another window of the same day is its own list.
        materialize(instance, database_url, days=1, partition_key="2024-05-04")
        assert listed(engine, days=1) == [(1, "Apple", "ORG", 1, 0, 1)]
        assert len(listed(engine)) == 2


def test_a_range_of_days_in_one_run(engine, database_url):
    build_handmade(engine)
    with dg.instance_for_test() as instance:
        metadata = materialize(
            instance,
            database_url,
            tags={
                "dagster/asset_partition_range_start": "2024-05-01",
                "dagster/asset_partition_range_end": "2024-05-04",
            },
        )
    # Windows of two days: 05-01 against 04-28..29, 05-02 against 04-29..30 (GPT-5 and OpenAI
    # both +2: by label), 05-03 against 04-30..05-01 (only Kyiv rose), 05-04 as above.
    assert {
        day: [row[1] for row in listed(engine, date(2024, 5, day))] for day in (1, 2, 3, 4)
    } == {
        1: ["OpenAI", "GPT-5", "Sam Altman"],
        2: ["GPT-5", "OpenAI", "Sam Altman"],
        3: ["Kyiv"],
        4: ["Kyiv", "Apple", "Apple"],
    }
    assert metadata["day"] == "2024-05-04"
    assert metadata["dagster/row_count"] == sum(
        len(listed(engine, date(2024, 5, day))) for day in (1, 2, 3, 4)
    )


def test_nothing_rising_stores_nothing(engine, database_url):
    with dg.instance_for_test() as instance:
        metadata = materialize(instance, database_url, partition_key="2024-05-04")
    assert metadata["dagster/row_count"] == 0
    assert metadata["top_entity"] == "none rose"
    assert listed(engine) == []


def test_a_days_list_follows_the_graph_of_every_day_it_reads():
    """A change to the graph of 05-01 makes the lists of 05-01 … 05-14 stale (their two default
    windows read it), and no other day's."""

    @dg.asset(partitions_def=entity_trends.partitions_def, name="post_graph")
    def graph_stub() -> None: ...

    definitions = dg.Definitions(
        assets=[graph_stub, entity_trends], resources={"db": DatabaseResource()}
    )
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="post_graph", partition="2024-05-01")
        )
        second = dg.evaluate_automation_conditions(
            defs=definitions, instance=instance, cursor=first.cursor
        )
    requested = second.get_requested_partitions(dg.AssetKey("entity_trends"))
    assert requested == {f"2024-05-{day:02d}" for day in range(1, 15)}
