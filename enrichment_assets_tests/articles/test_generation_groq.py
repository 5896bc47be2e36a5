"""The `generate_article` job against the fake Groq server (issue 12, items 6 and 8), on SQLite
and PostgreSQL: a draft with a wrong figure and a made-up source is held for review and never
published; a 503 while drafting is retried by the runner without asking research or outline
again, and a draft that keeps failing fails its step (retryably) and resumes from the draft; a
second materialization asks the LLM nothing; a budget or a refused key stops cleanly, without
retries and without leaking the key; the run carries the sensor's tags.

Waits are fast: the runner's backoff in milliseconds (`fast_backoff`) and the stages' 60 s retry
policy replaced by an immediate one (`fast_stage_retries`), so a retry shows at once and a test
of "no retry" could not pass by waiting.
"""

from __future__ import annotations

from collections import Counter

import dagster as dg
import pytest

import enrichment_assets.articles as articles_command
from enrichment_assets.lib.articles.requests import make_request
from enrichment_assets.resources.llm import LLMResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.engine import reading
from enrichment_assets_tests.articles.conftest import request, seed_posts
from enrichment_assets_tests.articles.groq_runs import (
    AFTER_OUTLINE,
    SQLITE_ONLY,
    article_rows,
    assert_every_check_evaluated,
    check_results,
    failed_checks,
    fast_backoff,
    fast_stage_retries,
    materialized,
    requests_per_stage,
    run_event_log_text,
    run_job,
    run_with_writing,
    stage_log,
    step_events,
    step_retries,
    step_starts,
)

# The fixtures: `dagster_instance`, `one_torch_thread`, and the fake Groq server's `groq_env`.
pytest_plugins = ("enrichment_assets_tests.articles.groq_fixtures",)
pytestmark = pytest.mark.usefixtures("one_torch_thread")

TOPIC, KEYWORDS = "Floods displace thousands", ["floods", "shelters"]


def issue_draft(sources) -> tuple[str, str, str]:
    """The issue's draft: 120,000 where kyiv_wire says 80,000, and a fact cited to [9], which
    is no source (the lead and the rest quote their sources honestly)."""
    kyiv, odesa, south = (sources[c] for c in ("kyiv_wire", "odesa_news", "south_daily"))
    return (
        kyiv.said(),
        f"Rescue teams said 120,000 people were displaced [{kyiv.n}]. {odesa.said()}",
        f"{south.said()} The army sent 5,000 soldiers [9].",
    )


def failure_description(made, step: str) -> str:
    [failure] = step_events(made, dg.DagsterEventType.STEP_FAILURE, step)
    return failure.step_failure_data.user_failure_data.description


