"""The local provider (the embedded default) on both databases, `none`, range runs, automation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.enrichment.assets import post_enrichments, post_tags
from enrichment_assets.lib.enrichment.cache import LLMCache
from enrichment_assets.lib.enrichment.client import GroqChatClient
from enrichment_assets.lib.enrichment.limiter import SharedRateLimiter
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.prompts import CATEGORIES
from enrichment_assets.lib.enrichment.runner import LLMRunner, WorkItem
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.lib.enrichment.workflow import llm_task
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.llm import LLMResource
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import post_enrichment
from enrichment_assets_tests.fakes.groq_server import API_KEY
from enrichment_assets_tests.support.factories import insert_post

TEXTS = [
    "The European Central Bank raised interest rates as inflation stayed high in Germany.",
    "Manchester United won a thrilling match against Liverpool at Old Trafford!",
    "OpenAI released a new model that writes software; developers at Google are testing it.",
]


def stored(engine, kind):
    with engine.connect() as connection:
        return {
            row.post_id: row
            for row in connection.execute(
                sa.select(post_enrichment).where(post_enrichment.c.kind == kind)
            )
        }


def test_local_provider_fills_the_schema_over_a_range_in_one_run(database_url, engine):
    ids = [
        insert_post(engine, text, external_id=str(i),
                    published_at=datetime(2024, 5, 1 + i, 9, tzinfo=UTC))
        for i, text in enumerate(TEXTS)
    ]  # fmt: skip
    empty = insert_post(engine, "   ", external_id="empty",
                        published_at=datetime(2024, 5, 2, tzinfo=UTC))  # fmt: skip
    result = dg.materialize(
        [post_enrichments, post_tags],
        resources={"db": DatabaseResource(url=database_url), "llm": LLMResource()},
        tags={
            "dagster/asset_partition_range_start": "2024-05-01",
            "dagster/asset_partition_range_end": "2024-05-03",
        },
    )
    assert result.success
    llm_rows, tag_rows = stored(engine, "llm"), stored(engine, "tags")
    for post_id in ids:
        row = llm_rows[post_id]
        assert row.status == "completed" and row.provider == "local"
        assert set(row.payload) == {"keywords", "category", "sentiment", "entities"}
        assert row.payload["category"] in CATEGORIES and row.payload["keywords"]
        assert row.payload["sentiment"] in {"positive", "neutral", "negative"}
        assert all(set(e) == {"text", "type"} for e in row.payload["entities"])
        tags = tag_rows[post_id]
        assert tags.provider == "local" and tags.payload["tags"]
        text = TEXTS[ids.index(post_id)].lower()
        assert all(tag in text for tag in tags.payload["tags"])
    assert llm_rows[ids[0]].payload["category"] == "economy"
    assert llm_rows[ids[1]].payload["category"] == "sports"
    assert llm_rows[ids[1]].payload["sentiment"] == "positive"
    assert llm_rows[empty].status == "skipped" and llm_rows[empty].error == "post has no text"
    # A second run over the same range changes nothing.
    before = {k: (v.updated_at, v.payload) for k, v in stored(engine, "llm").items()}
    again = dg.materialize(
        [post_enrichments],
        resources={"db": DatabaseResource(url=database_url), "llm": LLMResource()},
        tags={"dagster/asset_partition_range_start": "2024-05-01",
              "dagster/asset_partition_range_end": "2024-05-03"},
    )  # fmt: skip
    assert {k: (v.updated_at, v.payload) for k, v in stored(engine, "llm").items()} == before
    metadata = again.asset_materializations_for_node("post_enrichments")[0].metadata
    assert metadata["already_done"].value == 4 and metadata["dagster/row_count"].value == 4


def test_provider_none_skips_with_a_reason_and_never_overwrites(
    monkeypatch, sqlite_url, sqlite_engine
):
    done = insert_post(sqlite_engine, TEXTS[0], external_id="1")
    resources = {"db": DatabaseResource(url=sqlite_url), "llm": LLMResource()}
    dg.materialize([post_enrichments], resources=resources, partition_key="2024-05-01")
    monkeypatch.setenv("LLM_PROVIDER", "none")
    new = insert_post(sqlite_engine, TEXTS[1], external_id="2")
    dg.materialize([post_enrichments], resources=resources, partition_key="2024-05-01")
    rows = stored(sqlite_engine, "llm")
    assert rows[done].status == "completed" and rows[done].provider == "local"
    assert rows[new].status == "skipped" and "LLM_PROVIDER=none" in rows[new].error


def test_two_processes_meeting_the_same_text_call_once(groq_env, sqlite_url):
    # Two runners with their own engines and cache owners, as two workers would have.
    calls_before = len(groq_env.state.requests)
    groq_env.state.latency_seconds = 0.3
    outcomes = []

    def worker() -> None:
        engine = create_database_engine(sqlite_url)
        client = GroqChatClient(API_KEY, "llama-3.1-8b-instant", base_url=groq_env.base_url)
        runner = LLMRunner(
            engine=engine, client=client, task=llm_task("llm"),
            limiter=SharedRateLimiter(engine, "k", requests_per_minute=6000),
            cache=LLMCache(engine), prices=PriceTable.from_json(None), usage=UsageContext(),
        )  # fmt: skip
        runner.run([WorkItem("same-hash", "Central bank raises rates")], outcomes.append)
        engine.dispose()

    upgrade_to_head(create_database_engine(sqlite_url))  # migrate once, before the race
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(groq_env.state.requests) - calls_before == 1
    assert [o.status for o in outcomes] == ["completed", "completed"]
    assert sorted(o.cached for o in outcomes) == [False, True]


def test_new_posts_are_enriched_without_a_click():
    """Declarative automation: once `posts` of a day update, both assets are requested for that
    day (any day, not only the latest), and not again until posts change."""

    @dg.asset(partitions_def=post_enrichments.partitions_def)
    def posts() -> None: ...

    instance = dg.DagsterInstance.ephemeral()
    assets = dg.Definitions(
        assets=[posts, post_enrichments, post_tags],
        resources={"db": DatabaseResource(), "llm": LLMResource()},
    )
    first = dg.evaluate_automation_conditions(defs=assets, instance=instance)
    assert first.total_requested == 0  # nothing until posts exist
    dg.materialize([posts], instance=instance, partition_key="2024-05-01")
    second = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=first.cursor)
    assert second.total_requested == 2
    keys = {r.key.to_user_string() for r in second.results if r.true_subset.size}
    assert keys == {"post_enrichments", "post_tags"}
    third = dg.evaluate_automation_conditions(defs=assets, instance=instance, cursor=second.cursor)
    assert third.total_requested == 0
