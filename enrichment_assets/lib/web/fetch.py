"""A polite, bounded, SSRF-safe HTTP fetcher on httpx.AsyncClient.

Every request: the URL is vetted by the SSRF guard (every redirect hop too; redirects are
followed here, never by httpx), robots.txt is consulted (`robots.py`), the host's slot is taken
(`host_gate.py`: at most `per_host_concurrency` requests at once, starts spaced by
`per_host_interval`, pushed back by a `Retry-After`), the body is read up to `max_bytes`
(`responses.py`), and the outcome comes back as a `FetchResult` with a reason (`outcomes.py`):
nothing raises for a bad page, a bad host or a blocked address. Page fetches go through a
response cache (the database, shared by every process) with a TTL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import httpx

from enrichment_assets.lib.common.retry import jittered_backoff
from enrichment_assets.lib.web.clients import ClientPool
from enrichment_assets.lib.web.host_gate import HostGates
from enrichment_assets.lib.web.outcomes import (
    CONNECT_ERROR,
    DNS_ERROR,
    DNS_UNAVAILABLE,
    FAILED,
    HTTP_ERROR,
    ROBOTS_DISALLOWED,
    TIMEOUT,
    TOO_MANY_REDIRECTS,
    FetchResult,
    FetchStats,
)
from enrichment_assets.lib.web.policy import FetchPolicy
from enrichment_assets.lib.web.response_cache import (
    CACHEABLE,
    ResponseCache,
    cached_from_result,
    result_from_cache,
)
from enrichment_assets.lib.web.responses import HTML_TYPES, RETRY_CODES, drain_small, read_response
from enrichment_assets.lib.web.robots import RobotsRules
from enrichment_assets.lib.web.ssrf import CheckedTarget, DnsFailure, SsrfGuard, UrlRefused

# Servers that refuse or mishandle HEAD answer these; the link is then checked with GET.
HEAD_REFUSED_CODES = frozenset({400, 403, 405, 406, 501})


class Fetcher:
    """Use as `async with Fetcher(policy, guard, cache) as fetcher:`; share it for a whole run."""

    def __init__(
        self,
        policy: FetchPolicy,
        guard: SsrfGuard | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.policy = policy
        self.guard = guard or SsrfGuard(policy.allowed_hosts, dns_timeout=policy.dns_timeout)
        self.cache = cache
        self.stats = FetchStats()
        self._pins: dict[str, tuple[str, ...]] = {}
        self._clients = ClientPool(policy, self._pins)
        self._gates = HostGates(policy.per_host_concurrency, policy.per_host_interval)
        self._robots = RobotsRules(policy, cache, self._send, self._gates, self.stats)
        self._inflight: dict[tuple[str, str], asyncio.Future[FetchResult]] = {}
        self._global: asyncio.Semaphore | None = None

    async def __aenter__(self) -> Fetcher:
        self._clients.open()
        self._global = asyncio.Semaphore(self.policy.max_concurrency)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._clients.aclose()

    # ------------------------------------------------------------------ public API
    async def fetch_page(self, url: str, accept: Iterable[str] = HTML_TYPES) -> FetchResult:
        """GET a page for its content: cached, robots-checked, HTML only, size-capped.

        Concurrent calls for the same URL share one request."""
        return await self._once(("page", url), lambda: self._fetch_page(url, tuple(accept)))

    async def check_link(self, url: str) -> FetchResult:
        """Is the link alive? HEAD, then GET (headers only) where HEAD is refused. Not cached."""
        return await self._once(("link", url), lambda: self._check_link(url))

    # ------------------------------------------------------------------ internals
    async def _once(self, key, make) -> FetchResult:
        existing = self._inflight.get(key)
        if existing is not None:
            return await asyncio.shield(existing)
        task = asyncio.ensure_future(make())
        self._inflight[key] = task
        try:
            return await asyncio.shield(task)
        finally:
            if task.done():
                self._inflight.pop(key, None)

    async def _fetch_page(self, url: str, accept: tuple[str, ...]) -> FetchResult:
        if self.cache is not None:
            cached = self.cache.get(url)
            if cached is not None:
                self.stats.cache_hits += 1
                return result_from_cache(url, cached)
        result = await self._request(url, "GET", accept=accept, read_body=True)
        if self.cache is not None and result.outcome in CACHEABLE and not _transient(result):
            self.cache.put(url, cached_from_result(result), self.policy.cache_ttl)
        return result

    async def _check_link(self, url: str) -> FetchResult:
        head = await self._request(url, "HEAD", accept=None, read_body=False)
        if head.status_code in HEAD_REFUSED_CODES:
            get = await self._request(url, "GET", accept=None, read_body=False)
            get.reason = f"HEAD answered {head.status_code}; " + (get.reason or "checked with GET")
            get.attempts += head.attempts
            return get
        return head

    async def _request(
        self, url: str, method: str, *, accept: tuple[str, ...] | None, read_body: bool
    ) -> FetchResult:
        started = time.monotonic()
        attempts = 0
        while True:
            attempts += 1
            result = await self._follow(url, method, accept=accept, read_body=read_body)
            result.attempts = attempts
            if attempts > self.policy.retries or not _worth_retrying(result):
                break
            wait = result.retry_after
            if wait is None:
                wait = jittered_backoff(attempts - 1, self.policy.backoff, jitter=(0.5, 1.5))
            if wait > self.policy.max_retry_after:
                break  # not slept here: the caller records when to come back
            await asyncio.sleep(wait)
        result.elapsed = time.monotonic() - started
        return result

    async def _follow(
        self, url: str, method: str, *, accept: tuple[str, ...] | None, read_body: bool
    ) -> FetchResult:
        assert self._clients.is_open and self._global is not None, "use `async with`"
        current = url
        redirects: list[str] = []
        for _hop in range(self.policy.max_redirects + 1):
            try:
                target = await self.guard.check(current)
            except UrlRefused as refused:
                reason = f"redirect to {current}: {refused.reason}" if redirects else refused.reason
                return FetchResult(url, refused.outcome, reason, method, redirects=tuple(redirects))
            except DnsFailure as failure:
                reason = f"redirect to {current}: {failure}" if redirects else str(failure)
                outcome = DNS_ERROR if failure.permanent else DNS_UNAVAILABLE
                return FetchResult(url, outcome, reason, method, redirects=tuple(redirects))
            self._pins[target.host] = target.addresses
            if self.policy.respect_robots:
                robots = await self._robots.for_target(target)
                if not robots.allows(str(target.url), self.policy.user_agent):
                    return FetchResult(
                        url, ROBOTS_DISALLOWED, f"robots.txt of {target.host} disallows {current}",
                        method, redirects=tuple(redirects), final_url=current,
                    )  # fmt: skip
            outcome = await self._send(target, method, accept=accept, read_body=read_body)
            if isinstance(outcome, str):  # a redirect: vet the next hop like the first
                redirects.append(outcome)
                current = outcome
                continue
            outcome.url = url
            outcome.redirects = tuple(redirects)
            return outcome
        return FetchResult(
            url, TOO_MANY_REDIRECTS, f"more than {self.policy.max_redirects} redirects", method,
            redirects=tuple(redirects), final_url=current,
        )  # fmt: skip

    async def _send(
        self,
        target: CheckedTarget,
        method: str,
        *,
        accept: tuple[str, ...] | None,
        read_body: bool,
        max_bytes: int | None = None,
    ) -> FetchResult | str:
        """One request to a vetted target. A str return is the next redirect URL."""
        assert self._clients.is_open and self._global is not None, "use `async with`"
        client = self._clients.for_host(target.host)
        current = str(target.url)
        limit = max_bytes or self.policy.max_bytes
        gate = self._gates(target.host)
        # The host's slot first: a request waiting for its host must not hold a global slot
        # that a request to another, idle host could use.
        async with gate, self._global:
            self.stats.requests += 1
            self.stats.by_host[target.host] = self.stats.by_host.get(target.host, 0) + 1
            try:
                async with asyncio.timeout(self.policy.total_timeout):
                    request = client.build_request(method, target.url)
                    response = await client.send(request, stream=True)
                    try:
                        outcome = await read_response(
                            response, current, method, gate, accept, read_body, limit,
                            self.policy.max_retry_after,
                        )  # fmt: skip
                        await drain_small(response)
                        return outcome
                    finally:
                        await response.aclose()
            except TimeoutError:
                return FetchResult(
                    current, TIMEOUT, f"no complete answer within {self.policy.total_timeout:g} s",
                    method, final_url=current,
                )  # fmt: skip
            except httpx.TimeoutException as error:
                return FetchResult(
                    current, TIMEOUT, f"{type(error).__name__}: {error or 'timed out'}",
                    method, final_url=current,
                )  # fmt: skip
            except httpx.ConnectError as error:
                return FetchResult(current, CONNECT_ERROR, f"connect failed: {error}", method)
            except httpx.HTTPError as error:
                return FetchResult(current, FAILED, f"{type(error).__name__}: {error}", method)


def _transient(result: FetchResult) -> bool:
    """429 and 5xx say "not now", not "this is the page": never cached."""
    return result.outcome == HTTP_ERROR and (
        result.status_code == 429 or (result.status_code or 0) >= 500
    )


def _worth_retrying(result: FetchResult) -> bool:
    if result.outcome in (TIMEOUT, CONNECT_ERROR):
        return True
    return result.outcome == HTTP_ERROR and result.status_code in RETRY_CODES
