"""How long to wait before the next LLM call: what the provider says first, else backoff.

Retry-After is read by the shared `lib/common/retry.py`; what is Groq's own lives here:
`retry-after-ms`, and the `x-ratelimit-remaining-*` / `x-ratelimit-reset-*` counters whose
resets are Go durations ("2m59.56s", "7.66s", "1ms").
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

from enrichment_assets.lib.common.retry import jittered_backoff, parse_retry_after

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0
RETRY_AFTER_SPREAD_SECONDS = 0.25  # so workers waiting on one retry-after do not return as one

_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_duration(value: str | None) -> float | None:
    """Seconds in a Go duration ("2m59.56s", "7.66s", "1ms") or a bare number, else None."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _GO_DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """`retry-after-ms`, else `retry-after` (seconds or an HTTP date)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))


def header_pause(headers: Mapping[str, str], tokens_needed: int) -> tuple[float, str] | None:
    """How long the provider's own counters say to wait before the next call, and why.

    Groq: `x-ratelimit-*-tokens` are tokens per minute, `x-ratelimit-*-requests` requests per
    day. When what is left cannot pay for another call, wait for the reset.
    """
    pauses: list[tuple[float, str]] = []
    remaining_tokens = _int(headers.get("x-ratelimit-remaining-tokens"))
    if remaining_tokens is not None and remaining_tokens < tokens_needed:
        reset = parse_duration(headers.get("x-ratelimit-reset-tokens"))
        if reset:
            pauses.append((reset, f"tokens per minute exhausted ({remaining_tokens} left)"))
    remaining_requests = _int(headers.get("x-ratelimit-remaining-requests"))
    if remaining_requests is not None and remaining_requests <= 0:
        reset = parse_duration(headers.get("x-ratelimit-reset-requests"))
        if reset:
            pauses.append((reset, "requests per day exhausted"))
    return max(pauses) if pauses else None


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base·2^attempt))."""
    return jittered_backoff(
        attempt, BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS, jitter=(0.0, 1.0), rng=rng
    )


def wait_before_retry(
    headers: Mapping[str, str], attempt: int, rng: random.Random
) -> tuple[float, str]:
    """(seconds, why) before attempt `attempt` after a failed call: retry-after, else the
    rate-limit counters' reset (both with a little spread), else backoff with jitter."""
    wait_seconds = retry_after_seconds(headers)
    reason = "retry-after"
    if wait_seconds is None and (pause := header_pause(headers, 1)):
        wait_seconds, reason = pause
    if wait_seconds is not None:
        return wait_seconds + rng.uniform(0, RETRY_AFTER_SPREAD_SECONDS), reason
    return backoff_seconds(attempt, rng), "backoff"
