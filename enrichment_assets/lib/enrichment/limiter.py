"""A rate limiter shared by every run, process and worker, held in the application database.

Why not pyrate-limiter's SQLite/Postgres buckets: they count calls in a sliding window, so a
fresh window admits the whole minute's quota at once, the burst a provider that enforces its
limit as a token bucket with a small burst answers with 429s. They also cannot hold a
provider-imposed pause (retry-after, x-ratelimit-reset-*) for everyone, and need their own
connection pool beside ours. So: GCRA (the generic cell rate algorithm), one row per limit.

Each call reserves the next free slot under a row lock (SELECT … FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), moves the row's theoretical arrival times on by one request and
by its estimated tokens, commits, and sleeps until its slot. Calls from every process are so
spaced 60/rpm seconds apart, never bunched; concurrency only hides latency.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.tables import llm_rate_limit
from enrichment_assets.storage.upsert import upsert

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
    """`retry-after-ms`, else `retry-after` in seconds (HTTP-dates are rare here: ignored)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    if (seconds := headers.get("retry-after")) is not None:
        try:
            return max(0.0, float(seconds))
        except ValueError:
            return None
    return None


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


class PauseTooLong(Exception):
    """The provider asked everyone to wait longer than a run should sit idle (a daily limit,
    say): the run stops cleanly and leaves the rest for a later one."""

    def __init__(self, seconds: float, reason: str | None) -> None:
        super().__init__(
            f"the provider asked to wait {seconds:.0f} s ({reason or 'rate limit'}); "
            "stopping, the remaining posts are left for a later run"
        )
        self.seconds = seconds


@dataclass(frozen=True)
class Reservation:
    slot: float  # epoch seconds at which the call may start
    tokens: int


class SharedRateLimiter:
    """Requests/min and tokens/min for one provider limit (`key`), across processes."""

    def __init__(
        self,
        engine: Engine,
        key: str,
        requests_per_minute: float,
        tokens_per_minute: float = 0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_pause_seconds: float = 300.0,
    ) -> None:
        self.engine = engine
        self.max_pause_seconds = max_pause_seconds
        self.key = key
        self.request_interval = 60.0 / requests_per_minute if requests_per_minute > 0 else 0.0
        self.token_interval = 60.0 / tokens_per_minute if tokens_per_minute > 0 else 0.0
        self.tokens_per_minute = tokens_per_minute
        self.clock = clock
        self.sleep = sleep
        self._ensure_row()

    def _ensure_row(self) -> None:
        with self.engine.begin() as connection:
            upsert(connection, llm_rate_limit, [{"key": self.key}], key=["key"], update=[])

    def _locked_row(self, connection: sa.Connection):
        query = sa.select(llm_rate_limit).where(llm_rate_limit.c.key == self.key)
        return connection.execute(query.with_for_update()).one()

    def reserve(self, tokens: int = 0) -> Reservation:
        """Book the next free slot for one call of about `tokens` tokens."""
        if tokens_cap := self.tokens_per_minute:
            # One call larger than a minute's worth still runs (alone).
            tokens = min(tokens, int(tokens_cap))
        with self.engine.begin() as connection:
            row = self._locked_row(connection)
            now = self.clock()
            if row.paused_until - now > self.max_pause_seconds:
                raise PauseTooLong(row.paused_until - now, row.pause_reason)
            slot = max(now, row.paused_until, row.request_tat, row.token_tat)
            # Both dimensions are spaced evenly (no burst): the next call may start once this
            # one's request interval and its share of the minute's tokens have passed.
            request_tat = slot + self.request_interval
            token_tat = slot + tokens * self.token_interval if self.token_interval else 0.0
            connection.execute(
                llm_rate_limit.update()
                .where(llm_rate_limit.c.key == self.key)
                .values(request_tat=request_tat, token_tat=token_tat, updated_at=sa.func.now())
            )
        return Reservation(slot=slot, tokens=tokens)

    def acquire(self, tokens: int = 0, should_stop: Callable[[], bool] | None = None) -> float:
        """Reserve a slot and sleep until it; returns the seconds waited. Raises PauseTooLong
        when the provider's pause outlasts `max_pause_seconds`."""
        reservation = self.reserve(tokens)
        waited = 0.0
        while (delay := reservation.slot - self.clock()) > 0:
            if should_stop is not None and should_stop():
                break
            step = min(delay, 0.5)
            self.sleep(step)
            waited += step
        return waited

    def settle(self, reserved_tokens: int, used_tokens: int) -> None:
        """Correct the token account once the response says what the call really cost."""
        if not self.token_interval or used_tokens == reserved_tokens:
            return
        delta = (used_tokens - reserved_tokens) * self.token_interval
        with self.engine.begin() as connection:
            self._locked_row(connection)
            connection.execute(
                llm_rate_limit.update()
                .where(llm_rate_limit.c.key == self.key)
                .values(token_tat=llm_rate_limit.c.token_tat + delta)
            )

    def pause(self, seconds: float, reason: str) -> None:
        """Hold every caller until now + `seconds` (a 429's retry-after, a header's reset)."""
        until = self.clock() + seconds
        with self.engine.begin() as connection:
            row = self._locked_row(connection)
            if until <= row.paused_until:
                return
            connection.execute(
                llm_rate_limit.update()
                .where(llm_rate_limit.c.key == self.key)
                .values(paused_until=until, pause_reason=reason[:500], updated_at=sa.func.now())
            )

    def paused_until(self) -> float:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(llm_rate_limit.c.paused_until).where(llm_rate_limit.c.key == self.key)
            ).scalar_one()
