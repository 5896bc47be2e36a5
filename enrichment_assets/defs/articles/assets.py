"""Article generation, one dynamic partition per approved request: research → outline → draft →
polish → claims → scores → publication, each stage an asset that stores its output in tables.

Re-executing from a failed stage (or materializing again) reads finished stages back and asks
the LLM nothing for them. The gates are blocking checks on `article_scores`: an article that
fails one is `needs_review`, and `article_publication` does not run for it.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from enrichment_assets.defs.metadata import table, table_of_dicts
from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.defs.retries import ARTICLE_STAGE_RETRY
from enrichment_assets.lib.articles import bias, pipeline
from enrichment_assets.lib.articles.claims import FACTS_THRESHOLD
from enrichment_assets.lib.articles.gates import GATES
from enrichment_assets.lib.articles.plagiarism import PLAGIARISM_THRESHOLD
from enrichment_assets.lib.articles.readability import READABILITY_THRESHOLD
from enrichment_assets.lib.articles.stages import (
    ArticleRef,
    StageReport,
    StageRunner,
    open_article,
    refresh,
)
from enrichment_assets.lib.articles.writers import StageFailed, Writer
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.resources.articles import ArticlesResource
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.resources.llm import LLMNotConfigured, LLMResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading

GROUP = "articles"
CHECKS = (*GATES, pipeline.ENOUGH_SOURCES)
# What each check asks, shown on the asset's Checks tab beside its verdict and reason.
CHECK_DESCRIPTIONS = {
    "citations_resolve": "Every [n] in the article is a stored source, and every stored source "
    "is cited.",
    "facts_supported": f"At least {FACTS_THRESHOLD:g}% of the claims have their numbers, dates "
    "and names in the text of the source they cite.",
    "no_contradicted_claims": "No claim states a number its cited source gives otherwise.",
    "bias": f"Loaded language per 100 words plus sentiment skew: a score under "
    f"{bias.BIAS_THRESHOLD:g} passes.",
    "perspective_balance": f"At least {bias.MIN_CHANNELS} channels cited, none holding more "
    f"than {bias.MAX_CHANNEL_SHARE:.0%} of the cited sources.",
    "readability": f"Flesch reading ease of at least {READABILITY_THRESHOLD:g}.",
    "plagiarism": f"The longest unquoted run copied from one source is under "
    f"{PLAGIARISM_THRESHOLD:g}% of the article's words.",
    pipeline.ENOUGH_SOURCES: "Research found enough sources from enough channels; too few make "
    "the article `needs_review`.",
}
_COMMON = dict(
    partitions_def=article_requests,
    group_name=GROUP,
    pool="llm",
    retry_policy=ARTICLE_STAGE_RETRY,
    kinds={"python", "sql"},
)


class Stage:
    """What a stage asset needs, set up once: the article, the runner, the writer."""

    def __init__(
        self,
        context: dg.AssetExecutionContext,
        db: DatabaseResource,
        llm: LLMResource,
        embedder: EmbedderResource,
        articles: ArticlesResource,
    ) -> None:
        self.context = context
        self.engine = db.engine
        try:
            self.ref: ArticleRef = open_article(self.engine, context.partition_key)
            provider, model = articles.writer_model(llm, embedder)
        except (LookupError, LLMNotConfigured) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        self.runner = StageRunner(
            self.engine, self.ref, provider, model, articles.resolved_max_cost_usd(),
            log=context.log.info,
        )  # fmt: skip
        self._writer_factory: Callable[[], Writer | None] = lambda: articles.writer(
            self.engine, llm, embedder, self.usage()
        )

    def usage(self) -> UsageContext:
        return UsageContext(
            run_id=self.context.run.run_id,
            asset=self.context.asset_key.to_user_string(),
            partition=self.context.partition_key,
            entity_type="article",
        )

    def writer(self) -> Writer | None:
        try:
            return self._writer_factory()
        except LLMNotConfigured as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error

    def run(self, compute: Callable[[], StageReport]) -> StageReport:
        """Run the stage; a failure becomes a step failure, retried only when transient."""
        try:
            return compute()
        except StageFailed as failure:
            raise dg.Failure(
                description=f"{failure.kind}: {failure}",
                allow_retries=failure.retryable,
                metadata={"article_status": "failed", "reason": failure.kind},
            ) from failure


def _metadata(stage: Stage, report: StageReport) -> dict:
    article = refresh(stage.engine, stage.ref).article
    usage = report.usage
    metadata = {
        "request": stage.ref.request.partition_key,
        "topic": stage.ref.request.topic,
        "version": stage.ref.article.version,
        "article_status": article.status,
        "stage_result": "reused" if report.reused else ("skipped" if report.skipped else "done"),
        "llm_calls": usage.calls,
        "cached_calls": usage.cached,
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        "cost_usd": round(usage.cost_usd, 6),
        "article_cost_usd": round(article.cost_usd, 6),
        "seconds": round(report.seconds, 2),
    }
    if report.skipped:
        metadata["skipped_because"] = report.skipped
    for key, value in report.details.items():
        if isinstance(value, int | float | str | bool):
            metadata[key] = value
        elif value is not None:
            metadata[key] = dg.MetadataValue.json(value)
    return metadata


def _sources_table(stage: Stage) -> dg.MetadataValue:
    """Research's sources: its number, the article's number once polished, where from, text."""
    with reading(stage.engine) as connection:
        rows = repository.sources_of(connection, stage.ref.id)
    return table(
        ["n", "in_article", "channel", "from", "score", "text"],
        (
            [r.n, r.article_n, r.channel, r.url or f"post {r.post_id}", r.score, r.text]
            for r in rows
        ),
        max_width=90,
    )


_UPSTREAM = {
    "article_outline": "article_research",
    "article_draft": "article_outline",
    "article_polish": "article_draft",
    "article_claims": "article_polish",
    "article_scores": "article_claims",
    "article_publication": "article_scores",
}


def _spec(name: str, description: str) -> dict:
    deps = [_UPSTREAM[name]] if name in _UPSTREAM else []
    return dict(name=name, description=description, deps=deps, **_COMMON)


@dg.asset(
    **_spec(
        "article_research",
        "Sources for the topic: posts (by their stored embeddings) and the pages they link to, "
        "ranked by similarity to the topic and keywords, at most a few per channel. Rows in "
        "`article_sources`.",
    )
)
def article_research(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    llm: LLMResource,
    embedder: EmbedderResource,
    articles: ArticlesResource,
) -> dg.MaterializeResult:
    stage = Stage(context, db, llm, embedder, articles)
    options = articles.research_options(embedder)
    report = stage.run(
        lambda: pipeline.research(stage.engine, stage.runner, embedder.encode, options)
    )
    metadata = _metadata(stage, report) | {"sources_table": _sources_table(stage)}
    return dg.MaterializeResult(metadata=metadata)


def _writer_stage(name: str, description: str, run: Callable) -> dg.AssetsDefinition:
    @dg.asset(**_spec(name, description))
    def stage_asset(
        context: dg.AssetExecutionContext,
        db: DatabaseResource,
        llm: LLMResource,
        embedder: EmbedderResource,
        articles: ArticlesResource,
    ) -> dg.MaterializeResult:
        stage = Stage(context, db, llm, embedder, articles)
        writer = stage.writer()
        if writer is None:
            report = StageReport(name, skipped="LLM_PROVIDER is none: nothing is written")
        else:
            report = stage.run(lambda: run(stage.engine, stage.runner, writer))
        return dg.MaterializeResult(metadata=_metadata(stage, report) | _extra(stage, name))

    return stage_asset


def _extra(stage: Stage, name: str) -> dict:
    article = refresh(stage.engine, stage.ref).article
    if name == "article_outline":
        with reading(stage.engine) as connection:
            sections = repository.sections_of(connection, stage.ref.id)
        return {"outline": table(["heading", "sources"], ((s.heading, str(s.source_numbers))
                                                          for s in sections))}  # fmt: skip
    if name == "article_polish" and article.markdown:
        return {
            "article": dg.MetadataValue.md(article.markdown),
            "sources_table": _sources_table(stage),
        }
    return {}


article_outline = _writer_stage(
    "article_outline",
    "A title and sections, each with the only sources it may be written from (`article_sections`).",
    pipeline.outline,
)
article_draft = _writer_stage(
    "article_draft",
    "Each section written from its own sources only, every factual sentence cited `[n]`.",
    pipeline.draft,
)
article_polish = _writer_stage(
    "article_polish",
    "A lead, repeated sentences merged (their citations kept), citations renumbered; the "
    "finished markdown and its sources in `articles`.",
    pipeline.polish_stage,
)


@dg.asset(
    **_spec(
        "article_claims",
        "The article cut into atomic claims, each with the source that supports it and the "
        "supporting span (`article_claims`).",
    )
)
def article_claims(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    llm: LLMResource,
    embedder: EmbedderResource,
    articles: ArticlesResource,
) -> dg.MaterializeResult:
    stage = Stage(context, db, llm, embedder, articles)
    report = stage.run(lambda: pipeline.claims(stage.engine, stage.runner))
    with reading(stage.engine) as connection:
        rows = repository.claims_of(connection, stage.ref.id)
    claims = table(
        ["claim", "citations", "supported", "source", "span", "reason"],
        ((r.text, str(r.citations), r.supported, r.source_n, r.span, r.reason) for r in rows),
    )
    return dg.MaterializeResult(metadata=_metadata(stage, report) | {"claims": claims})


@dg.asset(
    **_spec(
        "article_scores",
        "The quality gates, each a computation over the article and its stored sources; each is "
        "a blocking check. All pass: `ready`; any fails: `needs_review` with the reasons.",
    ),
    check_specs=[
        dg.AssetCheckSpec(
            name, asset="article_scores", blocking=True, description=CHECK_DESCRIPTIONS[name]
        )
        for name in CHECKS
    ],
)
def article_scores(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    llm: LLMResource,
    embedder: EmbedderResource,
    articles: ArticlesResource,
) -> dg.MaterializeResult:
    stage = Stage(context, db, llm, embedder, articles)
    report, verdicts = stage.run(lambda: pipeline.scores(stage.engine, stage.runner))
    checks = [
        dg.AssetCheckResult(
            check_name=verdict.name,
            passed=verdict.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=verdict.reason,
            metadata={
                "score": verdict.score if verdict.score is not None else "no score",
                "threshold": verdict.threshold if verdict.threshold is not None else "-",
                "reason": verdict.reason,
            },
        )
        for verdict in verdicts
    ]
    scores = table_of_dicts(
        [
            {
                "gate": v.name,
                "passed": v.passed,
                "score": v.score,
                "threshold": v.threshold,
                "reason": v.reason,
            }
            for v in verdicts
        ]
    )
    article = refresh(stage.engine, stage.ref).article
    metadata = _metadata(stage, report) | {"scores": scores}
    if article.review_reason:
        metadata["review_reason"] = article.review_reason
    return dg.MaterializeResult(metadata=metadata, check_results=checks)


@dg.asset(
    **_spec(
        "article_publication",
        "Publishes a `ready` article when ARTICLES_AUTO_PUBLISH is on; otherwise it waits for "
        "approval through the `review_articles` job. The `articles` row is the outbox.",
    )
)
def article_publication(
    context: dg.AssetExecutionContext,
    db: DatabaseResource,
    llm: LLMResource,
    embedder: EmbedderResource,
    articles: ArticlesResource,
) -> dg.MaterializeResult:
    stage = Stage(context, db, llm, embedder, articles)
    published = False
    if articles.resolved_auto_publish():
        published = pipeline.publish(stage.engine, stage.ref, datetime.now(UTC))
    article = refresh(stage.engine, stage.ref).article
    if article.status == "ready":
        context.log.info("ready: approve it with the review_articles job to publish")
    metadata = {
        "request": stage.ref.request.partition_key,
        "article_status": article.status,
        "published_now": published,
        "title": article.title or "",
        "cost_usd": round(article.cost_usd, 6),
    }
    if article.markdown:
        metadata["article"] = dg.MetadataValue.md(article.markdown)
    return dg.MaterializeResult(metadata=metadata)
