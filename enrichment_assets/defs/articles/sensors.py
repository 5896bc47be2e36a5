"""The requests sensor: every approved request gets its partition and one run per version."""

import dagster as dg

from enrichment_assets.defs.articles.jobs import generate_article
from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.lib.articles.requests import runs_to_request
from enrichment_assets.resources.database import DatabaseResource


@dg.sensor(
    name="article_requests_sensor",
    job=generate_article,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description="Adds a partition for each approved article request and asks for one run per "
    "request and version (run key `<request>:v<version>`), with the request's priority and a "
    "30-minute limit. Each article runs on its own: one failing never stops the others.",
)
def article_requests_sensor(
    context: dg.SensorEvaluationContext, db: DatabaseResource
) -> dg.SensorResult:
    wanted = runs_to_request(db.engine)
    known = set(context.instance.get_dynamic_partitions(article_requests.name))
    new_keys = sorted({run.partition_key for run in wanted} - known)
    run_requests = [
        dg.RunRequest(run_key=run.run_key, partition_key=run.partition_key, tags=run.tags)
        for run in wanted
    ]
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[article_requests.build_add_request(new_keys)]
        if new_keys
        else [],
        skip_reason=None if run_requests else "no approved request waits for its article",
    )
