"""A rate limiter shared by every run, process and worker, held in the application database.

Why not pyrate-limiter's SQLite/Postgres buckets: they count calls in a sliding window, so a
fresh window admits the whole minute's quota at once, the burst a provider that enforces its
limit as a token bucket with a small burst answers with 429s. They also cannot hold a
provider-imposed pause (retry-after, x-ratelimit-reset-*) for everyone, and need their own
connection pool beside ours. So: GCRA (the generic cell rate algorithm), one row per limit.

Each call reserves the next free slot under a row lock (SELECT … FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), moves the row's theoretical arrival times on by one request and
by its estimated tokens, commits, and sleeps until its slot. Calls from every process are so
spaced 60/rpm seconds apart, never bunched; concurrency only hides latency. The bucket rows
are read and written by `storage/enrichment.py`; what the provider's headers ask for is read
in `waits.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from enrichment_assets.storage import enrichment as repository


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
        repository.ensure_rate_bucket(engine, key)

    def reserve(self, tokens: int = 0) -> Reservation:
        """Book the next free slot for one call of about `tokens` tokens."""
        if tokens_cap := self.tokens_per_minute:
            # One call larger than a minute's worth still runs (alone).
            tokens = min(tokens, int(tokens_cap))
        with repository.locked_rate_bucket(self.engine, self.key) as (connection, row):
            now = self.clock()
            if row.paused_until - now > self.max_pause_seconds:
                raise PauseTooLong(row.paused_until - now, row.pause_reason)
            slot = max(now, row.paused_until, row.request_tat, row.token_tat)
            # Both dimensions are spaced evenly (no burst): the next call may start once this
            # one's request interval and its share of the minute's tokens have passed.
            request_tat = slot + self.request_interval
            token_tat = slot + tokens * self.token_interval if self.token_interval else 0.0
            repository.book_rate_slot(connection, self.key, request_tat, token_tat)
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
        repository.shift_token_time(self.engine, self.key, delta)

    def pause(self, seconds: float, reason: str) -> None:
        """Hold every caller until now + `seconds` (a 429's retry-after, a header's reset)."""
        until = self.clock() + seconds
        with repository.locked_rate_bucket(self.engine, self.key) as (connection, row):
            if until <= row.paused_until:
                return
            repository.set_rate_pause(connection, self.key, until, reason)

    def paused_until(self) -> float:
        return repository.rate_paused_until(self.engine, self.key)
