"""LLM enrichment and grounded tags of posts, by publish day, following `posts` automatically."""

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.enrichment.checks import (
    ENRICHMENT_CHECKS,
    TAGS_CHECKS,
    enrichment_check_results,
    tags_check_results,
)
from enrichment_assets.defs.metadata import table
from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import NETWORK_RETRY
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.lib.enrichment.workflow import EnrichmentSummary, run_enrichment
from enrichment_assets.resources._config import field_or_setting
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.llm import LLMNotConfigured, LLMResource


class EnrichmentConfig(dg.Config):
    """Run-time choices, set from the launchpad (or a backfill) in the UI."""

    channel: str | None = Field(
        default=None,
        description="Only the posts of this channel handle (e.g. to re-enrich one channel, "
        "with force).",
    )
    force: bool = Field(
        default=False,
        description="Redo posts already done under the current provider, model and prompt "
        "version, asking the provider again instead of reading the cache (this pays again).",
    )
    prompt_version: str | None = Field(
        default=None,
        description="Use this prompt version instead of the built-in one: a new version "
        "misses the cache and re-enriches every post in the selection.",
    )
    error_rate_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of posts in `error` above which the error-rate check fails; unset: "
        "ENRICHMENT_ERROR_RATE_THRESHOLD (0.1).",
    )


def _error_rate_threshold(config: EnrichmentConfig, llm: LLMResource) -> float:
    return field_or_setting(
        config.error_rate_threshold, llm.enrichment().enrichment_error_rate_threshold
    )


# Enrich and tag whenever posts of a day are added or change, for any day (not only the
# latest: landing files often carry older posts), once nothing upstream is still running.
# Replaces the legacy 5-minute beat; the project's `automation` sensor evaluates it.
follow_posts = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_missing()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("when posts change")


def _usage(context: dg.AssetExecutionContext, asset: str) -> UsageContext:
    keys = context.partition_key_range
    partition = keys.start if keys.start == keys.end else f"{keys.start}...{keys.end}"
    return UsageContext(run_id=context.run.run_id, asset=asset, partition=partition)


def _run(
    context: dg.AssetExecutionContext,
    config: EnrichmentConfig,
    db: DatabaseResource,
    llm: LLMResource,
    kind: str,
    asset: str,
) -> EnrichmentSummary:
    window = context.partition_time_window
    try:
        backend = llm.backend(
            db.engine,
            kind,
            _usage(context, asset),
            prompt_version=config.prompt_version,
            force=config.force,
        )
    except (LLMNotConfigured, ValueError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    summary = run_enrichment(
        db.engine,
        backend,
        kind,
        window.start,
        window.end,
        channel=config.channel,
        force=config.force,
        log=context.log.info,
    )
    if summary.totals.auth_error:
        raise dg.Failure(
            description=summary.totals.auth_error,
            allow_retries=False,
            metadata=_metadata(summary),
        )
    if summary.stop_reason:
        context.log.warning(f"{asset} stopped early: {summary.stop_reason}")
    return summary


def _metadata(summary: EnrichmentSummary) -> dict:
    totals = summary.totals
    metadata = {
        "provider": summary.provider,
        "model": summary.model,
        "prompt_version": summary.prompt_version,
        "posts_in_window": summary.posts_in_window,
        "already_done": summary.already_done,
        "completed": summary.statuses["completed"],
        "skipped": summary.statuses["skipped"],
        "errors": summary.statuses["error"],
        "from_cache_or_duplicate": summary.from_cache,
        "left_for_later": summary.left_for_later,
        "llm_calls": totals.calls,
        "llm_calls_by_status": dg.MetadataValue.json(totals.calls_by_status),
        "rate_limited_429": totals.rate_limited,
        "prompt_tokens": totals.prompt_tokens,
        "completion_tokens": totals.completion_tokens,
        "total_tokens": totals.prompt_tokens + totals.completion_tokens,
        # Estimated from the price table (lib/enrichment/pricing.py, LLM_PRICES).
        "cost_usd": dg.MetadataValue.float(round(totals.cost_usd, 8)),
        "budget_reached": totals.budget_reached,
    }
    if summary.stop_reason:
        metadata["stopped"] = summary.stop_reason
    if summary.errors:
        metadata["first_errors"] = dg.MetadataValue.md(
            "\n".join(f"- {error[:300]}" for error in summary.errors[:5])
        )
    return metadata


def _preview(summary: EnrichmentSummary) -> dg.MetadataValue:
    if not summary.preview:
        return dg.MetadataValue.md("_no row written in this run_")
    rows = []
    for row in summary.preview:
        payload = row["payload"] or {}
        if row["kind"] == "tags":
            answer = ", ".join(payload.get("tags", []))
        elif payload:
            answer = f"{payload.get('category')} / {payload.get('sentiment')}: " + ", ".join(
                payload.get("keywords", [])[:5]
            )
        else:
            answer = row["error"] or ""
        rows.append([row["post_id"], row["channel"], row["status"], answer])
    return table(["post", "channel", "status", "answer"], rows, max_width=120)


@dg.asset(
    deps=["posts"],
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    automation_condition=follow_posts,
    check_specs=ENRICHMENT_CHECKS,
    pool="llm",
    group_name="enrichment",
    kinds={"groq", "python"},
    retry_policy=NETWORK_RETRY,
)
def post_enrichments(
    context: dg.AssetExecutionContext,
    config: EnrichmentConfig,
    db: DatabaseResource,
    llm: LLMResource,
) -> dg.MaterializeResult:
    """Keywords, a category from the fixed taxonomy, sentiment and named entities for every
    post of the day(s), one `post_enrichment` row of kind `llm` per post (completed, skipped or
    error, with a reason). Each distinct text is asked once per provider, model and prompt
    version; calls run at the shared rate limit with a daily budget."""
    summary = _run(context, config, db, llm, "llm", "post_enrichments")
    window = context.partition_time_window
    threshold = _error_rate_threshold(config, llm)
    rows, checks = enrichment_check_results(db.engine, window.start, window.end, threshold)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows, **_metadata(summary), "preview": _preview(summary)},
        check_results=checks,
    )


@dg.asset(
    deps=["posts"],
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    automation_condition=follow_posts,
    check_specs=TAGS_CHECKS,
    pool="llm",
    group_name="enrichment",
    kinds={"groq", "python"},
    retry_policy=NETWORK_RETRY,
)
def post_tags(
    context: dg.AssetExecutionContext,
    config: EnrichmentConfig,
    db: DatabaseResource,
    llm: LLMResource,
) -> dg.MaterializeResult:
    """Grounded tags for every post of the day(s): a strict prompt, and every tag must appear
    in the post's text after normalisation (the others are dropped and counted). One
    `post_enrichment` row of kind `tags` per post, rewritten only when its tags hash changes."""
    summary = _run(context, config, db, llm, "tags", "post_tags")
    window = context.partition_time_window
    threshold = _error_rate_threshold(config, llm)
    rows, checks = tags_check_results(db.engine, window.start, window.end, summary, threshold)
    metadata = {
        "dagster/row_count": rows,
        **_metadata(summary),
        "tags_persisted": summary.tags_persisted,
        "tags_unchanged": summary.tags_unchanged,
        "tags_dropped_ungrounded": summary.tags_dropped_ungrounded,
        "preview": _preview(summary),
    }
    return dg.MaterializeResult(metadata=metadata, check_results=checks)
