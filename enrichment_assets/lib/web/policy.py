"""What a fetcher may do: timeouts, caps, per-host politeness, retries, the cache's TTL."""

from __future__ import annotations

from dataclasses import dataclass

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
