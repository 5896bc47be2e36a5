"""The web layer: pages linked from posts, the health of every cited link, and the cleanup of
what is stored (expired cache rows, orphans)."""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.freshness import DAILY_FRESHNESS
from enrichment_assets.defs.metadata import counts_table, table
from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY, NETWORK_RETRY
from enrichment_assets.lib.common.tables import md_table
from enrichment_assets.lib.graph.build import remove_deleted_posts
from enrichment_assets.lib.web.cleanup import clean_up
from enrichment_assets.lib.web.crawl import run_crawl
from enrichment_assets.lib.web.link_health import broken_jump, run_link_health
from enrichment_assets.resources._config import field_or_setting
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.http import HttpResource

GROUP = "web"
LINK_HEALTH_JUMP_CHECK = "no_jump_in_broken_links"
CATALOG_ASSETS = (
    "hf_datasets",
    "meta_kaggle_datasets",
    "kaggle_dataset_details",
    "kaggle_latest_datasets",
)


class PostCrawlsConfig(dg.Config):
    force: bool = Field(
        default=False, description="Crawl again posts whose links were already crawled."
    )
    max_links_per_post: int | None = Field(
        default=None,
        ge=0,
        description="Links crawled per post; unset: CRAWL_MAX_LINKS_PER_POST (3).",
    )


