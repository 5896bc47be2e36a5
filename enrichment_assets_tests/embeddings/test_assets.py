"""The assets through dg.materialize, the search command, and the automation conditions."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.embeddings.assets import (
    dataset_embeddings,
    near_duplicate_posts,
    post_embeddings,
)
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.search import main as search
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import embeddings, posts
from enrichment_assets.storage.tables import near_duplicate_posts as near_duplicate_table
from enrichment_assets_tests.support.factories import insert_dataset, insert_post

STORY = "Heavy rains flooded the old town overnight; the mayor closed schools and two bridges."
RETOLD = (
    "Heavy rain flooded the old town overnight: the mayor has closed the schools and two bridges."
)
OTHER = "The city council approved a new budget for public libraries and parks next year."


def _resources(url: str) -> dict:
    return {"db": DatabaseResource(url=url), "embedder": EmbedderResource()}


def _at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


def test_post_embeddings_then_near_duplicates_for_one_day(database_url, engine):
    story = insert_post(engine, STORY, external_id="1", channel="city-news", published_at=_at(1, 8))
    retold = insert_post(
        engine, RETOLD, external_id="9", channel="region-daily", published_at=_at(1, 11)
    )
    same_channel = insert_post(
        engine, RETOLD, external_id="2", channel="city-news", published_at=_at(1, 9)
    )
    other = insert_post(
        engine, OTHER, external_id="3", channel="region-daily", published_at=_at(1, 10)
    )
    next_day = insert_post(engine, RETOLD, external_id="4", channel="third", published_at=_at(2, 9))

    result = dg.materialize(
        [post_embeddings, near_duplicate_posts],
        resources=_resources(database_url),
        partition_key="2024-05-01",
    )
    assert result.success
    meta = result.asset_materializations_for_node("post_embeddings")[0].metadata
    assert meta["encoded"].value == 4
    assert meta["dagster/row_count"].value == 4
    assert meta["model"].value == "all-MiniLM-L6-v2"
    (check,) = result.get_asset_check_evaluations()
    assert check.passed and check.metadata["stored"].value == 4
    assert "preview" in meta

    meta = result.asset_materializations_for_node("near_duplicate_posts")[0].metadata
    assert meta["groups"].value == 1
    assert meta["posts_without_vector"].value == 1 - 1  # the next day's post is not in the window
    preview = meta["preview"].value
    assert "city-news" in preview and "region-daily" in preview
    with engine.connect() as connection:
        grouped = dict(
            connection.execute(
                sa.select(near_duplicate_table.c.post_id, near_duplicate_table.c.group_post_id)
            ).all()
        )
    # The same channel's own repost joins through the other channel's retelling.
    assert grouped == {story: story, same_channel: story, retold: story}
    assert other not in grouped and next_day not in grouped

    # Re-run unchanged: nothing encoded, the same groups, no row rewritten.
    with engine.connect() as connection:
        before = connection.execute(sa.select(near_duplicate_table)).all()
    result = dg.materialize(
        [post_embeddings, near_duplicate_posts],
        resources=_resources(database_url),
        partition_key="2024-05-01",
    )
    meta = result.asset_materializations_for_node("post_embeddings")[0].metadata
    assert (meta["encoded"].value, meta["unchanged"].value) == (0, 4)
    with engine.connect() as connection:
        after = connection.execute(sa.select(near_duplicate_table).order_by("id")).all()
    assert len(after) == 3
    assert after == sorted(before, key=lambda row: row.id)  # same ids, same updated_at

    # The retelling is deleted: its vector and its group go with it.
    with engine.begin() as connection:
        connection.execute(sa.delete(posts).where(posts.c.id.in_([retold, same_channel])))
    dg.materialize(
        [post_embeddings, near_duplicate_posts],
        resources=_resources(database_url),
        partition_key="2024-05-01",
    )
    with engine.connect() as connection:
        assert (
            connection.execute(
                sa.select(sa.func.count()).select_from(near_duplicate_table)
            ).scalar()
            == 0
        )
        embedded = set(connection.execute(sa.select(embeddings.c.entity_id)).scalars())
    assert embedded == {story, other}


def test_a_range_run_embeds_every_day_and_groups_across_midnight(sqlite_url):
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    for day in (1, 2, 3):
        insert_post(engine, f"{OTHER} Day {day}.", external_id=str(day), published_at=_at(day))
    late = insert_post(engine, STORY, external_id="late", channel="a", published_at=_at(1, 23))
    early = insert_post(engine, RETOLD, external_id="early", channel="b", published_at=_at(2, 1))
    result = dg.materialize(
        [post_embeddings, near_duplicate_posts],
        resources=_resources(sqlite_url),
        tags={
            "dagster/asset_partition_range_start": "2024-05-01",
            "dagster/asset_partition_range_end": "2024-05-03",
        },
    )
    assert result.success
    meta = result.asset_materializations_for_node("post_embeddings")[0].metadata
    assert meta["encoded"].value == 5
    meta = result.asset_materializations_for_node("near_duplicate_posts")[0].metadata
    assert meta["groups"].value == 1  # seen from both days, counted once
    assert meta["dagster/row_count"].value == 2
    with engine.connect() as connection:
        grouped = dict(
            connection.execute(
                sa.select(near_duplicate_table.c.post_id, near_duplicate_table.c.group_post_id)
            ).all()
        )
    assert grouped == {late: late, early: late}
    engine.dispose()


def test_dataset_embeddings_and_the_search_command(database_url, engine, capsys):
    insert_dataset(
        engine,
        "huggingface",
        "squad",
        title="SQuAD",
        description="Reading comprehension questions posed on Wikipedia articles.",
        tags=["question-answering"],
    )
    insert_dataset(
        engine,
        "kaggle",
        "zillow/prices",
        title="House prices",
        description="Sale prices of homes with their size, rooms and location.",
        tags=["real-estate"],
    )
    result = dg.materialize([dataset_embeddings], resources=_resources(database_url))
    assert result.success
    meta = result.asset_materializations_for_node("dataset_embeddings")[0].metadata
    assert meta["encoded"].value == 2
    assert [check.passed for check in result.get_asset_check_evaluations()] == [True]

    assert (
        search(
            [
                "real estate sale prices",
                "--kind",
                "dataset",
                "-k",
                "2",
                "--database-url",
                database_url,
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert "2 nearest datasets" in lines[0]
    assert "kaggle:zillow/prices" in lines[1]
    assert "huggingface:squad" in lines[2]
    first_score, second_score = (float(line.split()[1]) for line in lines[1:3])
    assert first_score > second_score

    # No post vectors yet: the command says what to materialize and fails.
    assert search(["anything", "--kind", "post", "--database-url", database_url]) == 1
    assert "materialize post_embeddings" in capsys.readouterr().err


def test_embeddings_follow_upstream_changes_on_past_days_too():
    """The automation sensor requests the embeddings of the day whose posts changed, even when
    it is not the latest day, and leaves the other days alone."""

    @dg.asset(partitions_def=post_embeddings.partitions_def, name="posts")
    def posts_stub() -> None: ...

    @dg.asset(
        partitions_def=post_embeddings.partitions_def, name="post_enrichments", deps=["posts"]
    )
    def enrichments_stub() -> None: ...

    @dg.asset(partitions_def=post_embeddings.partitions_def, name="post_tags", deps=["posts"])
    def tags_stub() -> None: ...

    @dg.asset(partitions_def=post_embeddings.partitions_def, name="post_crawls", deps=["posts"])
    def crawls_stub() -> None: ...

    @dg.asset(name="hf_datasets")
    def catalog_stub() -> None: ...

    definitions = dg.Definitions(
        assets=[
            posts_stub,
            enrichments_stub,
            tags_stub,
            crawls_stub,
            catalog_stub,
            post_embeddings,
            dataset_embeddings,
        ],
        resources={"db": DatabaseResource(), "embedder": EmbedderResource()},
    )
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=definitions, instance=instance)
        assert first.total_requested == 0
        for key in ("posts", "post_enrichments"):
            instance.report_runless_asset_event(
                dg.AssetMaterialization(asset_key=key, partition="2024-05-01")
            )
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key="hf_datasets"))
        second = dg.evaluate_automation_conditions(
            defs=definitions, instance=instance, cursor=first.cursor
        )
        # Tags and crawls of that day were never materialized: the vectors do not wait for them.
        assert second.get_requested_partitions(dg.AssetKey("post_embeddings")) == {"2024-05-01"}
        # Other catalog assets were never materialized: the vectors follow the one that was.
        assert second.get_num_requested(dg.AssetKey("dataset_embeddings")) == 1

        # A day whose enrichment is missing waits for it.
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="posts", partition="2024-05-02")
        )
        third = dg.evaluate_automation_conditions(
            defs=definitions, instance=instance, cursor=second.cursor
        )
        assert "2024-05-02" not in third.get_requested_partitions(dg.AssetKey("post_embeddings"))
