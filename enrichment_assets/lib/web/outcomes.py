"""What a fetch says back: the outcome names, `FetchResult`, and a run's request counts.

Nothing raises for a bad page, a bad host or a blocked address: every request ends in one of
these outcomes, with a reason a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class FetchStats:
    requests: int = 0
    cache_hits: int = 0
    robots_fetches: int = 0
    by_host: dict[str, int] = field(default_factory=dict)
