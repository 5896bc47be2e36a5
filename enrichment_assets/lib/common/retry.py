"""Waiting what a server asks, once for every domain: `Retry-After`, then backoff with jitter.

`parse_retry_after` reads one `Retry-After` value (delta-seconds or an HTTP date) for the web
fetcher, the LLM runner and the catalog clients alike; `jittered_backoff` is the one exponential
backoff (each caller keeps its own base, cap and jitter band). Below them, `send_with_retries`
for the catalog APIs: a 429 waits, in order, `Retry-After`, the IETF-draft
`RateLimit: "api";r=0;t=<seconds>` header the Hugging Face Hub sends, then backoff. A wait longer
than `max_wait` is not slept through: the call fails as retryable, so the item is recorded as
`error` and tried again by a later run.
"""

from __future__ import annotations

import math
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
_SECONDS = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds ("120"; a fraction such as
    "1.5", which some APIs send, is read too) or an HTTP date (a date already past means 0).
    None when there is no value or it is neither: garbage and negative numbers say nothing."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are UTC
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def jittered_backoff(
    attempt: int,
    base: float,
    *,
    cap: float = math.inf,
    jitter: tuple[float, float] = (0.75, 1.25),
    rng: random.Random | None = None,
) -> float:
    """`min(cap, base·2^attempt)` scaled by a random factor drawn from `jitter`, so parallel
    workers do not come back in step. (0, 1) is "full jitter"; (0.75, 1.25) is ±25 %."""
    delay = min(cap, base * (2**attempt))
    low, high = jitter
    return delay * (rng or random).uniform(low, high)


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_wait: float = 300.0  # a Retry-After beyond this is not slept through


def wait_from_headers(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from Retry-After or RateLimit; None if it did not."""
    retry_after = parse_retry_after(headers.get("retry-after"), now)
    if retry_after is not None:
        return retry_after
    ratelimit = headers.get("ratelimit")
    if ratelimit and (match := _RATELIMIT.search(ratelimit)) and int(match["r"]) == 0:
        return float(match["t"])
    return None


def backoff_delay(attempt: int, policy: RetryPolicy) -> float:
    """Exponential, capped, with ±25 % jitter so parallel runs do not retry in step."""
    return jittered_backoff(attempt, policy.base_delay, cap=policy.max_delay)


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
