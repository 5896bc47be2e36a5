"""robots.txt, once per origin and run (or from the response cache), read with protego.

RFC 9309: a 4xx robots.txt means no rules, a 5xx complete disallow; one that cannot be reached
at all, or redirects elsewhere, means no rules. A `Crawl-delay` widens the host's spacing,
capped by the policy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from protego import Protego

from enrichment_assets.lib.web.host_gate import HostGates
from enrichment_assets.lib.web.outcomes import HTTP_ERROR, OK, FetchResult, FetchStats
from enrichment_assets.lib.web.policy import FetchPolicy
from enrichment_assets.lib.web.response_cache import ResponseCache
from enrichment_assets.lib.web.ssrf import CheckedTarget
from enrichment_assets.storage.web import CachedResponse

ROBOTS_MAX_BYTES = 512_000

# The fetcher's one request to a vetted target: (target, method, accept, read_body, max_bytes).
Send = Callable[..., Awaitable[FetchResult | str]]


@dataclass
class Robots:
    parser: Protego | None  # None: no rules (404, unreachable), everything allowed
    crawl_delay: float | None = None

    def allows(self, url: str, user_agent: str) -> bool:
        return self.parser is None or self.parser.can_fetch(url, user_agent)


class RobotsRules:
    """The rules of every origin a run meets; concurrent requests share one robots.txt fetch."""

    def __init__(
        self,
        policy: FetchPolicy,
        cache: ResponseCache | None,
        send: Send,
        gates: HostGates,
        stats: FetchStats,
    ) -> None:
        self.policy = policy
        self.cache = cache
        self._send = send
        self._gates = gates
        self._stats = stats
        self._by_origin: dict[str, asyncio.Future[Robots]] = {}

    async def for_target(self, target: CheckedTarget) -> Robots:
        origin = f"{target.url.scheme}://{target.url.netloc.decode('ascii')}"
        future = self._by_origin.get(origin)
        if future is None:
            future = self._by_origin[origin] = asyncio.ensure_future(self._load(target, origin))
        return await asyncio.shield(future)

    async def _load(self, target: CheckedTarget, origin: str) -> Robots:
        robots_url = f"{origin}/robots.txt"
        text: str | None = None
        status: int | None = None
        cached = self.cache.get(robots_url) if self.cache is not None else None
        if cached is not None:
            self._stats.cache_hits += 1
            status, text = cached.status_code, (cached.body or b"").decode("utf-8", "replace")
        else:
            self._stats.robots_fetches += 1
            robots_target = replace(
                target, url=target.url.copy_with(path="/robots.txt", query=None)
            )
            result = await self._send(
                robots_target, "GET", accept=None, read_body=True, max_bytes=ROBOTS_MAX_BYTES
            )
            if isinstance(result, str) or not result.responded:
                # Unreachable robots.txt, or redirected elsewhere: no rules. The page request
                # that follows meets the same network and reports what really happened.
                return Robots(None)
            status = result.status_code
            text = (result.body or b"").decode("utf-8", "replace")
            if self.cache is not None:
                self.cache.put(
                    robots_url,
                    CachedResponse(
                        OK if status < 400 else HTTP_ERROR, status, robots_url, "text/plain",
                        text.encode("utf-8") if status < 400 else None, "", datetime.now(UTC),
                    ),
                    self.policy.cache_ttl,
                )  # fmt: skip
        if status is None or status >= 500:
            # RFC 9309 §2.3.1.4: an unreachable (5xx) robots.txt means complete disallow.
            return Robots(Protego.parse("User-agent: *\nDisallow: /"))
        if status >= 400:  # 4xx: "unavailable", any URL may be fetched
            return Robots(None)
        parser = Protego.parse(text or "")
        delay = parser.crawl_delay(self.policy.user_agent)
        if delay:
            delay = min(float(delay), self.policy.max_crawl_delay)
            gate = self._gates(target.host)
            gate.interval = max(gate.interval, delay)
        return Robots(parser, delay)
