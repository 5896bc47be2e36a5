"""The repositories sensor: a run per new HEAD commit (or changed files, for a plain folder)."""

import dagster as dg

from enrichment_assets.defs.code_graph.jobs import index_repository
from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph.registry import runs_to_request
from enrichment_assets.resources.database import DatabaseResource


@dg.sensor(
    name="code_repositories_sensor",
    job=index_repository,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Asks for a run of each registered repository whose HEAD commit (or, for a "
    "plain folder, whose code files) changed since it was indexed, with run key "
    "`<tenant>.<repo>:<revision>` and a one-hour limit; a run stopped at the soft limit is "
    "followed by one more that goes on.",
)
def code_repositories_sensor(
    context: dg.SensorEvaluationContext, db: DatabaseResource
) -> dg.SensorResult:
    keys = context.instance.get_dynamic_partitions(code_repositories.name)
    wanted = runs_to_request(db.engine, keys)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=run.run_key, partition_key=run.partition_key, tags=run.tags)
            for run in wanted
        ],
        skip_reason=None if wanted else f"{len(keys)} repositories, none changed",
    )
