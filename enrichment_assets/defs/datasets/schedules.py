"""The legacy beat cadences as schedules, running by default: Hugging Face daily, Kaggle
details hourly, Kaggle latest daily. The daily ones run the day that just ended."""

from __future__ import annotations

import dagster as dg

from enrichment_assets.defs.datasets.assets import (
    hf_datasets,
    kaggle_dataset_details,
    kaggle_latest_datasets,
)

# Both feeds are partitioned by `datasets_daily`; the jobs infer it from the selection.
hf_datasets_job = dg.define_asset_job("hf_datasets_job", selection=[hf_datasets])
kaggle_latest_datasets_job = dg.define_asset_job(
    "kaggle_latest_datasets_job", selection=[kaggle_latest_datasets]
)
kaggle_dataset_details_job = dg.define_asset_job(
    "kaggle_dataset_details_job", selection=[kaggle_dataset_details]
)

hf_datasets_daily = dg.build_schedule_from_partitioned_job(
    hf_datasets_job,
    name="hf_datasets_daily",
    hour_of_day=1,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="legacy enrich.fetch_hf_datasets, every 24 h",
)
kaggle_latest_datasets_daily = dg.build_schedule_from_partitioned_job(
    kaggle_latest_datasets_job,
    name="kaggle_latest_datasets_daily",
    hour_of_day=1,
    minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="legacy kaggle.fetch_latest, every 24 h",
)
kaggle_dataset_details_hourly = dg.ScheduleDefinition(
    name="kaggle_dataset_details_hourly",
    job=kaggle_dataset_details_job,
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="legacy kaggle.enrich_pending, every hour, 50 per run",
)
