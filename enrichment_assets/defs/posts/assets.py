"""`posts`: every post file in the landing folder, upserted into `posts` by UTC publish day."""

from datetime import timedelta

import dagster as dg

from enrichment_assets.defs.metadata import table
from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.common.tables import md_table, shorten
from enrichment_assets.lib.posts.loader import IngestReport, Window, ingest_window
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.landing import LandingResource

POSTS_MATCH_SOURCE_FILES = "posts_match_source_files"


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    group_name="posts",
    kinds={"python", "sql"},
    owners=["team:data-engineering"],
    retry_policy=DATABASE_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            POSTS_MATCH_SOURCE_FILES,
            asset="posts",
            description="The partition holds exactly as many posts as its source files offer.",
        )
    ],
)
def posts(
    context: dg.AssetExecutionContext, db: DatabaseResource, landing: LandingResource
) -> dg.MaterializeResult:
    """Posts from the landing folder (Telegram Desktop exports, RSS/Atom feeds, JSONL), by the
    UTC day they were published. Upserted on (channel, external id): re-running a day changes
    nothing. A malformed file is quarantined with its reason; every other file still lands."""
    time_window = context.partition_time_window
    window = Window(time_window.start.date(), (time_window.end - timedelta(days=1)).date())
    report = ingest_window(db.engine, landing.directory(), window, landing.first_day())
    for outcome in report.quarantined:
        context.log.warning(f"quarantined {outcome.relative}: {outcome.note}")
    if report.before_start:
        context.log.warning(
            f"{report.before_start} posts are older than POSTS_START_DATE and were not stored"
        )
    return dg.MaterializeResult(
        metadata=_metadata(report, landing),
        check_results=[_source_files_check(report)],
    )


def _metadata(report: IngestReport, landing: LandingResource) -> dict:
    return {
        "dagster/row_count": report.stored,
        "inserted": report.counts["inserted"],
        "updated": report.counts["updated"],
        "unchanged": report.counts["unchanged"],
        "quarantined_files": len(report.quarantined),
        "older_than_start_date": report.before_start,
        "skipped": dg.MetadataValue.json(dict(report.skipped)),
        "per_channel": table(["channel", "posts"], report.per_channel.most_common()),
        # Markdown, not a table: one line per file with its note, read rather than sorted.
        "files": dg.MetadataValue.md(
            md_table(
                ["file", "format", "status", "posts in window", "note"],
                [(f.relative, f.format, f.status, f.posts_in_window, f.note) for f in report.files],
            )
        ),
        "preview": table(
            ["published (UTC)", "channel", "text", "links"],
            [
                (
                    post.published_at.strftime("%Y-%m-%d %H:%M"),
                    post.channel.title or post.channel.handle,
                    shorten(post.text),
                    len(post.urls),
                )
                for post in report.preview
            ],
        ),
        "landing_dir": str(landing.directory()),
    }


def _source_files_check(report: IngestReport) -> dg.AssetCheckResult:
    extra = report.stored - report.offered
    if extra < 0:
        severity, passed = dg.AssetCheckSeverity.ERROR, False
        description = f"{-extra} posts offered by the files are missing from the database"
    elif extra > 0:
        severity, passed = dg.AssetCheckSeverity.WARN, False
        description = (
            f"{extra} posts in the partition come from files no longer in the landing folder"
        )
    else:
        severity, passed = dg.AssetCheckSeverity.ERROR, True
        description = "every post the files offer is stored, and nothing else"
    return dg.AssetCheckResult(
        check_name=POSTS_MATCH_SOURCE_FILES,
        passed=passed,
        severity=severity,
        description=description,
        metadata={"offered_by_files": report.offered, "stored": report.stored},
    )
