"""Checks where the legacy alerts stood: tags generated but not persisted (TaggingPipelineBroken),
an error rate above a threshold, and posts left without enrichment. They run inline, on the
window the run just wrote, so a range backfill is checked as a whole."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.workflow import EnrichmentSummary, tags_not_persisted
from enrichment_assets.storage.enrichment import window_status_counts

ENRICHMENT_CHECKS = [
    dg.AssetCheckSpec(
        "error_rate_below_threshold",
        asset="post_enrichments",
        description="Share of posts whose enrichment ended in `error` stays at or below "
        "ENRICHMENT_ERROR_RATE_THRESHOLD (default 0.1).",
    ),
    dg.AssetCheckSpec(
        "every_post_enriched",
        asset="post_enrichments",
        description="Every post of the window has an enrichment row (a budget stop or an "
        "interrupted run leaves some without).",
    ),
]
TAGS_CHECKS = [
    dg.AssetCheckSpec(
        "tags_persisted",
        asset="post_tags",
        description="Every tag set generated in this run is in the table with its hash "
        "(the legacy alert: tags generated, but not saved).",
    ),
    dg.AssetCheckSpec(
        "error_rate_below_threshold",
        asset="post_tags",
        description="Share of posts whose tagging ended in `error` stays at or below "
        "ENRICHMENT_ERROR_RATE_THRESHOLD.",
    ),
]


def _error_rate_result(asset: str, total: int, counts, threshold: float) -> dg.AssetCheckResult:
    errors = counts.get("error", 0)
    rate = errors / total if total else 0.0
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name="error_rate_below_threshold",
        passed=rate <= threshold,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"errors": errors, "posts": total, "error_rate": rate, "threshold": threshold},
    )


def enrichment_check_results(
    engine: Engine, start: datetime, end: datetime, error_rate_threshold: float
) -> tuple[int, list[dg.AssetCheckResult]]:
    total, counts = window_status_counts(engine, "llm", start, end)
    rows = sum(counts.values())
    missing = total - rows
    return rows, [
        _error_rate_result("post_enrichments", total, counts, error_rate_threshold),
        dg.AssetCheckResult(
            asset_key="post_enrichments",
            check_name="every_post_enriched",
            passed=missing == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"posts": total, "without_enrichment": missing},
        ),
    ]


def tags_check_results(
    engine: Engine,
    start: datetime,
    end: datetime,
    summary: EnrichmentSummary,
    error_rate_threshold: float,
) -> tuple[int, list[dg.AssetCheckResult]]:
    total, counts = window_status_counts(engine, "tags", start, end)
    lost = tags_not_persisted(engine, summary.generated_tags)
    return sum(counts.values()), [
        dg.AssetCheckResult(
            asset_key="post_tags",
            check_name="tags_persisted",
            passed=not lost,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "generated": len(summary.generated_tags),
                "not_persisted": len(lost),
                "example_post_ids": dg.MetadataValue.json(lost[:10]),
            },
        ),
        _error_rate_result("post_tags", total, counts, error_rate_threshold),
    ]
