"""Operations: the alert that replaces the legacy 'pipeline broken' Prometheus rule."""

import dagster as dg

from enrichment_assets.lib.operations.alerts import RunFailure, alert_text
from enrichment_assets.resources.alerts import AlertsResource


@dg.run_failure_sensor(
    name="run_failure_alert",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=True,
    description="Every failed run becomes one clear alert: in this sensor's log, and posted to "
    "ALERT_WEBHOOK_URL (Slack-compatible JSON) through the `alerts` resource when it is set.",
)
def run_failure_alert(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    failed_steps = [event.step_key for event in step_failures if event.step_key]
    # The step's own error says what broke; the run's failure message only says that it did.
    # A run that failed before any step (a resource that could not start: a bad setting, an
    # unreachable database) carries its error on the run failure event instead.
    step_error = next(
        (e.step_failure_data.error for e in step_failures if e.step_failure_data), None
    ) or getattr(context.failure_event.event_specific_data, "error", None)
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
        error=_first_line(step_error.message) if step_error else context.failure_event.message,
    )
    context.log.error(alert_text(failure))
    context.log.info(alerts.post(failure))


def _first_line(message: str) -> str:
    """`dagster._core.definitions.events.Failure: DATABASE_URL: …` → `Failure: DATABASE_URL: …`"""
    line = (message or "").strip()
    head, colon, rest = line.partition(": ")
    return f"{head.rsplit('.', 1)[-1]}{colon}{rest}" if colon and " " not in head else line


def _range(start: str | None, end: str | None) -> str | None:
    return f"{start}…{end}" if start and end else None
