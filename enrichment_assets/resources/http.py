"""`http`: fetching pages and checking links, politely and SSRF-safe (httpx underneath)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field
from sqlalchemy.engine import Engine

from enrichment_assets import settings
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.policy import DEFAULT_USER_AGENT, FetchPolicy
from enrichment_assets.storage.web import DatabaseResponseCache


class HttpResource(dg.ConfigurableResource):
    """httpx.AsyncClient behind the SSRF guard (every hop vetted, connections pinned to the
    checked address), robots.txt, per-host limits and pacing, a size cap, HTML-only page
    fetches and a response cache in the database. Every field unset means "from the
    environment" (HTTP_* variables)."""

    user_agent: str | None = Field(default=None, description="HTTP_USER_AGENT")
    allow_private_hosts: str | None = Field(
        default=None, description="comma list; HTTP_ALLOW_PRIVATE_HOSTS (tests only)"
    )
    connect_timeout: float | None = Field(default=None, description="HTTP_CONNECT_TIMEOUT, s")
    read_timeout: float | None = Field(default=None, description="HTTP_READ_TIMEOUT, s")
    max_bytes: int | None = Field(default=None, description="HTTP_MAX_BYTES")
    max_concurrency: int | None = Field(default=None, description="HTTP_MAX_CONCURRENCY")
    per_host_concurrency: int | None = Field(default=None, description="HTTP_PER_HOST_CONCURRENCY")
    per_host_interval: float | None = Field(
        default=None, description="HTTP_PER_HOST_INTERVAL: seconds between starts to one host"
    )
    cache_ttl_seconds: float | None = Field(default=None, description="HTTP_CACHE_TTL_SECONDS")
    respect_robots: bool = True

    def policy(self) -> FetchPolicy:
        def pick(value, getter):
            return getter() if value is None else value

        allowed = (
            settings.http_allow_private_hosts()
            if self.allow_private_hosts is None
            else [host.strip() for host in self.allow_private_hosts.split(",") if host.strip()]
        )
        return FetchPolicy(
            user_agent=pick(self.user_agent, settings.http_user_agent) or DEFAULT_USER_AGENT,
            connect_timeout=pick(self.connect_timeout, settings.http_connect_timeout),
            read_timeout=pick(self.read_timeout, settings.http_read_timeout),
            max_bytes=pick(self.max_bytes, settings.http_max_bytes),
            max_concurrency=pick(self.max_concurrency, settings.http_max_concurrency),
            per_host_concurrency=pick(
                self.per_host_concurrency, settings.http_per_host_concurrency
            ),
            per_host_interval=pick(self.per_host_interval, settings.http_per_host_interval),
            cache_ttl=pick(self.cache_ttl_seconds, settings.http_cache_ttl_seconds),
            respect_robots=self.respect_robots,
            allowed_hosts=tuple(allowed),
        )

    def fetcher(self, cache_engine: Engine | None = None) -> Fetcher:
        """A fetcher for one run: `async with http.fetcher(db.engine) as fetcher: ...`.
        With an engine, page fetches and robots.txt go through the shared response cache."""
        cache = DatabaseResponseCache(cache_engine) if cache_engine is not None else None
        return Fetcher(self.policy(), cache=cache)
