"""The legacy cadences: Hugging Face and Kaggle latest daily, Kaggle details hourly."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from enrichment_assets.definitions import defs


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    """A partitioned schedule is resolved against the whole project's assets, as the daemon does."""
    return defs()


def _run_requests(schedule, when: datetime):
    context = dg.build_schedule_context(scheduled_execution_time=when)
    return schedule.evaluate_tick(context).run_requests


def test_daily_feeds_run_the_day_that_just_ended(definitions):
    hf_datasets_daily = definitions.resolve_schedule_def("hf_datasets_daily")
    kaggle_latest_datasets_daily = definitions.resolve_schedule_def("kaggle_latest_datasets_daily")
    when = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)
    for schedule in (hf_datasets_daily, kaggle_latest_datasets_daily):
        (request,) = _run_requests(schedule, when)
        assert request.partition_key == "2026-11-21"
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert hf_datasets_daily.cron_schedule == "0 1 * * *"
    assert kaggle_latest_datasets_daily.cron_schedule == "30 1 * * *"


def test_kaggle_details_run_every_hour_by_default(definitions):
    kaggle_dataset_details_hourly = definitions.resolve_schedule_def(
        "kaggle_dataset_details_hourly"
    )
    assert kaggle_dataset_details_hourly.cron_schedule == "15 * * * *"
    assert kaggle_dataset_details_hourly.default_status == dg.DefaultScheduleStatus.RUNNING
    (request,) = _run_requests(
        kaggle_dataset_details_hourly, datetime(2026, 11, 22, 3, 15, tzinfo=UTC)
    )
    assert request.partition_key is None