class LinkHealthConfig(dg.Config):
    limit: int | None = Field(
        default=None,
        ge=1,
        description="Links checked in this run, most overdue first; unset: "
        "LINK_CHECK_LIMIT (5000).",
    )
    strikes_to_break: int | None = Field(
        default=None,
        ge=1,
        description="Strikes on different UTC days before a link is `broken`; "
        "unset: LINK_STRIKES_TO_BREAK (3).",
    )
    broken_jump_min: int | None = Field(
        default=None,
        ge=1,
        description="Newly broken links in one run that make the jump check "
        "warn; unset: LINK_BROKEN_JUMP_MIN (10).",
    )


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    deps=["posts"],
    group_name=GROUP,
    kinds={"python", "sql"},
    automation_condition=dg.AutomationCondition.eager(),
    retry_policy=NETWORK_RETRY,
)
def post_crawls(
    context: dg.AssetExecutionContext,
    config: PostCrawlsConfig,
    db: DatabaseResource,
    http: HttpResource,
) -> dg.MaterializeResult:
    """The pages that posts link to: title and main text (trafilatura), one `post_enrichment`
    row of kind `crawl` per post with links. Pages that are not HTML, too large, blocked by the
    SSRF guard, disallowed by robots.txt or failing are recorded with their reason. Fetched
    politely (per-host limits, robots.txt) through a response cache shared by every run."""
    window = context.partition_time_window
    limit = field_or_setting(config.max_links_per_post, http.web().crawl_max_links_per_post)

    summary, stats = run_crawl(
        db.engine,
        http.fetcher(db.engine),
        window.start,
        window.end,
        max_links_per_post=limit,
        force=config.force,
        log=context.log.info,
    )
    return dg.MaterializeResult(
        metadata={
            # One crawl row per post with links in the partition, whether written now or before.
            "dagster/row_count": summary.posts_with_links,
            "crawled": summary.written,
            "posts_in_window": summary.posts_in_window,
            "posts_with_links": summary.posts_with_links,
            "unchanged": summary.unchanged,
            "completed": summary.by_status["completed"],
            "skipped": summary.by_status["skipped"],
            "errors": summary.by_status["error"],
            "by_status": dg.MetadataValue.json(dict(summary.by_status)),
            "pages_by_outcome": dg.MetadataValue.json(dict(summary.pages_by_outcome)),
            "http_requests": stats.requests,
            "cache_hits": stats.cache_hits,
            "max_links_per_post": limit,
            "preview": table(
                ["post", "status", "url", "title", "reason"],
                [
                    [row["post_id"], row["status"], row["url"], row["title"], row["reason"]]
                    for row in summary.preview
                ],
            ),
        }
    )


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    # The day's posts, and every dataset of the catalog (whatever day it was fetched on).
    deps=[
        "posts",
        *(dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping()) for key in CATALOG_ASSETS),
    ],
    group_name=GROUP,
    kinds={"python", "sql"},
    freshness_policy=DAILY_FRESHNESS,
    retry_policy=NETWORK_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            LINK_HEALTH_JUMP_CHECK,
            asset="link_health",
            description="Warns when many links turn broken in one run (LINK_BROKEN_JUMP_MIN and "
            "more than half of those already broken): a site moved, or the checker is wrong.",
        )
    ],
)
def link_health(
    context: dg.AssetExecutionContext,
    config: LinkHealthConfig,
    db: DatabaseResource,
    http: HttpResource,
) -> dg.MaterializeResult:
    """Whether the links cited by posts and datasets still work (table `links`). Registers the
    links of the partition's posts and of every dataset, then checks every link that is due:
    HEAD, GET where HEAD is refused; 404/410/unknown host is a strike, 403/429/5xx only
    inconclusive (Retry-After honoured); `broken` after LINK_STRIKES_TO_BREAK strikes on
    different days. Metadata shows what changed."""
    window = context.partition_time_window
    web = http.web()
    limit = field_or_setting(config.limit, web.link_check_limit)
    strikes_to_break = field_or_setting(config.strikes_to_break, web.link_strikes_to_break)
    jump_min = field_or_setting(config.broken_jump_min, web.link_broken_jump_min)
    summary, stats = run_link_health(
        db.engine,
        http.fetcher(),
        window.start,
        window.end,
        datetime.now(UTC),
        strikes_to_break=strikes_to_break,
        limit=limit,
        log=context.log.info,
    )
    jump = broken_jump(summary.newly_broken, summary.broken_before, jump_min)
    check = dg.AssetCheckResult(
        check_name=LINK_HEALTH_JUMP_CHECK,
        passed=not jump,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{summary.newly_broken} links turned broken in this run "
            f"({summary.broken_before} were broken before)"
        ),
        metadata={"newly_broken": summary.newly_broken, "broken_before": summary.broken_before},
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.checked,
            "links_registered": summary.registered_links,
            "citations_registered": summary.registered_citations,
            "citations_withdrawn": summary.withdrawn_citations,
            "urls_too_long_to_track": summary.skipped_long_urls,
            "checked": summary.checked,
            "by_verdict": dg.MetadataValue.json(dict(summary.by_verdict)),
            "by_state": dg.MetadataValue.json(dict(summary.by_state)),
            "transitions": dg.MetadataValue.json(dict(summary.transitions)),
            "newly_broken": summary.newly_broken,
            "broken_total": summary.broken_after,
            "network_down_batches": summary.network_down_batches,
            "http_requests": stats.requests,
            "limit": limit,
            "strikes_to_break": strikes_to_break,
            # Markdown, not a table: a reader scans what changed, and may copy a URL from it.
            "changes": dg.MetadataValue.md(
                md_table(
                    ["url", "from", "to", "strikes", "reason"],
                    [
                        [c["url"], c["from"], c["to"], c["strikes"], c["reason"]]
                        for c in summary.changes
                    ],
                    max_width=80,
                )
            ),
        },
        check_results=[check],
    )


class StorageCleanupConfig(dg.Config):
    dry_run: bool = Field(default=False, description="Count what would be removed; delete nothing.")


@dg.asset(group_name=GROUP, kinds={"python", "sql"}, retry_policy=DATABASE_RETRY)
def storage_cleanup(
    context: dg.AssetExecutionContext, config: StorageCleanupConfig, db: DatabaseResource
) -> dg.MaterializeResult:
    """The janitor's sweep of stored leftovers: expired HTTP cache rows, vectors and enrichment
    rows of deleted posts or datasets, citations of deleted entities and links nothing cites,
    graph edges of deleted posts and graph nodes left without an edge. Counts per kind;
    `dry_run` only counts."""
    counts = clean_up(db.engine, datetime.now(UTC), dry_run=config.dry_run, log=context.log.info)
    # The graph's own path: removing a post's mentions must also lower the CO_OCCURS weights.
    counts |= remove_deleted_posts(db.engine, dry_run=config.dry_run, log=context.log.info)
    total = sum(counts.values())
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": total,
            "dry_run": config.dry_run,
            **{name: count for name, count in counts.items()},
            "summary": counts_table(
                counts, "kind", "would remove" if config.dry_run else "removed"
            ),
        }
    )
