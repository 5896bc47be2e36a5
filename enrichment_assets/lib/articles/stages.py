"""The machinery every article stage shares: find the article of a request, run a stage once
(reuse its stored output when its input is unchanged), keep the status, the log row, the spend.

A stage whose input is what it was the last time (same input hash, same provider) is not run
again: its stored output stands, and no LLM is asked. So re-running from a failed stage, or
materializing everything again, pays only for what has not been done. Each stage's output, log
row and the article's status commit in one transaction: a killed stage leaves the previous
output, never half of one. A stage that fails sets the article `failed` with `failed_stage`,
`retry_count` and the error, and keeps every finished stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine, Row

from enrichment_assets.lib.articles.records import ChosenSource, Outline, OutlineSection
from enrichment_assets.lib.articles.writers import StageFailed, StageUsage
from enrichment_assets.lib.common.hashing import stable_hash
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading

STAGES = ("research", "outline", "draft", "polish", "claims", "scores")
STATUS_WHILE = {
    "research": "researching",
    "outline": "outlining",
    "draft": "drafting",
    "polish": "verifying",
    "claims": "verifying",
    "scores": "verifying",
}
FINAL = ("published",)  # an article past this point is never rewritten in place


@dataclass
class StageReport:
    """What one stage did, for the asset's metadata and the run's log."""

    stage: str
    reused: bool = False
    skipped: str | None = None  # why nothing was done
    usage: StageUsage = field(default_factory=StageUsage)
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleRef:
    request: Row
    article: Row

    @property
    def id(self) -> int:
        return self.article.id


def open_article(engine: Engine, partition_key: str) -> ArticleRef:
    """The current version's article of the request `partition_key` (created `queued`)."""
    with reading(engine) as connection:
        request = repository.get_request(connection, partition_key)
    if request is None:
        raise LookupError(f"no article request {partition_key!r}")
    article = repository.ensure_article(engine, request.id, request.version)
    return ArticleRef(request, article)


def refresh(engine: Engine, ref: ArticleRef) -> ArticleRef:
    with reading(engine) as connection:
        article = repository.get_article(connection, ref.request.id, ref.request.version)
    return ArticleRef(ref.request, article)


def stage_hash(*parts: Any) -> str:
    """The input hash of a stage: equal inputs, equal hash."""
    return stable_hash(*parts)


class StageRunner:
    """Runs one stage of one article: reuse, status, timing, the log row, failure."""

    def __init__(
        self,
        engine: Engine,
        ref: ArticleRef,
        provider: str,
        model: str,
        max_cost_usd: float = 0.0,
        log: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.engine = engine
        self.ref = ref
        self.provider = provider
        self.model = model
        self.max_cost_usd = max_cost_usd
        self.log = log

    def reusable(self, stage: str, input_hash: str) -> bool:
        with reading(self.engine) as connection:
            entry = repository.stage_entry(connection, self.ref.id, stage)
        return (
            entry is not None
            and entry.status == "completed"
            and entry.input_hash == input_hash
            and entry.provider == self.provider
        )

    def check_budget(self, stage: str) -> None:
        """Stop before a paid stage once the article has spent its cap (ARTICLES_MAX_COST_USD)."""
        if self.max_cost_usd <= 0:
            return
        with reading(self.engine) as connection:
            spent, _ = repository.article_spend(connection, self.ref.id)
        if spent >= self.max_cost_usd:
            raise StageFailed(
                "budget",
                f"article budget of {self.max_cost_usd:g} USD reached (ARTICLES_MAX_COST_USD): "
                f"{spent:.6f} USD spent before {stage}",
            )

    def run(
        self,
        stage: str,
        input_hash: str,
        compute: Callable[[StageReport], Mapping[str, Any]],
        paid: bool = False,
        started: float | None = None,
    ) -> StageReport:
        """`compute(report)` returns `finish_stage` keyword arguments (sources, sections,
        claims, article, output); it fills `report.usage` and `report.details`. `started`
        (`time.monotonic()`) is when the stage's own work began, for a stage that computes its
        input hash by doing the work (research, scores)."""
        report = StageReport(stage)
        if self.ref.article.status in FINAL:
            report.skipped = (
                f"the article is {self.ref.article.status}; regenerate for a new version"
            )
            return report
        if self.reusable(stage, input_hash):
            report.reused = True
            self.log(f"{stage}: reused the stored output (input unchanged)")
            return report
        repository.update_article(
            self.engine,
            self.ref.id,
            status=STATUS_WHILE[stage],
            stage=stage,
            error=None,
            failed_stage=None,
        )
        self.log(f"{stage}: started")
        started = time.monotonic() if started is None else started
        try:
            if paid:
                self.check_budget(stage)
            written = dict(compute(report))
        except StageFailed as failure:
            report.usage.add(failure.usage)
            self._failed(stage, input_hash, report, started, str(failure))
            raise
        except Exception as error:
            self._failed(stage, input_hash, report, started, f"{type(error).__name__}: {error}")
            raise
        report.seconds = time.monotonic() - started
        output = written.pop("output", None)
        repository.finish_stage(
            self.engine,
            self.ref.id,
            stage,
            self._log_row("completed", input_hash, report, output=output),
            **written,
        )
        self._add_spend()
        self.log(f"{stage}: done in {report.seconds:.1f} s ({report.usage.calls} LLM calls)")
        return report

    def _log_row(
        self, status: str, input_hash: str, report: StageReport, output=None, error=None
    ) -> dict[str, Any]:
        usage = report.usage
        return {
            "status": status,
            "input_hash": input_hash,
            "output": output,
            "provider": self.provider,
            "model": self.model,
            "calls": usage.calls,
            "cached_calls": usage.cached,
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cost_usd": usage.cost_usd,
            "seconds": report.seconds,
            "error": error,
        }

    def _failed(
        self, stage: str, input_hash: str, report: StageReport, started: float, error: str
    ) -> None:
        report.seconds = time.monotonic() - started
        repository.log_stage(
            self.engine, self.ref.id, stage, self._log_row("failed", "", report, error=error)
        )
        repository.update_article(
            self.engine,
            self.ref.id,
            status="failed",
            failed_stage=stage,
            error=error,
            retry_count=self.ref.article.retry_count + 1,
        )
        self._add_spend()

    def _add_spend(self) -> None:
        with reading(self.engine) as connection:
            cost, tokens = repository.article_spend(connection, self.ref.id)
        repository.update_article(self.engine, self.ref.id, cost_usd=cost, total_tokens=tokens)


# --- reading back what earlier stages stored -----------------------------------------------------


def stored_sources(engine: Engine, ref: ArticleRef) -> list[ChosenSource]:
    with reading(engine) as connection:
        rows = repository.sources_of(connection, ref.id)
    return [ChosenSource(r.n, r.kind, r.channel, r.text, r.score, r.post_id, r.url) for r in rows]


def stored_outline(engine: Engine, ref: ArticleRef) -> tuple[Outline | None, list[str | None]]:
    """The outline (None before one exists) and each section's drafted body (None: not yet)."""
    with reading(engine) as connection:
        rows = repository.sections_of(connection, ref.id)
        entry = repository.stage_entry(connection, ref.id, "outline")
    if not rows or entry is None or entry.status != "completed":
        return None, []
    title = (entry.output or {}).get("title") or ref.request.topic
    sections = tuple(OutlineSection(r.heading, tuple(r.source_numbers)) for r in rows)
    return Outline(title, sections), [r.body for r in rows]
