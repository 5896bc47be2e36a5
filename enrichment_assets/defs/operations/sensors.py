"""Operations: the alert that replaces the legacy 'pipeline broken' Prometheus rule."""

import dagster as dg

from enrichment_assets.lib.operations.alerts import RunFailure, alert_text, post_webhook


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description="Every failed run becomes one clear alert: in this sensor's log, and posted to "
    "ALERT_WEBHOOK_URL (Slack-compatible JSON) when it is set.",
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    failed_steps = [event.step_key for event in step_failures if event.step_key]
    # The step's own error says what broke; the run's failure message only says that it did.
    step_error = next(
        (e.step_failure_data.error for e in step_failures if e.step_failure_data), None
    )
    while step_error is not None and step_error.cause is not None:  # Dagster wraps user errors
        step_error = step_error.cause
    failure = RunFailure(
        run_id=run.run_id,
        job_name=run.job_name,
        partition=run.tags.get("dagster/partition")
        or _range(
            run.tags.get("dagster/asset_partition_range_start"),
            run.tags.get("dagster/asset_partition_range_end"),
        ),
        failed_steps=failed_steps,
        error=(step_error.message if step_error else context.failure_event.message) or "",
    )
    context.log.error(alert_text(failure))
    context.log.info(post_webhook(failure))


def _range(start: str | None, end: str | None) -> str | None:
    return f"{start}…{end}" if start and end else None
