"""Running the real `generate_article` job against the fake Groq server, and reading what a run
did: its steps' retries, its checks, the fake's requests per stage, the article's rows.

Shared by test_generation_groq.py and test_generation_groq_gates.py (their fixtures are in
groq_fixtures.py).
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest
from dagster._serdes import serialize_value
from sqlalchemy.engine import Engine

from enrichment_assets.definitions import defs
from enrichment_assets.defs.articles import assets as stage_assets
from enrichment_assets.defs.articles.assets import CHECKS
from enrichment_assets.defs.articles.jobs import STAGE_ASSETS, generate_article
from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.lib.articles.requests import RunToRequest
from enrichment_assets.lib.enrichment import waits
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading
from enrichment_assets_tests.articles.conftest import Generated
from enrichment_assets_tests.fakes.groq_articles import first_sentence
from enrichment_assets_tests.fakes.groq_server import FakeGroqServer

WRITER_STAGES = ("outline", "draft", "lead")
AFTER_OUTLINE = [
    name for name in STAGE_ASSETS if name not in ("article_research", "article_outline")
]
# For a test about behaviour, not storage: the `database_url` fixture's SQLite case only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@functools.cache
def _definitions() -> dg.Definitions:
    """The code location's definitions, loaded once (0.5 s a load); the asset objects are the
    modules' own, so a monkeypatched retry policy still applies."""
    return defs()


def run_job(
    instance: dg.DagsterInstance,
    engine: Engine,
    database_url: str,
    key: str,
    resources: dict[str, Any] | None = None,
    only: list[str] | None = None,
) -> Generated:
    """Run the `generate_article` job (all of it, or the stages in `only`) for `key` with the
    tags the sensor gives its run; the article as it stands afterwards."""
    if not instance.has_dynamic_partition(article_requests.name, key):
        instance.add_dynamic_partitions(article_requests.name, [key])
    with reading(engine) as connection:
        request = repository.get_request(connection, key)
    definitions = _definitions()
    overrides = {"db": DatabaseResource(url=database_url), **(resources or {})}
    # The job the code location defines, over its assets, with the resources replaced here
    # (`execute_in_process(resources=...)` conflicts with the bound ones once a subset is chosen).
    job = dg.Definitions(
        assets=definitions.assets,
        jobs=[generate_article],
        resources={**definitions.resources, **overrides},
    ).resolve_job_def(generate_article.name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=key,
        tags=RunToRequest(key, request.version, request.priority).tags,
        raise_on_error=False,
        run_config=QUIET,
        asset_selection=[dg.AssetKey(name) for name in only] if only else None,
    )
    with reading(engine) as connection:
        article = repository.get_article(connection, request.id, request.version)
    return Generated(result, key, article)


