"""Every error path of the issue, through the assets, the real groq SDK and the fake server."""

from __future__ import annotations

import itertools
import time

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.defs.enrichment.assets import post_enrichments, post_tags
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.llm import LLMResource
from enrichment_assets.storage.tables import (
    llm_cache,
    llm_rate_limit,
    llm_usage_log,
    post_enrichment,
)
from enrichment_assets_tests.fakes.groq_server import API_KEY, INVENTED_TAG
from enrichment_assets_tests.support.factories import insert_post

DAY = "2024-05-01"


def materialize(url, assets, llm=None, run_config=None, partition_key=DAY, raise_on_error=True):
    return dg.materialize(
        assets,
        resources={"db": DatabaseResource(url=url), "llm": llm or LLMResource()},
        partition_key=partition_key,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def rows(engine, kind="llm"):
    with engine.connect() as connection:
        return {
            row.post_id: row
            for row in connection.execute(
                sa.select(post_enrichment).where(post_enrichment.c.kind == kind)
            )
        }


def usage(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(llm_usage_log).order_by(llm_usage_log.c.id)).all()


def metadata_of(result, asset="post_enrichments"):
    events = result.asset_materializations_for_node(asset)
    return {key: value.value for key, value in events[0].metadata.items()}


def test_completed_rows_usage_and_cost(groq_env, database_url, engine):
    post = insert_post(engine, "New software release from Acme Corp today", external_id="1")
    result = materialize(database_url, [post_enrichments])
    row = rows(engine)[post]
    assert row.status == "completed" and row.provider == "groq"
    assert row.model == "llama-3.1-8b-instant" and row.prompt_version == "enrich-v1"
    assert row.payload["keywords"] and row.payload["category"] == "technology"
    (call,) = usage(engine)
    assert call.status == "ok" and call.total_tokens > 0 and call.cost_usd > 0
    assert call.entity_id == str(post) and call.partition == DAY and call.run_id == result.run_id
    metadata = metadata_of(result)
    assert metadata["llm_calls"] == 1 and metadata["cost_usd"] == pytest.approx(
        call.cost_usd, rel=1e-3
    )


def test_429_with_retry_after_is_waited_for_by_everyone_then_retried(
    groq_env, sqlite_url, sqlite_engine
):
    groq_env.state.script.extend(["429"])
    post = insert_post(sqlite_engine, "Markets rallied after the announcement", external_id="1")
    result = materialize(sqlite_url, [post_enrichments])
    assert rows(sqlite_engine)[post].status == "completed"
    assert [c.status for c in usage(sqlite_engine)] == ["error", "ok"]
    assert usage(sqlite_engine)[0].error_type == "rate_limited"
    arrivals = groq_env.state.arrival_times
    assert arrivals[1] - arrivals[0] >= 1.0  # retry-after: 1 was honoured
    with sqlite_engine.connect() as connection:
        reason = connection.execute(sa.select(llm_rate_limit.c.pause_reason)).scalar_one()
    assert reason == "429 (retry-after)"  # the pause was shared through the database
    assert metadata_of(result)["rate_limited_429"] == 1


def test_429_without_retry_after_backs_off_with_jitter(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["429-no-retry-after", "429-no-retry-after"])
    post = insert_post(sqlite_engine, "Markets rallied after the announcement", external_id="1")
    materialize(sqlite_url, [post_enrichments])
    assert rows(sqlite_engine)[post].status == "completed"
    assert groq_env.state.statuses == [429, 429, 200]


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_fail_the_step_at_once_naming_the_setting_without_the_secret(
    groq_env, sqlite_url, sqlite_engine, monkeypatch, status
):
    secret = "gsk_wrong_secret_value_123"
    if status == 401:
        monkeypatch.setenv("GROQ_API_KEY", secret)  # the fake refuses any other key
    else:
        secret = API_KEY
        groq_env.state.script.extend(["403"] * 8)
    for i in range(3):
        insert_post(sqlite_engine, f"Post number {i} about markets", external_id=str(i))
    result = materialize(sqlite_url, [post_enrichments], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error.message)
    assert "GROQ_API_KEY" in message and f"HTTP {status}" in message
    assert secret not in "".join(str(e) for e in result.all_events)
    # No retry: the first refusal stopped every worker (at most one call per post in flight).
    refused = groq_env.state.count(status)
    assert 1 <= refused <= 3 and groq_env.state.count(200) == 0
    assert len(groq_env.state.requests) == refused
    assert [c.error_type for c in usage(sqlite_engine)] == ["auth"] * refused
    assert rows(sqlite_engine) == {} or all(
        r.status == "error" for r in rows(sqlite_engine).values()
    )


def test_rate_limit_headers_pause_before_the_limit_is_hit(groq_env, sqlite_url, sqlite_engine):
    # The provider says 10 tokens are left this minute, reset in 1.5 s: the next call waits.
    groq_env.state.remaining_tokens = 10
    groq_env.state.reset_tokens = "1.5s"
    for i in range(2):
        insert_post(sqlite_engine, f"Distinct post {i} about markets", external_id=str(i))
    materialize(sqlite_url, [post_enrichments], llm=LLMResource(max_concurrency=1))
    arrivals = groq_env.state.arrival_times
    assert len(arrivals) == 2 and arrivals[1] - arrivals[0] >= 1.5
    assert groq_env.state.count(429) == 0


def test_calls_overlap_but_are_spread_evenly_under_a_server_side_bucket(
    monkeypatch, sqlite_url, sqlite_engine
):
    # 600/min with a burst of 2 enforced by the server; 0.3 s latency; 20 posts.
    from enrichment_assets_tests.fakes.groq_server import FakeGroqServer

    with FakeGroqServer(latency_seconds=0.3, requests_per_minute=600, burst=2) as server:
        monkeypatch.setenv("LLM_PROVIDER", "groq")
        monkeypatch.setenv("GROQ_API_KEY", API_KEY)
        monkeypatch.setenv("GROQ_BASE_URL", server.base_url)
        monkeypatch.setenv("ENRICHMENT_RATE_LIMIT", "600")
        monkeypatch.setenv("ENRICHMENT_TOKENS_PER_MINUTE", "0")
        for i in range(20):
            insert_post(sqlite_engine, f"Distinct post {i} about markets", external_id=str(i))
        materialize(sqlite_url, [post_enrichments], llm=LLMResource(max_concurrency=8))
        # A busy test machine may stall a thread once; a burst would draw many 429s.
        assert server.state.count(429) <= 1
        arrivals = sorted(server.state.arrival_times)
    gaps = sorted(b - a for a, b in itertools.pairwise(arrivals))
    assert gaps[len(gaps) // 2] >= 0.08  # evenly spaced: the median gap is ~60/600 s
    # Sequential calls would take 20 × 0.4 s = 8 s; overlapping, evenly spaced ones ~1.9 s.
    assert arrivals[-1] - arrivals[0] < 4.5
    assert all(r.status == "completed" for r in rows(sqlite_engine).values())


@pytest.mark.slow
def test_503_html_is_retried_then_recorded_as_error_and_the_partition_goes_on(
    groq_env, sqlite_url, sqlite_engine
):
    first = insert_post(sqlite_engine, "First post about the economy", external_id="1")
    groq_env.state.script.extend(["503"] * 3)  # max_attempts=3 below: the first post gives up
    llm = LLMResource(max_attempts=3, max_concurrency=1)
    second = insert_post(sqlite_engine, "Second post about football", external_id="2")
    result = materialize(sqlite_url, [post_enrichments], llm=llm)
    stored = rows(sqlite_engine)
    assert stored[first].status == "error" and "HTTP 503" in stored[first].error
    assert "Service Temporarily Unavailable" in stored[first].error  # the HTML body, trimmed
    assert stored[second].status == "completed"
    assert result.success
    check = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not check["error_rate_below_threshold"].passed  # 1 of 2 posts failed


def test_503_then_success_is_retried(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["503"])
    post = insert_post(sqlite_engine, "A post about the weather", external_id="1")
    materialize(sqlite_url, [post_enrichments])
    assert rows(sqlite_engine)[post].status == "completed"
    assert groq_env.state.statuses == [503, 200]


def test_timeout_is_retried(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["hang"])
    post = insert_post(sqlite_engine, "A post about the weather", external_id="1")
    materialize(sqlite_url, [post_enrichments], llm=LLMResource(timeout_seconds=0.5))
    assert rows(sqlite_engine)[post].status == "completed"
    assert [c.error_type for c in usage(sqlite_engine)] == ["transient", None]


def test_json_validate_failed_gets_one_corrective_retry(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["json_validate_failed"])
    post = insert_post(sqlite_engine, "A post about software", external_id="1")
    materialize(sqlite_url, [post_enrichments])
    assert rows(sqlite_engine)[post].status == "completed"
    corrective = groq_env.state.requests[1]["messages"]
    assert (
        "rejected" in corrective[-1]["content"]
        and "json_validate_failed" in corrective[-1]["content"]
    )
    assert corrective[-2] == {"role": "assistant", "content": '{"keywords": ["a",'}


def test_invalid_output_twice_is_an_error_with_the_reason(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["invalid", "invalid"])
    bad = insert_post(sqlite_engine, "A post about software", external_id="1")
    materialize(sqlite_url, [post_enrichments], llm=LLMResource(max_concurrency=1))
    stored = rows(sqlite_engine)[bad]
    assert stored.status == "error" and "invalid output" in stored.error
    assert len(groq_env.state.requests) == 2  # one corrective retry, no more
    assert "does not match the schema" in groq_env.state.requests[1]["messages"][-1]["content"]
    # The failed text is not cached: the next run asks again (and succeeds).
    materialize(sqlite_url, [post_enrichments])
    assert rows(sqlite_engine)[bad].status == "completed"


def test_same_text_in_two_channels_is_paid_once_across_runs(groq_env, database_url, engine):
    text = "Central bank raises interest rates again"
    a = insert_post(engine, text, external_id="1", channel="one")
    b = insert_post(engine, text, external_id="1", channel="two")
    materialize(database_url, [post_enrichments])
    assert len(groq_env.state.requests) == 1
    stored = rows(engine)
    assert stored[a].payload == stored[b].payload
    # A later post with the same text (another day, another run) reads the cache.
    c = insert_post(engine, text, external_id="9", channel="three")
    result = materialize(database_url, [post_enrichments])
    assert len(groq_env.state.requests) == 1 and rows(engine)[c].status == "completed"
    assert metadata_of(result)["already_done"] == 2
    # A new prompt version is a new question.
    new_version = {"ops": {"post_enrichments": {"config": {"prompt_version": "enrich-v2"}}}}
    materialize(database_url, [post_enrichments], run_config=new_version)
    assert len(groq_env.state.requests) == 2
    assert {r.prompt_version for r in rows(engine).values()} == {"enrich-v2"}


def test_force_on_one_channel_re_enriches_only_that_channel(groq_env, sqlite_url, sqlite_engine):
    a = insert_post(sqlite_engine, "Text of the first channel", external_id="1", channel="one")
    insert_post(sqlite_engine, "Text of the second channel", external_id="1", channel="two")
    materialize(sqlite_url, [post_enrichments])
    assert len(groq_env.state.requests) == 2
    config = {"channel": "one", "force": True}
    materialize(sqlite_url, [post_enrichments],
                run_config={"ops": {"post_enrichments": {"config": config}}})  # fmt: skip
    assert len(groq_env.state.requests) == 3
    assert "first channel" in groq_env.state.requests[-1]["messages"][-1]["content"]
    assert rows(sqlite_engine)[a].status == "completed"


def test_budget_stops_cleanly_and_keeps_what_was_done(
    groq_env, sqlite_url, sqlite_engine, monkeypatch
):
    # Price the fake model so that about two calls fit in the budget.
    monkeypatch.setenv("LLM_PRICES", '{"llama-3.1-8b-instant": {"input": 1000, "output": 1000}}')
    monkeypatch.setenv("LLM_DAILY_BUDGET_USD", "1.0")
    for i in range(6):
        insert_post(sqlite_engine, f"Distinct post {i} about markets", external_id=str(i))
    result = materialize(sqlite_url, [post_enrichments], llm=LLMResource(max_concurrency=1))
    assert result.success
    done = [r for r in rows(sqlite_engine).values() if r.status == "completed"]
    metadata = metadata_of(result)
    assert 0 < len(done) < 6 and metadata["budget_reached"] is True
    assert metadata["left_for_later"] == 6 - len(done)
    assert "LLM_DAILY_BUDGET_USD" in metadata["stopped"]
    spent = sum(c.cost_usd for c in usage(sqlite_engine))
    assert spent <= 1.0
    check = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not check["every_post_enriched"].passed


def test_tags_are_grounded_and_rewritten_only_when_they_change(groq_env, sqlite_url, sqlite_engine):
    post = insert_post(sqlite_engine, "Quantum computing startup raises funding", external_id="1")
    result = materialize(sqlite_url, [post_tags])
    row = rows(sqlite_engine, "tags")[post]
    assert INVENTED_TAG not in row.payload["tags"] and row.payload["dropped_ungrounded"] == 1
    assert all(tag in "quantum computing startup raises funding" for tag in row.payload["tags"])
    metadata = metadata_of(result, "post_tags")
    assert metadata["tags_persisted"] == 1 and metadata["tags_dropped_ungrounded"] == 1
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"tags_persisted": True, "error_rate_below_threshold": True}
    # Forced again, same answer: the row is not rewritten.
    forced = {"ops": {"post_tags": {"config": {"force": True}}}}
    again = materialize(sqlite_url, [post_tags], run_config=forced)
    assert metadata_of(again, "post_tags")["tags_unchanged"] == 1
    assert rows(sqlite_engine, "tags")[post].updated_at == row.updated_at
    # A different answer rewrites it.
    groq_env.state.content_override = '{"tags": ["funding"]}'
    third = materialize(sqlite_url, [post_tags], run_config=forced)
    assert metadata_of(third, "post_tags")["tags_persisted"] == 1
    assert rows(sqlite_engine, "tags")[post].payload["tags"] == ["funding"]


def test_missing_key_fails_naming_the_setting(monkeypatch, sqlite_url, sqlite_engine):
    monkeypatch.setenv("LLM_PROVIDER", "groq")
    insert_post(sqlite_engine, "Anything", external_id="1")
    result = materialize(sqlite_url, [post_enrichments], raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "GROQ_API_KEY" in failure.event_specific_data.error.message


def test_cache_rows_record_tokens_and_cost(groq_env, sqlite_url, sqlite_engine):
    insert_post(sqlite_engine, "A post about software", external_id="1")
    materialize(sqlite_url, [post_enrichments])
    with sqlite_engine.connect() as connection:
        (entry,) = connection.execute(sa.select(llm_cache)).all()
    assert entry.status == "completed" and entry.prompt_tokens > 0 and entry.cost_usd > 0
    assert API_KEY not in str(entry.payload)


def test_request_too_large_is_an_error_without_retry(groq_env, sqlite_url, sqlite_engine):
    groq_env.state.script.extend(["413"])
    post = insert_post(sqlite_engine, "A very long post about markets", external_id="1")
    materialize(sqlite_url, [post_enrichments])
    row = rows(sqlite_engine)[post]
    assert row.status == "error" and "HTTP 413 rate_limit_exceeded" in row.error
    assert groq_env.state.statuses == [413]  # x-should-retry: false was obeyed
    assert [c.error_type for c in usage(sqlite_engine)] == ["rejected"]


def test_structured_output_models_get_a_json_schema(
    groq_env, monkeypatch, sqlite_url, sqlite_engine
):
    insert_post(sqlite_engine, "A post about software", external_id="1")
    materialize(sqlite_url, [post_enrichments], llm=LLMResource(model="openai/gpt-oss-20b"))
    materialize(sqlite_url, [post_tags])
    enrich_request, tags_request = groq_env.state.requests
    assert enrich_request["model"] == "openai/gpt-oss-20b"
    schema = enrich_request["response_format"]["json_schema"]["schema"]
    assert set(schema["required"]) >= {"keywords", "category", "sentiment"}
    assert tags_request["response_format"] == {"type": "json_object"}  # llama-3.1-8b-instant
    assert enrich_request["temperature"] == 0


def test_a_pause_longer_than_a_run_should_idle_stops_cleanly(groq_env, sqlite_url, sqlite_engine):
    # Groq says "try again in 10 minutes" (a daily limit): stop, keep what was done.
    groq_env.state.retry_after = "600"
    groq_env.state.script.extend(["ok", "429"])
    for i in range(4):
        insert_post(sqlite_engine, f"Distinct post {i} about markets", external_id=str(i))
    started = time.monotonic()
    result = materialize(sqlite_url, [post_enrichments], llm=LLMResource(max_concurrency=1))
    assert time.monotonic() - started < 30
    assert result.success
    metadata = metadata_of(result)
    assert metadata["completed"] == 1 and metadata["left_for_later"] == 3
    assert "asked to wait 600 s" in metadata["stopped"]
    check = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not check["every_post_enriched"].passed


def test_a_base_url_with_the_api_path_fails_naming_the_setting(
    groq_env, monkeypatch, sqlite_url, sqlite_engine
):
    monkeypatch.setenv("GROQ_BASE_URL", groq_env.base_url + "/openai/v1")
    insert_post(sqlite_engine, "Anything", external_id="1")
    result = materialize(sqlite_url, [post_enrichments], raise_on_error=False)
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "GROQ_BASE_URL" in failure.event_specific_data.error.message
    assert groq_env.state.requests == []
