"""Every PartitionsDefinition, defined once.

Posts and everything computed from them are partitioned by the UTC day they were published.
The first day comes from POSTS_START_DATE (read when definitions load: a partition set must be
known before any run); one day past today is included so posts published today have a home.
"""

import dagster as dg

from enrichment_assets.lib import settings

posts_daily = dg.DailyPartitionsDefinition(
    start_date=settings.posts_start_date().isoformat(),
    timezone="UTC",
    end_offset=1,
)

# Dagster pays seconds per run: a backfill of any date range goes in one run.
posts_backfill_policy = dg.BackfillPolicy.single_run()
