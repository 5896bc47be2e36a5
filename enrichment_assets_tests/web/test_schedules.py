"""The janitor schedules: running by default, and the right partition."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from enrichment_assets.definitions import defs
from enrichment_assets.defs.web.schedules import link_health_daily, storage_cleanup_daily


def test_schedules_start_running():
    for schedule in (link_health_daily, storage_cleanup_daily):
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_link_health_runs_yesterdays_partition():
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2024, 5, 2, 3, 0, tzinfo=UTC),
        repository_def=defs().get_repository_def(),
    )
    request = link_health_daily.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2024-05-01"
    assert request.run_key == "link_health:2024-05-01"
