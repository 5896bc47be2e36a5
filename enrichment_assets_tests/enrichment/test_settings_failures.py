"""A bad enrichment setting fails the run before any work, with one line naming it; a refused
key fails the step at once and is never retried, although the asset has a retry policy."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.defs.enrichment.assets import post_enrichments
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.llm import LLMResource
from enrichment_assets.storage.tables import post_enrichment
from enrichment_assets_tests.support.factories import insert_post

DAY = "2024-05-01"


def run_failure_line(result: dg.ExecuteInProcessResult) -> str:
    """The deepest cause of the run's failure: what an operator (and the alert) reads."""
    event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    error = event.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def enrichment_rows(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(post_enrichment)).scalar()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ENRICHMENT_RATE_LIMIT", "abc", "ENRICHMENT_RATE_LIMIT must be a number, got 'abc'"),
        ("ENRICHMENT_RATE_LIMIT", "-5", "ENRICHMENT_RATE_LIMIT must be at least 0, got '-5'"),
        ("LLM_PROVIDER", "bogus", "LLM_PROVIDER must be one of 'groq', 'local' or 'none'"),
    ],
)
def test_a_bad_setting_fails_the_run_before_any_work(
    monkeypatch, sqlite_url, sqlite_engine, name, value, expected
):
    insert_post(sqlite_engine, "A post about markets", external_id="1")
    monkeypatch.setenv(name, value)
    result = dg.materialize(
        [post_enrichments],
        resources={"db": DatabaseResource(url=sqlite_url), "llm": LLMResource()},
        partition_key=DAY,
        raise_on_error=False,
    )
    assert not result.success
    line = run_failure_line(result)
    assert expected in line and "\n" not in line
    assert not [e for e in result.all_events if e.event_type_value == "STEP_START"]
    assert enrichment_rows(sqlite_engine) == 0


def test_a_refused_key_is_not_retried(groq_env, monkeypatch, sqlite_url, sqlite_engine):
    assert post_enrichments.op.retry_policy is not None  # the asset does retry transient errors
    monkeypatch.setenv("GROQ_API_KEY", "gsk_refused")  # the fake refuses any other key
    insert_post(sqlite_engine, "A post about markets", external_id="1")
    result = dg.materialize(
        [post_enrichments],
        resources={"db": DatabaseResource(url=sqlite_url), "llm": LLMResource()},
        partition_key=DAY,
        raise_on_error=False,
    )
    assert not result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds
    assert kinds.count("STEP_FAILURE") == 1
    assert groq_env.state.count(401) == 1
