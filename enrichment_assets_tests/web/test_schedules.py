"""The janitor schedules, as the daemon loads them: running by default, the right partition,
and each run materializes its janitor asset."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from enrichment_assets.definitions import defs


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def _targets(definitions: dg.Definitions, request: dg.RunRequest, schedule) -> set[str]:
    job = definitions.resolve_job_def(request.job_name or schedule.job_name)
    return {key.to_user_string() for key in job.asset_layer.selected_asset_keys}


def test_the_loaded_schedules_start_running(definitions):
    for name in ("link_health_daily", "storage_cleanup_daily"):
        schedule = definitions.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING, name


def test_link_health_runs_yesterdays_partition(definitions):
    schedule = definitions.resolve_schedule_def("link_health_daily")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2024, 5, 2, 3, 0, tzinfo=UTC),
        repository_def=definitions.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2024-05-01"
    assert request.run_key == "link_health:2024-05-01"
    assert _targets(definitions, request, schedule) == {"link_health"}


def test_storage_cleanup_runs_the_cleanup_asset_every_night(definitions):
    schedule = definitions.resolve_schedule_def("storage_cleanup_daily")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2024, 5, 2, 4, 30, tzinfo=UTC),
        repository_def=definitions.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key is None
    assert _targets(definitions, request, schedule) == {"storage_cleanup"}
    assert schedule.cron_schedule == "30 4 * * *"