def test_a_draft_with_a_wrong_figure_and_a_made_up_source_is_held_and_never_published(
    seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    monkeypatch.setenv("ARTICLES_AUTO_PUBLISH", "true")
    key = request(seeded, TOPIC, KEYWORDS)
    made = run_with_writing(dagster_instance, seeded, database_url, key, groq_env, issue_draft)

    assert {"facts_supported", "citations_resolve"} <= failed_checks(made)
    assert_every_check_evaluated(made)
    checks = check_results(made)
    assert "120,000" in checks["facts_supported"].description
    # Polish keeps a dangling citation as the writer wrote it, and the gate names it.
    assert "soldiers [9]." in made.article.markdown
    assert "cited but no such source: [9]" in checks["citations_resolve"].description
    with reading(seeded) as connection:
        bodies = [s.body for s in repository.sections_of(connection, made.article.id)]
    assert "soldiers [9]." in bodies[1]
    article = made.article
    assert article.status == "needs_review"
    assert "facts_supported" in article.review_reason
    assert "citations_resolve" in article.review_reason
    assert not article.checks["citations_resolve"]["passed"]
    # The blocking checks keep the publication step from running at all ...
    assert "article_scores" in materialized(made)
    assert "article_publication" not in materialized(made)
    # ... and run on its own, with ARTICLES_AUTO_PUBLISH on, it still publishes nothing.
    alone = run_job(dagster_instance, seeded, database_url, key, only=["article_publication"])
    assert alone.result.success
    assert alone.article.status == "needs_review"
    assert alone.article.published_at is None


def clean_markdown(tmp_path, encode, instance) -> str:
    """The same article written on a fresh database (so nothing comes from the LLM cache)."""
    url = f"sqlite:///{tmp_path / 'clean.db'}"
    engine = create_database_engine(url)
    try:
        upgrade_to_head(engine)
        seed_posts(engine, encode)
        made = run_job(instance, engine, url, request(engine, TOPIC, KEYWORDS))
    finally:
        engine.dispose()
    assert made.article.status == "ready", made.article.review_reason
    return made.article.markdown


def test_a_503_while_drafting_is_retried_without_asking_research_or_outline_again(
    seeded, database_url, dagster_instance, groq_env, monkeypatch, tmp_path, encode
):
    fast_backoff(monkeypatch)
    fast_stage_retries(monkeypatch)
    groq_env.state.stage_script["draft"] = ["503"]
    key = request(seeded, TOPIC, KEYWORDS)
    made = run_job(dagster_instance, seeded, database_url, key)

    assert made.article.status == "ready", made.article.review_reason
    assert groq_env.state.count(503) == 1
    with reading(seeded) as connection:
        sections = len(repository.sections_of(connection, made.article.id))
    # The runner asked the failed draft again; nothing else was asked twice.
    assert requests_per_stage(groq_env) == {"outline": 1, "draft": sections + 1, "lead": 1}
    assert not step_retries(made)  # the runner's own retry absorbed it: no stage retry
    assert step_starts(made)["article_research"] == 1
    assert step_starts(made)["article_outline"] == 1
    assert stage_log(seeded, made.article.id)["draft"].calls == sections
    assert made.article.markdown == clean_markdown(tmp_path, encode, dagster_instance)


def test_a_draft_failing_past_the_runners_attempts_fails_retryably_and_resumes_at_the_draft(
    seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    fast_backoff(monkeypatch)
    fast_stage_retries(monkeypatch, max_retries=1)
    llm = {"llm": LLMResource(max_attempts=2)}
    # Two attempts per call, two tries of the step: the first section's draft never comes.
    groq_env.state.stage_script["draft"] = ["503"] * 4
    key = request(seeded, TOPIC, KEYWORDS)
    failed = run_job(dagster_instance, seeded, database_url, key, llm)

    assert not failed.result.success
    assert step_retries(failed) == Counter({"article_draft": 1})  # retryable: Dagster retried
    assert failure_description(failed, "article_draft").startswith("transient: draft:")
    article = failed.article
    assert (article.status, article.failed_stage) == ("failed", "draft")
    assert article.retry_count == 2  # once per try of the step
    assert "503" in article.error
    log = stage_log(seeded, article.id)
    assert (log["research"].status, log["outline"].status) == ("completed", "completed")
    assert log["draft"].status == "failed"
    with reading(seeded) as connection:
        assert repository.sources_of(connection, article.id)
        sections = repository.sections_of(connection, article.id)
    assert sections and all(section.body is None for section in sections)
    assert groq_env.state.count(503) == 4
    assert requests_per_stage(groq_env)["outline"] == 1

    resumed = run_job(dagster_instance, seeded, database_url, key, llm, only=AFTER_OUTLINE)
    assert resumed.result.success
    assert "article_outline" not in step_starts(resumed)
    assert requests_per_stage(groq_env) == {"outline": 1, "draft": 4 + len(sections), "lead": 1}
    assert resumed.article.status == "ready", resumed.article.review_reason
    assert (resumed.article.failed_stage, resumed.article.error) == (None, None)
    assert_every_check_evaluated(resumed)


def test_materializing_the_job_again_asks_the_llm_nothing_and_changes_no_row(
    seeded, database_url, dagster_instance, groq_env
):
    key = request(seeded, TOPIC, KEYWORDS)
    first = run_job(dagster_instance, seeded, database_url, key)
    assert first.article.status == "ready", first.article.review_reason
    asked = len(groq_env.state.requests)
    assert asked > 0
    rows = article_rows(seeded, first)

    again = run_job(dagster_instance, seeded, database_url, key)
    assert again.result.success
    assert len(groq_env.state.requests) == asked
    assert article_rows(seeded, again) == rows
    stages = {
        event.asset_key.path[-1]: event.materialization.metadata
        for event in again.result.get_asset_materialization_events()
    }
    for name in ("article_research", "article_outline", "article_draft", "article_polish"):
        assert stages[name]["stage_result"].value == "reused"
        assert stages[name]["llm_calls"].value == 0
    assert_every_check_evaluated(again)


@pytest.mark.parametrize(
    ("setting", "stopped_at", "kept", "asked"),
    [
        # The article's cap is met once the outline is paid for: the draft never goes out.
        ("ARTICLES_MAX_COST_USD", "draft", ("research", "outline"), {"outline": 1}),
        # The day's budget cannot pay for one call: nothing goes out.
        ("LLM_DAILY_BUDGET_USD", "outline", ("research",), {}),
    ],
)
def test_a_budget_stops_the_article_cleanly_without_retries_keeping_finished_stages(
    setting, stopped_at, kept, asked, seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    fast_stage_retries(monkeypatch, max_retries=2)
    monkeypatch.setenv(setting, "0.000000001")
    key = request(seeded, TOPIC, KEYWORDS)
    made = run_job(dagster_instance, seeded, database_url, key)

    assert not made.result.success
    assert not step_retries(made)  # `dg.Failure(allow_retries=False)`: the policy never applies
    assert failure_description(made, f"article_{stopped_at}").startswith("budget:")
    article = made.article
    assert (article.status, article.failed_stage) == ("failed", stopped_at)
    assert "budget" in article.error and setting in article.error
    log = stage_log(seeded, article.id)
    assert [stage for stage in log if log[stage].status == "completed"] == list(kept)
    assert log[stopped_at].status == "failed"
    with reading(seeded) as connection:
        assert repository.sources_of(connection, article.id)
    assert {s: n for s, n in requests_per_stage(groq_env).items() if n} == asked
    assert f"article_{stopped_at}" in {e.step_key for e in made.result.get_step_failure_events()}


def test_a_refused_key_stops_at_the_first_llm_stage_and_names_the_setting_not_the_key(
    seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    fast_stage_retries(monkeypatch, max_retries=2)
    secret = "gsk_refused_" + "0123456789abcdef" * 3
    monkeypatch.setenv("GROQ_API_KEY", secret)  # the fake answers 401 to any other key
    key = request(seeded, TOPIC, KEYWORDS)
    made = run_job(dagster_instance, seeded, database_url, key)

    assert not made.result.success
    assert not step_retries(made)
    assert groq_env.state.count(401) == 1  # one call, not retried by the runner either
    assert requests_per_stage(groq_env) == {"outline": 1, "draft": 0, "lead": 0}
    assert failure_description(made, "article_outline").startswith("auth:")
    article = made.article
    assert (article.status, article.failed_stage) == ("failed", "outline")
    assert "GROQ_API_KEY" in article.error
    log = stage_log(seeded, article.id)
    assert log["research"].status == "completed" and log["outline"].status == "failed"
    assert secret not in str(dict(article._mapping))
    assert all(secret not in str(dict(row._mapping)) for row in log.values())
    events = run_event_log_text(dagster_instance, made.result.run_id)
    assert "GROQ_API_KEY" in events  # the log does say what to fix
    assert secret not in events


@SQLITE_ONLY  # tags: nothing about storage
def test_the_generate_commands_run_carries_the_request_priority_and_a_30_minute_limit(
    seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr(dg.DagsterInstance, "get", lambda: dagster_instance)
    key = make_request(seeded, TOPIC, KEYWORDS, priority="high", approve=True).partition_key

    assert articles_command.generate(seeded, key) == "ready"
    [run] = dagster_instance.get_runs()
    assert run.job_name == "generate_article"
    assert run.tags["dagster/priority"] == "10"
    assert run.tags["dagster/max_runtime"] == "1800"
    assert run.tags["dagster/partition"] == key