def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's backoff after a 5xx in milliseconds, not seconds (the fake's 503 sends no
    retry-after, so the runner backs off with jitter)."""
    monkeypatch.setattr(waits, "BACKOFF_BASE_SECONDS", 0.001)


def fast_stage_retries(monkeypatch: pytest.MonkeyPatch, max_retries: int = 1) -> None:
    """The stages' 60 s retry policy replaced by an immediate one: a retryable failure shows
    as a retry at once, and a final one shows as none, without waiting a minute."""
    policy = dg.RetryPolicy(max_retries=max_retries, delay=0)
    for name in STAGE_ASSETS:
        monkeypatch.setattr(getattr(stage_assets, name).op, "_retry_policy", policy)


def step_events(made: Generated, event_type: dg.DagsterEventType, step: str | None = None):
    return [
        event
        for event in made.result.all_events
        if event.event_type == event_type and (step is None or event.step_key == step)
    ]


def step_retries(made: Generated) -> Counter:
    """Step key -> how many times Dagster put the step up for retry."""
    return Counter(e.step_key for e in step_events(made, dg.DagsterEventType.STEP_UP_FOR_RETRY))


def step_starts(made: Generated) -> Counter:
    return Counter(e.step_key for e in step_events(made, dg.DagsterEventType.STEP_START))


def materialized(made: Generated) -> set[str]:
    return {e.asset_key.to_user_string() for e in made.result.get_asset_materialization_events()}


def check_results(made: Generated) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in made.result.get_asset_check_evaluations()}


def failed_checks(made: Generated) -> set[str]:
    return {name for name, check in check_results(made).items() if not check.passed}


def assert_every_check_evaluated(made: Generated) -> None:
    """Each check `article_scores` declares was evaluated in this run, once: a gate dropped
    from the pipeline (or from CHECKS) cannot pass unnoticed."""
    evaluated = Counter(e.check_name for e in made.result.get_asset_check_evaluations())
    missing, extra = set(CHECKS) - set(evaluated), set(evaluated) - set(CHECKS)
    assert not missing and not extra, f"not evaluated: {sorted(missing)}; undeclared: {extra}"
    assert all(count == 1 for count in evaluated.values()), evaluated
    stored = set((made.article.checks or {}).keys())
    assert stored == set(CHECKS), f"stored checks {sorted(stored)}"


def requests_per_stage(server: FakeGroqServer) -> dict[str, int]:
    return {stage: len(server.state.stage_requests(stage)) for stage in WRITER_STAGES}


def article_rows(engine: Engine, made: Generated) -> dict[str, list[dict[str, Any]]]:
    """Everything stored for the run's article, every column (timestamps too)."""
    article_id = made.article.id
    with reading(engine) as connection:
        article = repository.get_article(connection, made.article.request_id, made.article.version)
        tables = {
            "article": [article],
            "sources": repository.sources_of(connection, article_id),
            "sections": repository.sections_of(connection, article_id),
            "claims": repository.claims_of(connection, article_id),
            "stage_log": repository.stage_log_of(connection, article_id),
        }
    return {name: [dict(row._mapping) for row in rows] for name, rows in tables.items()}


def stage_log(engine: Engine, article_id: int) -> dict[str, Any]:
    with reading(engine) as connection:
        return {row.stage: row for row in repository.stage_log_of(connection, article_id)}


def run_event_log_text(instance: dg.DagsterInstance, run_id: str) -> str:
    """Every event the run stored (messages, errors, metadata), serialized."""
    return "\n".join(serialize_value(entry) for entry in instance.all_logs(run_id))


@dataclass(frozen=True)
class Quoted:
    """A source research stored, as the fake's writer quotes it: its first sentence."""

    n: int
    channel: str
    quote: str

    def said(self) -> str:
        return f'{self.channel} reports: "{self.quote}" [{self.n}].'


Write = Callable[[dict[str, Quoted]], tuple[str, str, str]]


def run_with_writing(
    instance: dg.DagsterInstance,
    engine: Engine,
    database_url: str,
    key: str,
    server: FakeGroqServer,
    write: Write,
) -> Generated:
    """Research and outline, then the rest of the job with the fake answering the lead and the
    outline's two sections with `write(sources)` -> (lead, first section, second section):
    text written from the sources research stored ({channel: Quoted}), whatever their numbers."""
    planned = run_job(
        instance, engine, database_url, key, only=["article_research", "article_outline"]
    )
    assert planned.result.success
    with reading(engine) as connection:
        rows = repository.sources_of(connection, planned.article.id)
        sections = repository.sections_of(connection, planned.article.id)
    sources = {
        r.channel: Quoted(r.n, r.channel, first_sentence(r.text).rstrip(".!?")) for r in rows
    }
    lead, *bodies = write(sources)
    assert len(bodies) == len(sections), "the fake outlines two sections for three sources"
    server.state.stage_overrides["lead"] = json.dumps({"lead": lead})
    server.state.stage_overrides["draft"] = [json.dumps({"paragraphs": [b]}) for b in bodies]
    return run_job(instance, engine, database_url, key, only=AFTER_OUTLINE)
