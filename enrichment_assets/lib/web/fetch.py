"""A polite, bounded, SSRF-safe HTTP fetcher on httpx.AsyncClient.

Every request: the URL is vetted by the SSRF guard (every redirect hop too; redirects are
followed here, never by httpx), robots.txt is consulted (protego), the host's slot is taken
(at most `per_host_concurrency` requests at once, starts spaced by `per_host_interval`, pushed
back by a `Retry-After`), the body is read up to `max_bytes`, and the outcome comes back as a
`FetchResult` with a reason: nothing raises for a bad page, a bad host or a blocked address.
Page fetches go through a response cache (the database, shared by every process) with a TTL.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urljoin

import httpx
from protego import Protego

from enrichment_assets.lib.web.pinned_transport import PinnedTransport
from enrichment_assets.lib.web.ssrf import CheckedTarget, DnsFailure, SsrfGuard, UrlRefused
from enrichment_assets.storage.web import CachedResponse

OK = "ok"
HTTP_ERROR = "http_error"
BLOCKED = "blocked"
ROBOTS_DISALLOWED = "robots_disallowed"
NOT_HTML = "not_html"
TOO_LARGE = "too_large"
DNS_ERROR = "dns_error"  # the name does not exist
DNS_UNAVAILABLE = "dns_unavailable"  # the resolver failed or did not answer: try again later
TIMEOUT = "timeout"
CONNECT_ERROR = "connect_error"
INVALID_URL = "invalid_url"
TOO_MANY_REDIRECTS = "too_many_redirects"
FAILED = "failed"

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
RETRY_CODES = frozenset({429, 503})
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Servers that refuse or mishandle HEAD answer these; the link is then checked with GET.
HEAD_REFUSED_CODES = frozenset({400, 403, 405, 406, 501})
ROBOTS_MAX_BYTES = 512_000
CLIENT_SHARDS = 32
DEFAULT_USER_AGENT = "enrichment_assets/0.1 (page crawler and link checker; python-httpx)"


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    total_timeout: float = 30.0  # one hop, from send to the last byte (slow-drip servers)
    dns_timeout: float = 5.0
    max_bytes: int = 5_000_000
    max_concurrency: int = 64
    per_host_concurrency: int = 4
    per_host_interval: float = 0.2  # seconds between request starts to one host
    max_crawl_delay: float = 10.0  # cap on a robots.txt Crawl-delay
    max_redirects: int = 5
    retries: int = 1  # for 429/503, timeouts and refused connections
    max_retry_after: float = 10.0  # longer waits are not slept: the result says when to retry
    backoff: float = 0.5
    respect_robots: bool = True
    cache_ttl: float = 86_400.0
    allowed_hosts: tuple[str, ...] = ()


@dataclass
class FetchResult:
    url: str
    outcome: str
    reason: str = ""
    method: str = "GET"
    status_code: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    body: bytes | None = None
    retry_after: float | None = None
    redirects: tuple[str, ...] = ()
    from_cache: bool = False
    elapsed: float = 0.0
    attempts: int = 1

    @property
    def responded(self) -> bool:
        """The server answered with an HTTP status (as opposed to DNS/connect/timeout/blocked)."""
        return self.status_code is not None


class ResponseCache(Protocol):
    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, url: str, response: CachedResponse, ttl_seconds: float) -> None: ...


# Outcomes that describe the page rather than a passing condition, and so may be cached.
CACHEABLE = frozenset({OK, NOT_HTML, TOO_LARGE, HTTP_ERROR})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now_dt = datetime.fromtimestamp(now, UTC) if now is not None else datetime.now(UTC)
    return max(0.0, (when - now_dt).total_seconds())


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


class _HostGate:
    """At most `limit` requests to one host at once, starts at least `interval` apart."""

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


@dataclass
class _Robots:
    parser: Protego | None  # None: no rules (404, unreachable), everything allowed
    crawl_delay: float | None = None


@dataclass
class FetchStats:
    requests: int = 0
    cache_hits: int = 0
    robots_fetches: int = 0
    by_host: dict[str, int] = field(default_factory=dict)


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
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, asyncio.Future[_Robots]] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[FetchResult]] = {}
        self._global: asyncio.Semaphore | None = None
        self._clients: list[httpx.AsyncClient] = []
        self._shard_of: dict[str, int] = {}

    async def __aenter__(self) -> Fetcher:
        policy = self.policy
        # Hosts are spread over several clients: httpcore scans its whole pool on every
        # request and release, which with 80+ connections in one pool costs CPU the checks
        # need (bench/links, same conditions: 6.5 s with one client, 5.1 s with 32).
        shards = max(1, min(CLIENT_SHARDS, policy.max_concurrency // policy.per_host_concurrency))
        limits = httpx.Limits(
            max_connections=policy.max_concurrency,
            max_keepalive_connections=max(8, policy.max_concurrency // shards),
            keepalive_expiry=15.0,
        )
        ssl_context = httpx.create_ssl_context(trust_env=False)  # loading CAs once is enough
        timeout = httpx.Timeout(
            connect=policy.connect_timeout,
            read=policy.read_timeout,
            write=policy.read_timeout,
            pool=None,
        )
        self._clients = [
            httpx.AsyncClient(
                transport=PinnedTransport(self._pins, limits, ssl_context),
                follow_redirects=False,
                trust_env=False,
                timeout=timeout,
                headers={"User-Agent": policy.user_agent},
            )
            for _ in range(shards)
        ]
        self._global = asyncio.Semaphore(policy.max_concurrency)
        return self

    async def __aexit__(self, *exc) -> None:
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()

    def _client_for(self, host: str) -> httpx.AsyncClient:
        shard = self._shard_of.get(host)
        if shard is None:  # round-robin as hosts appear: shards stay evenly loaded
            shard = self._shard_of[host] = len(self._shard_of) % len(self._clients)
        return self._clients[shard]

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
                return FetchResult(
                    url=url,
                    outcome=cached.outcome,
                    reason=cached.reason,
                    status_code=cached.status_code,
                    final_url=cached.final_url,
                    content_type=cached.content_type,
                    body=cached.body,
                    from_cache=True,
                )
        result = await self._request(url, "GET", accept=accept, read_body=True)
        if self.cache is not None and result.outcome in CACHEABLE:
            self.cache.put(
                url,
                CachedResponse(
                    outcome=result.outcome,
                    status_code=result.status_code,
                    final_url=result.final_url,
                    content_type=result.content_type,
                    body=result.body,
                    reason=result.reason,
                    fetched_at=datetime.now(UTC),
                ),
                self.policy.cache_ttl,
            )
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
                wait = self.policy.backoff * (2 ** (attempts - 1)) * (0.5 + random.random())
            if wait > self.policy.max_retry_after:
                break  # not slept here: the caller records when to come back
            await asyncio.sleep(wait)
        result.elapsed = time.monotonic() - started
        return result

    async def _follow(
        self, url: str, method: str, *, accept: tuple[str, ...] | None, read_body: bool
    ) -> FetchResult:
        assert self._clients and self._global is not None, "use `async with`"
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
                robots = await self._robots_for(target)
                if robots.parser is not None and not robots.parser.can_fetch(
                    str(target.url), self.policy.user_agent
                ):
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

    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _HostGate(
                self.policy.per_host_concurrency, self.policy.per_host_interval
            )
        return gate

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
        assert self._clients and self._global is not None, "use `async with`"
        client = self._client_for(target.host)
        current = str(target.url)
        limit = max_bytes or self.policy.max_bytes
        gate = self._gate(target.host)
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
                        outcome = await self._read(
                            response, current, method, gate, accept, read_body, limit
                        )
                        await _drain_small(response)
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

    async def _read(
        self,
        response: httpx.Response,
        current: str,
        method: str,
        gate: _HostGate,
        accept: tuple[str, ...] | None,
        read_body: bool,
        limit: int,
    ) -> FetchResult | str:
        status = response.status_code
        content_type = response.headers.get("content-type")
        base = FetchResult(
            current, OK, "", method, status_code=status, final_url=current,
            content_type=content_type,
        )  # fmt: skip
        if status in REDIRECT_CODES and response.headers.get("location"):
            return urljoin(current, response.headers["location"])
        if status >= 400:
            base.outcome = HTTP_ERROR
            base.reason = f"HTTP {status}"
            if status in RETRY_CODES:
                base.retry_after = parse_retry_after(response.headers.get("retry-after"))
                if base.retry_after is not None:
                    gate.defer(min(base.retry_after, self.policy.max_retry_after))
                    base.reason += f" (Retry-After {base.retry_after:g} s)"
            return base
        if (
            accept is not None
            and media_type(content_type) not in accept
            and (content_type or not read_body)
        ):
            base.outcome = NOT_HTML
            base.reason = f"content type {media_type(content_type) or '(none)'} is not HTML"
            return base
        if not read_body:  # a link check: the status is the answer, the size is no concern
            return base
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            base.outcome = TOO_LARGE
            base.reason = f"Content-Length {int(declared):,} bytes exceeds the {limit:,}-byte cap"
            return base
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                base.outcome = TOO_LARGE
                base.reason = f"body exceeds the {limit:,}-byte cap"
                return base
            chunks.append(chunk)
        base.body = b"".join(chunks)
        if accept is not None and not content_type and not _looks_like_html(base.body):
            base.outcome = NOT_HTML
            base.reason = "no content type and the body is not HTML"
            base.body = None
        return base

    async def _robots_for(self, target: CheckedTarget) -> _Robots:
        origin = f"{target.url.scheme}://{target.url.netloc.decode('ascii')}"
        future = self._robots.get(origin)
        if future is None:
            future = self._robots[origin] = asyncio.ensure_future(self._load_robots(target, origin))
        robots = await asyncio.shield(future)
        return robots

    async def _load_robots(self, target: CheckedTarget, origin: str) -> _Robots:
        robots_url = f"{origin}/robots.txt"
        text: str | None = None
        status: int | None = None
        cached = self.cache.get(robots_url) if self.cache is not None else None
        if cached is not None:
            self.stats.cache_hits += 1
            status, text = cached.status_code, (cached.body or b"").decode("utf-8", "replace")
        else:
            self.stats.robots_fetches += 1
            robots_target = replace(
                target, url=target.url.copy_with(path="/robots.txt", query=None)
            )
            result = await self._send(
                robots_target, "GET", accept=None, read_body=True, max_bytes=ROBOTS_MAX_BYTES
            )
            if isinstance(result, str) or not result.responded:
                # Unreachable robots.txt, or redirected elsewhere: no rules. The page request
                # that follows meets the same network and reports what really happened.
                return _Robots(None)
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
            return _Robots(Protego.parse("User-agent: *\nDisallow: /"))
        if status >= 400:  # 4xx: "unavailable", any URL may be fetched
            return _Robots(None)
        parser = Protego.parse(text or "")
        delay = parser.crawl_delay(self.policy.user_agent)
        if delay:
            delay = min(float(delay), self.policy.max_crawl_delay)
            gate = self._gate(target.host)
            gate.interval = max(gate.interval, delay)
        return _Robots(parser, delay)


DRAIN_MAX_BYTES = 65_536


async def _drain_small(response: httpx.Response) -> None:
    """Finish reading an answer whose body is empty or small (HEAD, redirects, errors), so the
    connection goes back to the pool; a large unread body is dropped with its connection."""
    if response.is_stream_consumed or response.is_closed:
        return
    declared = response.headers.get("content-length")
    if response.request.method == "HEAD" or (
        declared and declared.isdigit() and int(declared) <= DRAIN_MAX_BYTES
    ):
        await response.aread()


def _worth_retrying(result: FetchResult) -> bool:
    if result.outcome in (TIMEOUT, CONNECT_ERROR):
        return True
    return result.outcome == HTTP_ERROR and result.status_code in RETRY_CODES


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))
