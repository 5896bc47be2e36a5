"""`http`: fetching pages and checking links, politely and SSRF-safe (httpx underneath)."""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.engine import Engine

from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.policy import DEFAULT_USER_AGENT, FetchPolicy
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import WebSettings, parse_hosts
from enrichment_assets.storage.web import DatabaseResponseCache


class HttpResource(SettingsResource):
    """httpx.AsyncClient behind the SSRF guard (every hop vetted, connections pinned to the
    checked address), robots.txt, per-host limits and pacing, a size cap, HTML-only page
    fetches and a response cache in the database. Every field unset means "from the
    environment" (HTTP_* variables). The web layer's other settings (crawl and link janitor)
    reach the assets through `web()`, where a run-config knob may override them."""

    settings_groups = (WebSettings,)

    user_agent: str | None = Field(default=None, description="HTTP_USER_AGENT")
    allow_private_hosts: str | None = Field(
        default=None, description="comma list; HTTP_ALLOW_PRIVATE_HOSTS (tests only)"
    )
    connect_timeout: float | None = Field(default=None, gt=0, description="HTTP_CONNECT_TIMEOUT, s")
    read_timeout: float | None = Field(default=None, gt=0, description="HTTP_READ_TIMEOUT, s")
    max_bytes: int | None = Field(default=None, ge=1, description="HTTP_MAX_BYTES")
    max_concurrency: int | None = Field(default=None, ge=1, description="HTTP_MAX_CONCURRENCY")
    per_host_concurrency: int | None = Field(
        default=None, ge=1, description="HTTP_PER_HOST_CONCURRENCY"
    )
    per_host_interval: float | None = Field(
        default=None, ge=0, description="HTTP_PER_HOST_INTERVAL: seconds between starts to one host"
    )
    cache_ttl_seconds: float | None = Field(
        default=None, ge=0, description="HTTP_CACHE_TTL_SECONDS"
    )
    respect_robots: bool = True

    def web(self) -> WebSettings:
        """The web settings this run uses (crawl and link-janitor defaults among them)."""
        return self.settings(WebSettings)

    def policy(self) -> FetchPolicy:
        web = self.web()
        allowed = parse_hosts(
            field_or_setting(self.allow_private_hosts, web.http_allow_private_hosts)
        )
        user_agent = field_or_setting(self.user_agent, web.http_user_agent)
        return FetchPolicy(
            user_agent=user_agent or DEFAULT_USER_AGENT,
            connect_timeout=field_or_setting(self.connect_timeout, web.http_connect_timeout),
            read_timeout=field_or_setting(self.read_timeout, web.http_read_timeout),
            max_bytes=field_or_setting(self.max_bytes, web.http_max_bytes),
            max_concurrency=field_or_setting(self.max_concurrency, web.http_max_concurrency),
            per_host_concurrency=field_or_setting(
                self.per_host_concurrency, web.http_per_host_concurrency
            ),
            per_host_interval=field_or_setting(self.per_host_interval, web.http_per_host_interval),
            cache_ttl=field_or_setting(self.cache_ttl_seconds, web.http_cache_ttl_seconds),
            respect_robots=self.respect_robots,
            allowed_hosts=tuple(allowed),
        )

    def fetcher(self, cache_engine: Engine | None = None) -> Fetcher:
        """A fetcher for one run: `async with http.fetcher(db.engine) as fetcher: ...`.
        With an engine, page fetches and robots.txt go through the shared response cache."""
        cache = DatabaseResponseCache(cache_engine) if cache_engine is not None else None
        return Fetcher(self.policy(), cache=cache)
