"""Jobs for the post pipeline: the same assets in-process (default) or with each step on a
Celery worker (scale-out; see deploy/ and docs/operations.md).

The daily post assets share one partitioning, so a backfill of any range is one run; on
Celery its steps (ingest, enrich, tag, crawl, embed) spread over the workers. Nothing passes
between steps in memory: every asset writes the database, and the rate limiter and the
enrichment cache live there too, so workers on other machines see the same state.
"""

import dagster as dg
from dagster_celery import celery_executor

from enrichment_assets.defs.partitions import posts_daily

POST_PIPELINE_ASSETS = [
    "posts",
    "post_enrichments",
    "post_tags",
    "post_crawls",
    "post_embeddings",
    "near_duplicate_posts",
]

post_pipeline = dg.define_asset_job(
    name="post_pipeline",
    selection=dg.AssetSelection.assets(*POST_PIPELINE_ASSETS),
    partitions_def=posts_daily,
    description="Every daily post asset for a day or a range of days, in one run.",
    tags={"dagster/max_runtime": 6 * 3600},
)

post_pipeline_celery = dg.define_asset_job(
    name="post_pipeline_celery",
    selection=dg.AssetSelection.assets(*POST_PIPELINE_ASSETS),
    partitions_def=posts_daily,
    description="The post pipeline with each step on a Celery worker (broker CELERY_BROKER_URL). "
    "Needs Dagster storage every process shares (PostgreSQL: deploy/dagster.yaml).",
    executor_def=celery_executor.configured(
        {
            "broker": {"env": "CELERY_BROKER_URL"},
            "backend": {"env": "CELERY_RESULT_BACKEND"},
        }
    ),
    tags={"dagster/max_runtime": 6 * 3600},
)
