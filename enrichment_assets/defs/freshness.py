"""Freshness policies, one per cadence."""

from datetime import timedelta

import dagster as dg

# Freshness of the assets on a schedule: the UI flags one that missed its cadence (a warning
# after one missed run, a failure after two), as the legacy "pipeline broken" alerts did.
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=50), warn_window=timedelta(hours=26)
)
HOURLY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=3), warn_window=timedelta(hours=2)
)
