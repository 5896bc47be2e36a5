"""Enrich (or tag) the posts of a time window: pick the posts that need it, hand their distinct
texts to a backend (Groq through the runner, the local enricher, or none), and write one
`post_enrichment` row per post as each answer lands.

A post needs work when it has no row of this kind, when its row is an error, when the row was
made by another provider, model or prompt version, or when the post's text changed since
(content hash). `force` redoes them all. Posts with no text are `skipped` with a reason; so are
all posts when the provider is `none` (which never overwrites an existing row).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.hashing import normalize_text
from enrichment_assets.lib.enrichment.client import ChatClient
from enrichment_assets.lib.enrichment.grounding import ground_tags, tags_hash
from enrichment_assets.lib.enrichment.prompts import (
    ENRICHMENT_PROMPT_VERSION,
    MAX_TAGS,
    TAGS_PROMPT_VERSION,
    Enrichment,
    InvalidOutput,
    TagsAnswer,
    enrichment_messages,
    json_schema_for,
    parse_answer,
    tags_messages,
)
from enrichment_assets.lib.enrichment.runner import LLMRunner, Outcome, Task, WorkItem
from enrichment_assets.lib.enrichment.usage import RunTotals
from enrichment_assets.storage import enrichment as repository

KINDS = ("llm", "tags")
LOCAL_BATCH = 64


# --- what to ask, per kind --------------------------------------------------------------------


def validate_enrichment(content: str | None, text: str) -> dict[str, Any]:
    answer = parse_answer(content, Enrichment)
    payload = answer.model_dump()
    for entity in payload["entities"]:
        entity["type"] = entity["type"].strip().lower()
    return payload


def validate_tags(content: str | None, text: str) -> dict[str, Any]:
    answer = parse_answer(content, TagsAnswer)
    grounded = ground_tags(answer.tags, text, limit=MAX_TAGS)
    if answer.tags and not grounded.tags:
        raise InvalidOutput(
            "no tag appears in the post text; copy tags verbatim from the text: "
            + ", ".join(repr(tag) for tag in grounded.dropped[:10])
        )
    return {
        "tags": grounded.tags,
        "tags_hash": tags_hash(grounded.tags),
        "dropped_ungrounded": len(grounded.dropped),
    }


def llm_task(kind: str, prompt_version: str | None = None) -> Task:
    if kind == "llm":
        return Task(
            kind="llm",
            prompt_version=prompt_version or ENRICHMENT_PROMPT_VERSION,
            build_messages=enrichment_messages,
            response_format=json_schema_for(Enrichment, "post_enrichment"),
            validate=validate_enrichment,
            max_tokens=512,
        )
    if kind == "tags":
        return Task(
            kind="tags",
            prompt_version=prompt_version or TAGS_PROMPT_VERSION,
            build_messages=tags_messages,
            response_format=json_schema_for(TagsAnswer, "post_tags"),
            validate=validate_tags,
            max_tokens=200,
        )
    raise ValueError(f"unknown enrichment kind {kind!r}; expected one of {KINDS}")


# --- backends -----------------------------------------------------------------------------------


class Backend(Protocol):
    provider: str
    model: str
    prompt_version: str

    def process(
        self, items: list[WorkItem], on_outcome: Callable[[Outcome], None]
    ) -> RunTotals: ...

    def close(self) -> None: ...


class NoProviderBackend:
    """LLM_PROVIDER=none: nothing is called; posts without a row get `skipped` with a reason."""

    provider = "none"
    model = "none"
    prompt_version = "none"
    reason = "LLM provider is 'none' (LLM_PROVIDER=none): enrichment skipped"

    def close(self) -> None:
        pass

    def process(self, items, on_outcome) -> RunTotals:
        for item in items:
            on_outcome(Outcome(item.content_hash, "skipped", error=self.reason))
        return RunTotals()


class LocalBackend:
    """The offline enricher, in batches (it encodes many texts at once). The model loads only
    when there is work, so a run with nothing to do stays quick."""

    provider = "local"

    def __init__(
        self,
        enricher_factory: Callable[[], Any],
        kind: str,
        prompt_version: str | None = None,
        model_name: str | None = None,
    ) -> None:
        from enrichment_assets.lib.enrichment.local import LOCAL_PROMPT_VERSION, local_model_label

        self.enricher_factory = enricher_factory
        self.kind = kind
        self.model = local_model_label(model_name)
        self.prompt_version = prompt_version or LOCAL_PROMPT_VERSION

    def process(self, items, on_outcome) -> RunTotals:
        if not items:
            return RunTotals()
        enricher = self.enricher_factory()
        run = enricher.enrich_many if self.kind == "llm" else enricher.tags_many
        for start in range(0, len(items), LOCAL_BATCH):
            batch = items[start : start + LOCAL_BATCH]
            for item, payload in zip(batch, run([i.text for i in batch]), strict=True):
                on_outcome(Outcome(item.content_hash, "completed", payload=payload))
        return RunTotals()

    def close(self) -> None:
        pass  # the model stays loaded for the process's next step


class LLMBackend:
    """A chat model through the runner: cache, shared limiter, budget, retries, usage log."""

    def __init__(self, client: ChatClient, runner_factory: Callable[[Task], LLMRunner], task: Task):
        self.client = client
        self.provider = client.provider
        self.model = client.model
        self.prompt_version = task.prompt_version
        self.runner = runner_factory(task)

    def process(self, items, on_outcome) -> RunTotals:
        return self.runner.run(items, on_outcome)

    def close(self) -> None:
        self.client.close()


# --- reading and writing posts ------------------------------------------------------------------


@dataclass(frozen=True)
class PostToEnrich:
    id: int
    channel: str
    text: str
    content_hash: str


def posts_in_window(
    engine: Engine, start: datetime, end: datetime, channel: str | None = None
) -> list[PostToEnrich]:
    return [PostToEnrich(*row) for row in repository.posts_between(engine, start, end, channel)]


def needs_work(post: PostToEnrich, row: Any, backend: Backend, force: bool) -> bool:
    if row is None:
        return True
    if backend.provider == "none":
        return False  # `none` never overwrites what a real provider wrote
    if force or row.status == "error" or row.content_hash != post.content_hash:
        return True
    return (row.provider, row.model, row.prompt_version) != (
        backend.provider,
        backend.model,
        backend.prompt_version,
    )


# --- the run --------------------------------------------------------------------------------------


@dataclass
class EnrichmentSummary:
    kind: str
    provider: str
    model: str
    prompt_version: str
    posts_in_window: int = 0
    already_done: int = 0
    statuses: Counter = field(default_factory=Counter)  # rows written, by status
    from_cache: int = 0  # posts answered from the cache or by a duplicate text in this run
    left_for_later: int = 0  # budget reached or run stopped: no row written
    tags_persisted: int = 0
    tags_unchanged: int = 0
    tags_dropped_ungrounded: int = 0
    generated_tags: dict[int, str] = field(default_factory=dict)  # post id -> tags hash
    errors: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    totals: RunTotals = field(default_factory=RunTotals)
    stop_reason: str | None = None


def run_enrichment(
    engine: Engine,
    backend: Backend,
    kind: str,
    start: datetime,
    end: datetime,
    channel: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> EnrichmentSummary:
    summary = EnrichmentSummary(kind, backend.provider, backend.model, backend.prompt_version)
    window = posts_in_window(engine, start, end, channel)
    summary.posts_in_window = len(window)
    existing = repository.enrichment_rows(engine, [post.id for post in window], kind)
    todo = [post for post in window if needs_work(post, existing.get(post.id), backend, force)]
    summary.already_done = len(window) - len(todo)

    empty = [post for post in todo if not normalize_text(post.text)]
    if empty and backend.provider != "none":
        _write(engine, summary, kind, backend, empty, "skipped", None, "post has no text", existing)
    by_hash: dict[str, list[PostToEnrich]] = defaultdict(list)
    for post in todo:
        # `none` skips every post itself, with its own reason, empty or not.
        if normalize_text(post.text) or backend.provider == "none":
            by_hash[post.content_hash].append(post)
    items = [
        WorkItem(content_hash=h, text=group[0].text, entity_id=str(group[0].id))
        for h, group in by_hash.items()
    ]
    log(
        f"{kind}: {len(window)} posts in window, {summary.already_done} already done, "
        f"{len(items)} distinct texts to {backend.provider}/{backend.model}"
    )

    def on_outcome(outcome: Outcome) -> None:
        group = by_hash[outcome.content_hash]
        if outcome.status in ("budget", "stopped"):
            summary.left_for_later += len(group)
            summary.stop_reason = outcome.error
            return
        if outcome.status == "completed":
            # Duplicates of a text in this run, or a text answered before, cost nothing.
            summary.from_cache += len(group) if outcome.cached else len(group) - 1
        if outcome.status == "error" and outcome.error:
            summary.errors.append(outcome.error)
        _write(engine, summary, kind, backend, group, outcome.status, outcome.payload,
               outcome.error, existing)  # fmt: skip

    try:
        summary.totals = backend.process(items, on_outcome)
    finally:
        backend.close()
    if summary.totals.auth_error:
        summary.stop_reason = summary.totals.auth_error
    return summary


def _write(
    engine: Engine,
    summary: EnrichmentSummary,
    kind: str,
    backend: Backend,
    group: Iterable[PostToEnrich],
    status: str,
    payload: dict[str, Any] | None,
    error: str | None,
    existing: dict[int, Any],
) -> None:
    """One transaction per distinct text: a killed run keeps every answer it wrote."""
    rows, bookkeeping_only = [], []
    for post in group:
        row = {
            "post_id": post.id,
            "kind": kind,
            "status": status,
            "payload": payload,
            "error": error,
            "provider": backend.provider,
            "model": backend.model,
            "prompt_version": backend.prompt_version,
            "content_hash": post.content_hash,
        }
        if kind == "tags" and status == "completed" and payload is not None:
            summary.generated_tags[post.id] = payload["tags_hash"]
            summary.tags_dropped_ungrounded += payload.get("dropped_ungrounded", 0)
            before = existing.get(post.id)
            same_tags = (
                before is not None
                and before.status == "completed"
                and (before.payload or {}).get("tags_hash") == payload["tags_hash"]
            )
            if same_tags:
                summary.tags_unchanged += 1
                bookkeeping_only.append(row)
                continue
            summary.tags_persisted += 1
        rows.append(row)
        summary.statuses[status] += 1
        if len(summary.preview) < 10:
            summary.preview.append({"post_id": post.id, "channel": post.channel, **row})
    # Same tags: the stored row keeps its answer; only who made it, and for which text, moves on.
    repository.write_enrichment_rows(engine, rows, bookkeeping_only)


# --- checks ---------------------------------------------------------------------------------


def tags_not_persisted(engine: Engine, generated: dict[int, str]) -> list[int]:
    """Posts whose generated tags are not what the table holds (the legacy
    TaggingPipelineBroken alert: tags generated, but not saved)."""
    if not generated:
        return []
    stored = repository.enrichment_rows(engine, list(generated), "tags")
    return [
        post_id
        for post_id, expected in generated.items()
        if post_id not in stored
        or stored[post_id].status != "completed"
        or (stored[post_id].payload or {}).get("tags_hash") != expected
    ]
