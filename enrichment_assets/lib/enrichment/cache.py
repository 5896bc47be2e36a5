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

from sqlalchemy.engine import Engine

from enrichment_assets.storage import enrichment as repository

DEFAULT_LEASE_SECONDS = 600.0


@dataclass(frozen=True)
class CacheKey:
    kind: str
    provider: str
    model: str
    prompt_version: str
    content_hash: str

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
        row = repository.cached_entry(self.engine, key.columns())
        return row.payload if row is not None and row.status == "completed" else None

    def claim(
        self,
        key: CacheKey,
        force: bool = False,
        should_stop: Callable[[], bool] | None = None,
        poll_seconds: float = 0.5,
    ) -> Claim:
        """The cached answer, or the right to compute it. Waits while another worker holds it."""
        columns = key.columns()
        while True:
            now = datetime.now(UTC)
            with repository.locked_cache_entry(self.engine, columns, self.owner, now) as (
                connection,
                row,
            ):
                if row.claimed_by == self.owner and row.status == "pending":
                    return Claim(payload=None, owned=True)
                if row.status == "completed" and not force:
                    return Claim(payload=row.payload, owned=False)
                lease_over = row.claimed_at is None or row.claimed_at + self.lease < now
                if row.status == "completed" or lease_over:
                    # A forced re-run, or a claim left behind by a killed run: take it over.
                    repository.take_over_cache_entry(connection, columns, self.owner, now)
                    return Claim(payload=None, owned=True)
            if should_stop is not None and should_stop():
                return Claim(payload=None, owned=False)
            self.sleep(poll_seconds)

    def heartbeat(self, key: CacheKey) -> None:
        """Renew the lease while retries and rate-limit pauses stretch one key's work."""
        repository.renew_cache_claim(self.engine, key.columns(), self.owner, datetime.now(UTC))

    def store(
        self,
        key: CacheKey,
        payload: dict[str, Any],
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cost_usd: float = 0.0,
    ) -> None:
        repository.store_cache_answer(
            self.engine,
            key.columns(),
            self.owner,
            datetime.now(UTC),
            payload,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost_usd,
        )

    def release(self, key: CacheKey) -> None:
        """Give a claim back without an answer (the call failed): the next run tries again."""
        repository.release_cache_claim(self.engine, key.columns(), self.owner)
