"""The Groq writer through the shared runner, the real groq SDK and the fake Groq server over
HTTP: each stage's answer, the corrective retry, the cache, retries, and the stops."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from enrichment_assets.lib.articles.gates import run_gates
from enrichment_assets.lib.articles.groq_writer import (
    GroqWriter,
    failure_kind,
    run_task_through,
)
from enrichment_assets.lib.articles.records import ChosenSource, OutlineSection
from enrichment_assets.lib.articles.writers import StageFailed
from enrichment_assets.lib.enrichment.cache import LLMCache
from enrichment_assets.lib.enrichment.client import GroqChatClient
from enrichment_assets.lib.enrichment.limiter import SharedRateLimiter
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.runner import LLMRunner, Outcome, Task
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import llm_cache, llm_usage_log
from enrichment_assets_tests.articles.fixtures import SOURCES
from enrichment_assets_tests.fakes.groq_server import API_KEY, FakeGroqServer

MODEL = "llama-3.1-8b-instant"
TOPIC = "floods in the south"
CHOSEN = [ChosenSource(s.n, "post", s.channel, s.text, 1.0 - s.n / 10) for s in SOURCES]
SECTION = OutlineSection("What kyiv_wire and odesa_news report", (1, 2))
# The bad draft: 120,000 where source 1 says 80,000, and a source [9] that is not there.
BAD_DRAFT = [
    "Rescue teams said 120,000 people were displaced by the floods [1].",
    "The Red Cross opened 40 shelters in the old town [9].",
]


class NoJitter(random.Random):
    """Backoff draws its wait from uniform(0, cap): always 0, so a retried 503 costs no time."""

    def uniform(self, a: float, b: float) -> float:
        return a


@pytest.fixture
def groq_server() -> Iterator[FakeGroqServer]:
    with FakeGroqServer() as server:
        yield server


@pytest.fixture
def make_writer(groq_server) -> Iterator:
    """`make_writer(engine, api_key=…, daily_budget_usd=…)`: a GroqWriter whose `run_task` is
    built from LLMRunner as the lead's resource builds it, against the fake server."""
    clients: list[GroqChatClient] = []

    def make(engine, api_key: str = API_KEY, daily_budget_usd: float = 0.0) -> GroqWriter:
        client = GroqChatClient(api_key, MODEL, base_url=groq_server.base_url, timeout_seconds=5)
        clients.append(client)
        limiter = SharedRateLimiter(engine, "articles-test", requests_per_minute=6000)

        def runner_for(task: Task) -> LLMRunner:
            return LLMRunner(
                engine=engine, client=client, task=task, limiter=limiter,
                cache=LLMCache(engine), prices=PriceTable.from_json(None),
                usage=UsageContext(asset=task.kind, partition="article-1"),
                max_attempts=3, daily_budget_usd=daily_budget_usd, rng=NoJitter(),
            )  # fmt: skip

        return GroqWriter(run_task_through(runner_for), MODEL, entity_id="article-1")

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def usage_rows(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(llm_usage_log).order_by(llm_usage_log.c.id)).all()


