"""The HTTP response cache in the application database: every process and run shares it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.lib.web.fetch import CachedResponse
from enrichment_assets.storage.tables import http_cache
from enrichment_assets.storage.upsert import upsert


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class DatabaseResponseCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, url: str) -> CachedResponse | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(http_cache).where(
                    http_cache.c.url_hash == url_hash(url),
                    http_cache.c.expires_at > datetime.now(UTC),
                )
            ).first()
        if row is None:
            return None
        return CachedResponse(
            outcome=row.outcome,
            status_code=row.status_code,
            final_url=row.final_url,
            content_type=row.content_type,
            body=row.body,
            reason=row.reason or "",
            fetched_at=row.fetched_at,
        )

    def put(self, url: str, response: CachedResponse, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        with self._engine.begin() as connection:
            upsert(
                connection,
                http_cache,
                [
                    {
                        "url_hash": url_hash(url),
                        "url": url,
                        "outcome": response.outcome,
                        "status_code": response.status_code,
                        "final_url": response.final_url,
                        "content_type": response.content_type,
                        "body": response.body,
                        "reason": response.reason,
                        "fetched_at": response.fetched_at,
                        "expires_at": response.fetched_at + timedelta(seconds=ttl_seconds),
                    }
                ],
                key=["url_hash"],
            )
