"""The Groq writer: outline, draft and lead as structured outputs through the shared LLM runner.

Each stage is a `Task` of its own (kind, prompt version, messages, schema, validation), so it
gets what enrichment gets: the cache (a re-run pays nothing), the shared limiter, the daily
budget, the usage log, retries of 429 / timeouts / 5xx, and one corrective retry of an answer
of the wrong shape. The writer asks through `run_task(task, text, entity_id) -> Outcome`, one
work item at a time; `run_task_through` builds one from a runner factory, and tests build one
against the fake Groq server.

An outcome that is not an answer becomes `StageFailed` with the kind the pipeline acts on:
`budget` and `auth` stop without retries, `invalid` stops (the answer stayed wrong after its
correction, or the provider refused the request itself: asking again the same way cannot
help), and everything else is `transient`, retried later with the stage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from enrichment_assets.lib.articles.groq_prompts import (
    DRAFT_PROMPT_VERSION,
    LEAD_PROMPT_VERSION,
    OUTLINE_PROMPT_VERSION,
    DraftAnswer,
    LeadAnswer,
    OutlineAnswer,
    draft_messages,
    draft_text,
    lead_messages,
    lead_text,
    outline_messages,
    outline_text,
    validate_draft,
    validate_lead,
    validate_outline,
)
from enrichment_assets.lib.articles.records import ChosenSource, Outline, OutlineSection
from enrichment_assets.lib.articles.writers import StageAnswer, StageFailed, StageUsage
from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.lib.enrichment.prompts import json_schema_for
from enrichment_assets.lib.enrichment.runner import LLMRunner, Outcome, Task, WorkItem

RunTask = Callable[[Task, str, str], Outcome]

OUTLINE_TASK = Task(
    kind="article_outline",
    prompt_version=OUTLINE_PROMPT_VERSION,
    build_messages=outline_messages,
    response_format=json_schema_for(OutlineAnswer, "article_outline"),
    validate=validate_outline,
    max_tokens=600,
)
DRAFT_TASK = Task(
    kind="article_draft",
    prompt_version=DRAFT_PROMPT_VERSION,
    build_messages=draft_messages,
    response_format=json_schema_for(DraftAnswer, "article_draft"),
    validate=validate_draft,
    max_tokens=1200,
)
LEAD_TASK = Task(
    kind="article_lead",
    prompt_version=LEAD_PROMPT_VERSION,
    build_messages=lead_messages,
    response_format=json_schema_for(LeadAnswer, "article_lead"),
    validate=validate_lead,
    max_tokens=300,
)
TASKS = (OUTLINE_TASK, DRAFT_TASK, LEAD_TASK)

# Outcome.error_type values after which asking again the same way cannot give an answer.
_INVALID_TYPES = frozenset({"invalid_output", "json_validate_failed", "rejected"})


def run_task_through(runner_for: Callable[[Task], LLMRunner]) -> RunTask:
    """A `run_task` over the shared runner: one runner per task (made on first use and kept, so
    a refused key or the budget, once met, stops the writer's later calls of that stage too),
    one work item per call, keyed by the content hash of the stage's text."""
    runners: dict[tuple[str, str], LLMRunner] = {}

    def run_task(task: Task, text: str, entity_id: str) -> Outcome:
        key = (task.kind, task.prompt_version)
        if key not in runners:
            runners[key] = runner_for(task)
        outcomes: list[Outcome] = []
        runners[key].run([WorkItem(content_hash(text), text, entity_id)], outcomes.append)
        return outcomes[0]

    return run_task


def stage_usage(outcome: Outcome) -> StageUsage:
    return StageUsage(
        calls=outcome.calls,
        prompt_tokens=outcome.prompt_tokens,
        completion_tokens=outcome.completion_tokens,
        cost_usd=outcome.cost_usd,
        cached=1 if outcome.cached else 0,
    )


def failure_kind(outcome: Outcome) -> str:
    """What the pipeline does about an outcome that is not an answer (see `StageFailed`)."""
    if outcome.status == "budget" or outcome.error_type == "budget":
        return "budget"
    if outcome.error_type == "auth":
        return "auth"
    if outcome.status == "error" and outcome.error_type in _INVALID_TYPES:
        return "invalid"
    # Timeouts, 5xx, 429 after the waits, a provider pause too long to sit out, the cache's
    # database gone for a moment: all worth another try later.
    return "transient"


class GroqWriter:
    """The `Writer` of the `groq` provider. `model` is the runner's model (for the records);
    `entity_id` names the article in the usage log (the runner falls back to the hash)."""

    provider = "groq"

    def __init__(self, run_task: RunTask, model: str, entity_id: str = "") -> None:
        self.run_task = run_task
        self.model = model
        self.entity_id = entity_id

    def _ask(self, task: Task, text: str, stage: str) -> tuple[dict[str, Any], StageUsage]:
        outcome = self.run_task(task, text, self.entity_id)
        usage = stage_usage(outcome)
        if outcome.status != "completed" or outcome.payload is None:
            reason = outcome.error or outcome.status
            raise StageFailed(failure_kind(outcome), f"{stage}: {reason}", usage)
        return outcome.payload, usage

    def outline(
        self, topic: str, keywords: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[Outline]:
        payload, usage = self._ask(OUTLINE_TASK, outline_text(topic, keywords, sources), "outline")
        sections = tuple(
            OutlineSection(section["heading"], tuple(section["sources"]))
            for section in payload["sections"]
        )
        return StageAnswer(Outline(payload["title"], sections), usage)

    def draft(
        self, topic: str, section: OutlineSection, sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        payload, usage = self._ask(DRAFT_TASK, draft_text(topic, section.heading, sources), "draft")
        return StageAnswer("\n\n".join(payload["paragraphs"]), usage)

    def lead(
        self, topic: str, title: str, bodies: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        payload, usage = self._ask(LEAD_TASK, lead_text(topic, title, bodies, sources), "lead")
        return StageAnswer(payload["lead"], usage)