def test_each_stage_answers_in_its_shape_and_the_article_passes_the_gates(
    engine, make_writer, groq_server
):
    writer = make_writer(engine)
    assert (writer.provider, writer.model) == ("groq", MODEL)

    outline = writer.outline(TOPIC, ["floods"], CHOSEN)
    assert outline.value.title == "Floods in the south"
    assert [s.sources for s in outline.value.sections] == [(1, 2), (3,)]
    assert outline.usage.calls == 1 and outline.usage.cached == 0
    assert outline.usage.prompt_tokens > 0 and outline.usage.cost_usd > 0

    bodies = []
    for section in outline.value.sections:
        own = [source for source in CHOSEN if source.n in section.sources]
        bodies.append(writer.draft(TOPIC, section, own).value)
    assert bodies[0] == (
        'kyiv_wire reports: "Rescue teams said 80,000 people were displaced by the floods on '
        '12 May 2024" [1]. odesa_news reports: "Roads near the river were closed on Monday" [2].'
    )
    lead = writer.lead(TOPIC, outline.value.title, bodies, CHOSEN)
    assert lead.value.startswith('kyiv_wire reports: "Rescue teams said') and "[1]" in lead.value

    # What went over the wire: each stage its own system prompt, sources numbered as given.
    (outline_request,) = groq_server.state.stage_requests("outline")
    question = outline_request["messages"][1]["content"]
    assert "[2] (odesa_news) Roads near the river were closed on Monday." in question
    assert outline_request["response_format"] == {"type": "json_object"}  # JSON mode on llama
    assert len(groq_server.state.stage_requests("draft")) == 2
    assert len(groq_server.state.stage_requests("lead")) == 1
    with engine.connect() as connection:
        kinds = connection.execute(sa.select(llm_cache.c.kind, llm_cache.c.status)).all()
    assert sorted(kinds) == [
        ("article_draft", "completed"), ("article_draft", "completed"),
        ("article_lead", "completed"), ("article_outline", "completed"),
    ]  # fmt: skip
    assert {row.entity_id for row in usage_rows(engine)} == {"article-1"}

    # The fake's answers are honest: the lead's pipeline tests can rely on them passing.
    markdown = f"# {outline.value.title}\n\n{lead.value}\n\n" + "".join(
        f"## {s.heading}\n\n{body}\n\n"
        for s, body in zip(outline.value.sections, bodies, strict=True)
    )
    assert [g.name for g in run_gates(markdown, SOURCES) if not g.passed] == []


def test_a_second_identical_call_is_answered_from_the_cache(engine, make_writer, groq_server):
    first = make_writer(engine).outline(TOPIC, ["floods"], CHOSEN)
    asked = len(groq_server.state.requests)
    # A new writer and runners, as a re-run of the stage in another process would have.
    again = make_writer(engine).outline(TOPIC, ["floods"], CHOSEN)
    assert len(groq_server.state.requests) == asked == 1
    assert again.value == first.value
    assert again.usage.cached == 1 and again.usage.calls == 0 and again.usage.cost_usd == 0
    # Another question is another key.
    make_writer(engine).outline(TOPIC, ["floods", "dams"], CHOSEN)
    assert len(groq_server.state.requests) == 2


def test_an_outline_citing_a_source_not_given_gets_one_corrective_retry(
    sqlite_engine, make_writer, groq_server
):
    wrong = json.dumps({"title": "Floods", "sections": [{"heading": "A", "sources": [1, 9]}]})
    groq_server.state.stage_overrides["outline"] = [wrong]  # once, then the valid default
    answer = make_writer(sqlite_engine).outline(TOPIC, [], CHOSEN)
    assert [s.sources for s in answer.value.sections] == [(1, 2), (3,)]
    first, correction = groq_server.state.stage_requests("outline")
    assert correction["messages"][:2] == first["messages"]
    assert correction["messages"][2] == {"role": "assistant", "content": wrong}
    assert "[9]" in correction["messages"][3]["content"]
    assert "Your answer was rejected" in correction["messages"][3]["content"]
    assert answer.usage.calls == 2
    assert [row.status for row in usage_rows(sqlite_engine)] == ["invalid_output", "ok"]


def test_an_outline_still_wrong_after_its_correction_fails_as_invalid(
    sqlite_engine, make_writer, groq_server
):
    groq_server.state.stage_overrides["outline"] = '{"title": "Floods", "sections": []}'
    with pytest.raises(StageFailed) as failed:
        make_writer(sqlite_engine).outline(TOPIC, [], CHOSEN)
    assert failed.value.kind == "invalid" and not failed.value.retryable
    assert "sections" in str(failed.value) and failed.value.usage.calls == 2
    assert len(groq_server.state.requests) == 2  # one question, one correction, no more


