"""Alerts for failed runs: one clear message, logged, and posted to a webhook when configured.

The webhook URL is a secret (it usually carries a token): it is never logged or returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class RunFailure:
    run_id: str
    job_name: str
    partition: str | None
    failed_steps: list[str]
    error: str
    url: str | None = None


def alert_text(failure: RunFailure) -> str:
    where = f" partition {failure.partition}" if failure.partition else ""
    steps = f" in {', '.join(failure.failed_steps)}" if failure.failed_steps else ""
    first_line = (failure.error or "no error message").strip().splitlines()[0][:300]
    link = f" — {failure.url}" if failure.url else ""
    return (
        f"Run {failure.run_id[:8]} of {failure.job_name}{where} failed{steps}: {first_line}{link}"
    )


def post_webhook(failure: RunFailure, url: str | None, timeout_seconds: float = 5.0) -> str:
    """POST the alert as JSON (Slack-compatible `text`) to `url` (ALERT_WEBHOOK_URL, through
    the `alerts` resource). Returns what happened, in words safe to log."""
    if not url:
        return "no ALERT_WEBHOOK_URL set: logged only"
    payload = {
        "text": alert_text(failure),
        "run_id": failure.run_id,
        "job": failure.job_name,
        "partition": failure.partition,
        "failed_steps": failure.failed_steps,
    }
    try:
        response = httpx.post(url, json=payload, timeout=timeout_seconds)
    except httpx.HTTPError as error:
        return f"webhook unreachable ({type(error).__name__})"
    if response.is_success:
        return f"webhook answered {response.status_code}"
    return f"webhook refused the alert with HTTP {response.status_code}"
