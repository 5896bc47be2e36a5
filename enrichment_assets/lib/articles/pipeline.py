"""The stages of one article, each reading what the stage before it stored and storing its own:
research → outline → draft → polish → claims → scores → publish.

Research, polish, claims and scores are computations, the same for every provider; outline,
draft and the lead are the writer's (Groq, or the offline extractive writer). How a stage is
run once, reused, logged and failed is `stages.py`. The article moves `queued → researching →
outlining → drafting → verifying → needs_review | ready → published`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from enrichment_assets.lib.articles.gates import run_gates
from enrichment_assets.lib.articles.polish import article_sources, polish
from enrichment_assets.lib.articles.records import (
    Candidate,
    ChosenSource,
    GateResult,
    Source,
)
from enrichment_assets.lib.articles.research import rank_sources, too_few_sources
from enrichment_assets.lib.articles.stages import (
    ArticleRef,
    StageReport,
    StageRunner,
    refresh,
    stage_hash,
    stored_outline,
    stored_sources,
)
from enrichment_assets.lib.articles.tracing import trace_claims
from enrichment_assets.lib.articles.writers import Writer
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading

ENOUGH_SOURCES = "enough_sources"


@dataclass(frozen=True)
class ResearchOptions:
    model: str  # the embedding model whose vectors research reads
    max_sources: int = 8
    max_per_channel: int = 2
    min_similarity: float = 0.4
    min_sources: int = 2
    min_channels: int = 2
    pages_per_post: int = 2


# --- the stages -----------------------------------------------------------------------------


def gather_candidates(
    engine: Engine, options: ResearchOptions
) -> tuple[list[Candidate], np.ndarray]:
    """Every post with a vector under the model, as candidates, with their vectors."""
    with reading(engine) as connection:
        rows = repository.post_candidates(connection, options.model)
    candidates = [Candidate("post", r.channel, r.text, post_id=r.post_id) for r in rows]
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return candidates, np.vstack([np.frombuffer(r.vector, dtype="<f4") for r in rows])


def page_candidates(engine: Engine, post_ids: Sequence[int], per_post: int) -> list[Candidate]:
    """The pages the chosen posts link to that were fetched with text, as candidates."""
    with reading(engine) as connection:
        rows = repository.crawl_payloads(connection, post_ids)
    found = []
    for row in rows:
        pages = [p for p in (row.payload or {}).get("pages", []) if p.get("text")]
        for page in pages[:per_post]:
            url = page.get("final_url") or page.get("url")
            host = (url or "").split("/")[2] if (url or "").count("/") >= 2 else (url or "web")
            found.append(Candidate("page", host, page["text"], post_id=row.post_id, url=url))
    return found


def research(
    engine: Engine,
    runner: StageRunner,
    encode: Callable[[list[str]], np.ndarray],
    options: ResearchOptions,
) -> StageReport:
    """Rank the posts (stored vectors) and the pages they link to (encoded now) by similarity
    to the topic and keywords; keep the best per channel. Recomputed every time (no LLM): its
    input hash is the sources it chose, so unchanged sources leave every later stage reusable."""
    started = time.monotonic()
    request = runner.ref.request
    query = request.topic + (". " + ", ".join(request.keywords) if request.keywords else "")
    topic_vector = encode([query])[0]
    candidates, vectors = gather_candidates(engine, options)
    chosen = []
    if candidates:
        first = rank_sources(
            topic_vector,
            candidates,
            vectors,
            request.keywords,
            max_sources=options.max_sources * 2,
            max_per_channel=options.max_per_channel * 2,
            min_similarity=options.min_similarity,
        )
        linked = [s.post_id for s in first if s.post_id is not None]
        pages = page_candidates(engine, linked, options.pages_per_post)
        if pages:
            candidates = [*candidates, *pages]
            vectors = np.vstack([vectors, encode([page.text for page in pages])])
        chosen = rank_sources(
            topic_vector,
            candidates,
            vectors,
            request.keywords,
            max_sources=options.max_sources,
            max_per_channel=options.max_per_channel,
            min_similarity=options.min_similarity,
        )
    shortfall = too_few_sources(chosen, options.min_sources, options.min_channels)
    input_hash = stage_hash([(s.n, s.kind, s.channel, s.post_id, s.url, s.text) for s in chosen])

    def compute(report: StageReport) -> dict[str, Any]:
        report.details = {
            "sources": len(chosen),
            "channels": len({s.channel for s in chosen}),
            "candidates": len(candidates),
            "shortfall": shortfall,
        }
        rows = [
            {
                "n": s.n,
                "kind": s.kind,
                "channel": s.channel,
                "post_id": s.post_id,
                "url": s.url,
                "text": s.text,
                "score": round(float(s.score), 4),
            }
            for s in chosen
        ]
        return {
            "sources": rows,
            "output": {"shortfall": shortfall, "sources": len(chosen)},
            # Nothing to write from: the article waits for a person, it has not failed.
            "article": {"provider": runner.provider}
            | ({"status": "needs_review", "review_reason": shortfall} if not chosen else {}),
        }

    return runner.run("research", input_hash, compute, started=started)


def outline(engine: Engine, runner: StageRunner, writer: Writer) -> StageReport:
    sources = stored_sources(engine, runner.ref)
    if not sources:
        return StageReport("outline", skipped="research found no source")
    request = runner.ref.request
    input_hash = stage_hash((request.topic, list(request.keywords), sources_key(sources)))

    def compute(report: StageReport) -> dict[str, Any]:
        answer = writer.outline(request.topic, list(request.keywords), sources)
        report.usage.add(answer.usage)
        made = answer.value
        report.details = {"title": made.title, "sections": len(made.sections)}
        return {
            "sections": [
                {
                    "position": i,
                    "heading": s.heading,
                    "source_numbers": list(s.sources),
                    "body": None,
                }
                for i, s in enumerate(made.sections)
            ],
            "output": {"title": made.title},
            "article": {"title": made.title},
        }

    return runner.run("outline", input_hash, compute, paid=True)


def sources_key(sources: Sequence[ChosenSource]) -> list[tuple]:
    return [(s.n, s.channel, s.text) for s in sources]


def draft(engine: Engine, runner: StageRunner, writer: Writer) -> StageReport:
    """Each section from its own sources only: the writer sees nothing else."""
    plan, _ = stored_outline(engine, runner.ref)
    if plan is None:
        return StageReport("draft", skipped="no outline")
    sources = stored_sources(engine, runner.ref)
    by_number = {s.n: s for s in sources}
    input_hash = stage_hash((plan, sources_key(sources)))

    def compute(report: StageReport) -> dict[str, Any]:
        bodies = []
        for position, section in enumerate(plan.sections):
            own = [by_number[n] for n in section.sources if n in by_number]
            answer = writer.draft(runner.ref.request.topic, section, own)
            report.usage.add(answer.usage)
            bodies.append(answer.value)
            runner.log(f"draft: section {position + 1} of {len(plan.sections)} written")
        report.details = {"sections": len(bodies), "words": sum(len(b.split()) for b in bodies)}
        return {
            "sections": [
                {
                    "position": i,
                    "heading": s.heading,
                    "source_numbers": list(s.sources),
                    "body": body,
                }
                for i, (s, body) in enumerate(zip(plan.sections, bodies, strict=True))
            ],
        }

    return runner.run("draft", input_hash, compute, paid=True)


def polish_stage(engine: Engine, runner: StageRunner, writer: Writer) -> StageReport:
    """A lead, repeated sentences merged, citations renumbered; the article's sources are those
    it cites."""
    plan, bodies = stored_outline(engine, runner.ref)
    if plan is None or not bodies or any(body is None for body in bodies):
        return StageReport("polish", skipped="no draft")
    sources = stored_sources(engine, runner.ref)
    input_hash = stage_hash((plan, bodies, sources_key(sources)))

    def compute(report: StageReport) -> dict[str, Any]:
        lead = writer.lead(runner.ref.request.topic, plan.title, bodies, sources)
        report.usage.add(lead.usage)
        sections = [(s.heading, body) for s, body in zip(plan.sections, bodies, strict=True)]
        done = polish(plan.title, lead.value, sections, sources)
        cited = article_sources(done, sources)
        report.details = {"words": len(done.markdown.split()), "sources_cited": len(cited)}
        numbering = {str(k): v for k, v in done.numbering.items()}
        return {
            "output": {"numbering": numbering},
            "article": {
                "title": done.title,
                "markdown": done.markdown,
                "sources": [source_json(s) for s in cited],
            },
        }

    report = runner.run("polish", input_hash, compute, paid=True)
    with reading(engine) as connection:
        entry = repository.stage_entry(connection, runner.ref.id, "polish")
    if entry is not None and entry.output:
        numbering = {int(k): v for k, v in entry.output["numbering"].items()}
        repository.set_article_numbers(engine, runner.ref.id, numbering)
    return report


def source_json(source: ChosenSource) -> dict[str, Any]:
    return {
        "n": source.n,
        "kind": source.kind,
        "channel": source.channel,
        "post_id": source.post_id,
        "url": source.url,
        "text": source.text,
    }


def _finished(engine: Engine, ref: ArticleRef) -> tuple[str | None, list[dict[str, Any]]]:
    article = refresh(engine, ref).article
    return article.markdown, list(article.sources or [])


def claims(engine: Engine, runner: StageRunner) -> StageReport:
    """Every atomic claim of the article, the source that supports it and the span that does."""
    markdown, sources = _finished(engine, runner.ref)
    if not markdown:
        return StageReport("claims", skipped="no article text")
    texts = {s["n"]: s["text"] for s in sources}
    channels = {s["n"]: s["channel"] for s in sources}
    input_hash = stage_hash((markdown, sorted(texts.items()), sorted(channels.items())))

    def compute(report: StageReport) -> dict[str, Any]:
        traced = trace_claims(markdown, texts, channels=channels)
        supported = sum(1 for c in traced if c.supported)
        report.details = {"claims": len(traced), "supported": supported}
        return {
            "claims": [
                {
                    "position": c.position,
                    "text": c.text,
                    "citations": list(c.citations),
                    "source_n": c.source_n,
                    "span": c.span,
                    "supported": c.supported,
                    "reason": c.reason,
                }
                for c in traced
            ],
        }

    return runner.run("claims", input_hash, compute)


def enough_sources(shortfall: str | None) -> GateResult:
    if shortfall:
        return GateResult(ENOUGH_SOURCES, False, 0.0, 1.0, f"too few sources: {shortfall}")
    return GateResult(ENOUGH_SOURCES, True, 1.0, 1.0, "enough sources and channels")


def gate_verdicts(engine: Engine, ref: ArticleRef) -> list[GateResult]:
    """Every gate on the finished article, plus whether research found enough sources. Without
    an article, every gate fails with "no score"."""
    article = refresh(engine, ref).article
    markdown = article.markdown or ""
    sources = [Source(s["n"], s["channel"], s["text"]) for s in (article.sources or [])]
    with reading(engine) as connection:
        entry = repository.stage_entry(connection, ref.id, "research")
    shortfall = (entry.output or {}).get("shortfall") if entry else "no research yet"
    return [*run_gates(markdown, sources), enough_sources(shortfall)]


def scores(engine: Engine, runner: StageRunner) -> tuple[StageReport, list[GateResult]]:
    """Run the gates; the article is `ready` when every one passes, else `needs_review` with
    the reasons."""
    started = time.monotonic()
    markdown, sources = _finished(engine, runner.ref)
    verdicts = gate_verdicts(engine, runner.ref)
    input_hash = stage_hash((markdown, sources, [(v.name, v.passed, v.score) for v in verdicts]))

    def compute(report: StageReport) -> dict[str, Any]:
        failed = [v for v in verdicts if not v.passed]
        status = "needs_review" if failed else "ready"
        report.details = {"status": status, "failed": [v.name for v in failed]}
        return {
            "article": {
                "status": status,
                "scores": {v.name: v.score for v in verdicts},
                "checks": {
                    v.name: {
                        "passed": v.passed,
                        "score": v.score,
                        "threshold": v.threshold,
                        "reason": v.reason,
                    }
                    for v in verdicts
                },
                "review_reason": "; ".join(f"{v.name}: {v.reason}" for v in failed) or None,
            },
        }

    return runner.run("scores", input_hash, compute, started=started), verdicts


def publish(engine: Engine, ref: ArticleRef, now: datetime) -> bool:
    """Publish a `ready` article (the outbox row is the article itself); False otherwise."""
    article = refresh(engine, ref).article
    if article.status != "ready":
        return False
    repository.update_article(engine, ref.id, status="published", published_at=now)
    return True