def test_a_503_while_drafting_is_retried_and_the_answer_equals_a_clean_calls(
    tmp_path, make_writer, groq_server
):
    engines = []
    for name in ("clean", "flaky"):
        engine = create_database_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade_to_head(engine)
        engines.append(engine)
    clean_engine, flaky_engine = engines
    clean = make_writer(clean_engine).draft(TOPIC, SECTION, CHOSEN[:2])
    groq_server.state.stage_script["draft"] = ["503"]
    flaky = make_writer(flaky_engine).draft(TOPIC, SECTION, CHOSEN[:2])
    assert flaky.value == clean.value
    assert groq_server.state.statuses == [200, 503, 200]
    assert [(r.status, r.error_type) for r in usage_rows(flaky_engine)] == [
        ("error", "transient"), ("ok", None)
    ]  # fmt: skip
    for engine in engines:
        engine.dispose()


def test_503s_past_the_attempts_fail_the_stage_as_transient(
    sqlite_engine, make_writer, groq_server
):
    groq_server.state.stage_script["draft"] = ["503"] * 3  # max_attempts=3 in make_writer
    with pytest.raises(StageFailed) as failed:
        make_writer(sqlite_engine).draft(TOPIC, SECTION, CHOSEN[:2])
    assert failed.value.kind == "transient" and failed.value.retryable
    assert "HTTP 503" in str(failed.value) and groq_server.state.statuses == [503] * 3
    with sqlite_engine.connect() as connection:  # the claim is given back for the next try
        assert connection.execute(sa.select(llm_cache.c.status)).all() == []


def test_a_refused_key_stops_the_stage_as_auth(sqlite_engine, make_writer, groq_server):
    secret = "gsk_wrong_secret_value_123"
    with pytest.raises(StageFailed) as failed:
        make_writer(sqlite_engine, api_key=secret).outline(TOPIC, [], CHOSEN)
    assert failed.value.kind == "auth" and not failed.value.retryable
    assert "GROQ_API_KEY" in str(failed.value) and secret not in str(failed.value)
    assert groq_server.state.statuses == [401]  # no retry


def test_the_daily_budget_stops_the_stage_before_any_call(sqlite_engine, make_writer, groq_server):
    writer = make_writer(sqlite_engine, daily_budget_usd=1e-9)
    with pytest.raises(StageFailed) as failed:
        writer.draft(TOPIC, SECTION, CHOSEN[:2])
    assert failed.value.kind == "budget" and not failed.value.retryable
    assert "LLM_DAILY_BUDGET_USD" in str(failed.value)
    assert groq_server.state.requests == []


def test_a_bad_draft_is_taken_as_written_for_the_gates_to_judge(
    sqlite_engine, make_writer, groq_server
):
    groq_server.state.stage_overrides["draft"] = json.dumps({"paragraphs": BAD_DRAFT})
    draft = make_writer(sqlite_engine).draft(TOPIC, SECTION, CHOSEN[:2])
    assert draft.value == "\n\n".join(BAD_DRAFT)  # "120,000" and [9] intact, not "corrected"
    assert len(groq_server.state.requests) == 1  # no corrective retry for a citation
    failed = {g.name for g in run_gates(draft.value, SOURCES[:2]) if not g.passed}
    assert {"citations_resolve", "facts_supported"} <= failed


@pytest.mark.parametrize(
    ("status", "error_type", "kind"),
    [
        ("budget", "budget", "budget"),
        ("stopped", "auth", "auth"),  # another call met the refused key first
        ("error", "auth", "auth"),
        ("error", "invalid_output", "invalid"),
        ("error", "json_validate_failed", "invalid"),
        ("error", "rejected", "invalid"),  # 400 / 413: the same request cannot succeed
        ("error", "transient", "transient"),
        ("error", "rate_limited", "transient"),  # 429 after the waits
        ("error", "cache_unavailable", "transient"),
        ("stopped", "stopped", "transient"),  # a provider pause too long to sit out
    ],
)
def test_each_failed_outcome_maps_to_what_the_pipeline_does(status, error_type, kind):
    assert failure_kind(Outcome("h", status, error="why", error_type=error_type)) == kind
