"""Never pay twice: answers cached in the database by (kind, provider, model, prompt version,
content hash), with a claim so that two runs, processes or workers meeting the same text at
the same time make one call between them.

A worker claims a key by inserting a `pending` row (or by taking over one whose lease ran out,
left by a killed run); the one that holds the claim calls the provider and stores the answer;
the others wait for it. Failures release the claim, so the next run may try again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.tables import llm_cache
from enrichment_assets.storage.upsert import upsert

DEFAULT_LEASE_SECONDS = 600.0


@dataclass(frozen=True)
class CacheKey:
    kind: str
    provider: str
    model: str
    prompt_version: str
    content_hash: str

    def where(self):
        return sa.and_(
            llm_cache.c.kind == self.kind,
            llm_cache.c.provider == self.provider,
            llm_cache.c.model == self.model,
            llm_cache.c.prompt_version == self.prompt_version,
            llm_cache.c.content_hash == self.content_hash,
        )

    def columns(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "provider": self.provider,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "content_hash": self.content_hash,
        }


@dataclass(frozen=True)
class Claim:
    """Either the answer is already there (`payload`), or we hold the key (`owned`)."""

    payload: dict[str, Any] | None
    owned: bool


class LLMCache:
    def __init__(
        self,
        engine: Engine,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        owner: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = owner or uuid.uuid4().hex
        self.sleep = sleep

    def get(self, key: CacheKey) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(llm_cache.c.status, llm_cache.c.payload).where(key.where())
            ).one_or_none()
        return row.payload if row is not None and row.status == "completed" else None

    def claim(
        self,
        key: CacheKey,
        force: bool = False,
        should_stop: Callable[[], bool] | None = None,
        poll_seconds: float = 0.5,
    ) -> Claim:
        """The cached answer, or the right to compute it. Waits while another worker holds it."""
        while True:
            now = datetime.now(UTC)
            with self.engine.begin() as connection:
                upsert(
                    connection,
                    llm_cache,
                    [
                        {
                            **key.columns(),
                            "status": "pending",
                            "claimed_by": self.owner,
                            "claimed_at": now,
                        }
                    ],
                    key=list(key.columns()),
                    update=[],  # insert if absent, never overwrite
                )
                row = connection.execute(
                    sa.select(llm_cache).where(key.where()).with_for_update()
                ).one()
                if row.claimed_by == self.owner and row.status == "pending":
                    return Claim(payload=None, owned=True)
                if row.status == "completed" and not force:
                    return Claim(payload=row.payload, owned=False)
                lease_over = row.claimed_at is None or row.claimed_at + self.lease < now
                if row.status == "completed" or lease_over:
                    # A forced re-run, or a claim left behind by a killed run: take it over.
                    connection.execute(
                        llm_cache.update()
                        .where(key.where())
                        .values(status="pending", claimed_by=self.owner, claimed_at=now)
                    )
                    return Claim(payload=None, owned=True)
            if should_stop is not None and should_stop():
                return Claim(payload=None, owned=False)
            self.sleep(poll_seconds)

    def heartbeat(self, key: CacheKey) -> None:
        """Renew the lease while retries and rate-limit pauses stretch one key's work."""
        with self.engine.begin() as connection:
            connection.execute(
                llm_cache.update()
                .where(key.where(), llm_cache.c.claimed_by == self.owner)
                .values(claimed_at=datetime.now(UTC))
            )

    def store(
        self,
        key: CacheKey,
        payload: dict[str, Any],
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> None:
        with self.engine.begin() as connection:
            upsert(
                connection,
                llm_cache,
                [
                    {
                        **key.columns(),
                        "status": "completed",
                        "payload": payload,
                        "claimed_by": self.owner,
                        "claimed_at": datetime.now(UTC),
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "cost_usd": cost_usd,
                    }
                ],
                key=list(key.columns()),
            )

    def release(self, key: CacheKey) -> None:
        """Give a claim back without an answer (the call failed): the next run tries again."""
        with self.engine.begin() as connection:
            connection.execute(
                llm_cache.delete().where(
                    key.where(),
                    llm_cache.c.claimed_by == self.owner,
                    llm_cache.c.status == "pending",
                )
            )
