"""The fetcher's view of the response cache (the database one is `storage.web`): what may be
kept, and the conversions between a cached answer and a `FetchResult`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from enrichment_assets.lib.web.outcomes import HTTP_ERROR, NOT_HTML, OK, TOO_LARGE, FetchResult
from enrichment_assets.storage.web import CachedResponse

# Outcomes that describe the page rather than a passing condition, and so may be cached.
CACHEABLE = frozenset({OK, NOT_HTML, TOO_LARGE, HTTP_ERROR})


class ResponseCache(Protocol):
    def get(self, url: str) -> CachedResponse | None: ...

    def put(self, url: str, response: CachedResponse, ttl_seconds: float) -> None: ...


def result_from_cache(url: str, cached: CachedResponse) -> FetchResult:
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


def cached_from_result(result: FetchResult) -> CachedResponse:
    return CachedResponse(
        outcome=result.outcome,
        status_code=result.status_code,
        final_url=result.final_url,
        content_type=result.content_type,
        body=result.body,
        reason=result.reason,
        fetched_at=datetime.now(UTC),
    )
