"""The legacy beat entries `cleanup.check_broken_links` and `cleanup.remove_old_cache`, as
schedules that start running."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

link_health_job = dg.define_asset_job(
    "link_health_job",
    selection=dg.AssetSelection.assets("link_health"),
    description="The link janitor for one day: register that day's post links, check what is due.",
)

storage_cleanup_job = dg.define_asset_job(
    "storage_cleanup_job",
    selection=dg.AssetSelection.assets("storage_cleanup"),
    description="Remove expired cache rows and orphaned vectors, enrichment rows and links.",
)


@dg.schedule(
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    job=link_health_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def link_health_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every night: yesterday's partition (its posts are all in), and every link that is due."""
    day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
    return dg.RunRequest(run_key=f"link_health:{day}", partition_key=day)


storage_cleanup_daily = dg.ScheduleDefinition(
    name="storage_cleanup_daily",
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    job=storage_cleanup_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night after the janitor: expired cache rows and orphans.",
)
