"""Retries for catalog APIs: 429 waits what the server asks, 5xx and timeouts back off.

The wait after a 429 is, in order: `Retry-After` (seconds or an HTTP date), the IETF-draft
`RateLimit: "api";r=0;t=<seconds>` header the Hugging Face Hub sends, then exponential backoff
with jitter. A wait longer than `max_wait` is not slept through: the call fails as retryable,
so the item is recorded as `error` and tried again by a later run.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_RATELIMIT = re.compile(r";\s*r\s*=\s*(?P<r>\d+)\s*;\s*t\s*=\s*(?P<t>\d+)")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 300.0  # a Retry-After beyond this is not slept through


def wait_from_headers(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or RateLimit; None if it did not."""
    retry_after = headers.get("retry-after")
    if retry_after:
        retry_after = retry_after.strip()
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                now = now or datetime.now(UTC)
                return max(0.0, (when - now).total_seconds())
    ratelimit = headers.get("ratelimit")
    if ratelimit and (match := _RATELIMIT.search(ratelimit)) and int(match["r"]) == 0:
        return float(match["t"])
    return None


def backoff_delay(attempt: int, policy: RetryPolicy) -> float:
    """Exponential, capped, with ±25 % jitter so parallel runs do not retry in step."""
    delay = min(policy.max_delay, policy.base_delay * (2**attempt))
    return delay * random.uniform(0.75, 1.25)


class RetriesExhausted(Exception):
    def __init__(self, message: str, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


def send_with_retries(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Call `send` until it answers something other than 429/5xx (which is returned as is, 4xx
    included), or raise RetriesExhausted after `policy.max_retries` retries."""
    attempt = 0
    while True:
        try:
            response = send()
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
            if attempt >= policy.max_retries:
                raise RetriesExhausted(
                    f"{type(error).__name__} after {attempt + 1} attempts"
                ) from error
            sleep(backoff_delay(attempt, policy))
            attempt += 1
            continue
        if response.status_code not in RETRYABLE_STATUS:
            return response
        asked = wait_from_headers(response.headers) if response.status_code == 429 else None
        if attempt >= policy.max_retries:
            raise RetriesExhausted(
                f"HTTP {response.status_code} after {attempt + 1} attempts", response
            )
        if asked is not None and asked > policy.max_wait:
            raise RetriesExhausted(
                f"HTTP 429: the server asks to wait {asked:.0f} s, more than {policy.max_wait:.0f}",
                response,
            )
        sleep(asked if asked is not None else backoff_delay(attempt, policy))
        attempt += 1
