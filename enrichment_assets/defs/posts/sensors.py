"""The landing sensor: new or changed files request runs for exactly the days they touch."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg

from enrichment_assets.lib.common.hashing import stable_hash
from enrichment_assets.lib.posts.landing import plan_runs
from enrichment_assets.resources.landing import LandingResource

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dg.sensor(
    name="landing_folder_sensor",
    target=dg.AssetSelection.assets("posts"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Watches LANDING_DIR; a new or changed file requests one run per contiguous "
    "range of the days it touches. The cursor (size and mtime of every file) survives restarts.",
)
def landing_folder_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
) -> dg.SensorResult:
    previous = json.loads(context.cursor) if context.cursor else {}
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)  # posts_daily has end_offset=1
    plan = plan_runs(landing.directory(), previous, landing.first_day(), tomorrow)
    for path, error in plan.errors.items():
        context.log.warning(f"{path} cannot be read ({error}); the run will quarantine it")
    if plan.outside:
        context.log.warning(
            f"{plan.outside} posts fall before POSTS_START_DATE or after tomorrow: no partition"
        )
    batch = stable_hash(sorted((path, plan.cursor[path]) for path in plan.changed))[:12]
    run_requests = []
    for first, last in plan.ranges:
        tags = {"landing/changed_files": str(len(plan.changed))}
        if first == last:
            request = dg.RunRequest(
                run_key=f"{first}:{batch}", partition_key=first.isoformat(), tags=tags
            )
        else:
            tags |= {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
            request = dg.RunRequest(run_key=f"{first}..{last}:{batch}", tags=tags)
        run_requests.append(request)
    skip_reason = None if run_requests else "no new or changed post files touch a partition"
    return dg.SensorResult(
        run_requests=run_requests, cursor=json.dumps(plan.cursor), skip_reason=skip_reason
    )
