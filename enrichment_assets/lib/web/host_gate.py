"""Per-host politeness: at most `limit` requests to one host at once, starts `interval` apart,
pushed back by a `Retry-After` or widened by a robots.txt `Crawl-delay`."""

from __future__ import annotations

import asyncio
import time


class HostGate:
    """Use as `async with gate:` around one request to the gate's host."""

    def __init__(self, limit: int, interval: float) -> None:
        self._semaphore = asyncio.Semaphore(limit)
        self._lock = asyncio.Lock()
        self._next_start = 0.0
        self.interval = interval

    def defer(self, seconds: float) -> None:
        self._next_start = max(self._next_start, time.monotonic() + seconds)

    async def __aenter__(self) -> None:
        await self._semaphore.acquire()
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start)
            self._next_start = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    async def __aexit__(self, *exc) -> None:
        self._semaphore.release()


class HostGates:
    """One gate per host, made on first use."""

    def __init__(self, limit: int, interval: float) -> None:
        self.limit = limit
        self.interval = interval
        self._gates: dict[str, HostGate] = {}

    def __call__(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(self.limit, self.interval)
        return gate
