"""The enrichment domain's SQL: the LLM answer cache and its claims, the shared rate-limit
buckets, the usage log and the day's spend, and `post_enrichment` rows of kinds `llm`/`tags`.

The decisions (who owns a claim, when a slot is free, what a post needs) stay in
`lib/enrichment/`; these functions only read and write, each in the transaction its caller
relies on. Where a decision must be taken under a row lock, a context manager yields the locked
row and its connection, so the decision and its write commit together. On PostgreSQL the lock is
`SELECT … FOR UPDATE`; on SQLite the engine opens every transaction with `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.tables import (
    channels,
    llm_cache,
    llm_rate_limit,
    llm_usage_log,
    post_enrichment,
    posts,
)
from enrichment_assets.storage.upsert import upsert

READ_CHUNK = 500  # post ids per IN (…) list

# --- llm_cache: answers by (kind, provider, model, prompt_version, content_hash) ------------------


def _cache_key_matches(key: Mapping[str, str]) -> sa.ColumnElement[bool]:
    return sa.and_(*(llm_cache.c[name] == value for name, value in key.items()))


def cached_entry(engine: Engine, key: Mapping[str, str]) -> Row | None:
    """The cache row's `status` and `payload`, or None when there is none."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(llm_cache.c.status, llm_cache.c.payload).where(_cache_key_matches(key))
        ).one_or_none()


@contextmanager
def locked_cache_entry(
    engine: Engine, key: Mapping[str, str], owner: str, now: datetime
) -> Iterator[tuple[Connection, Row]]:
    """In one transaction: insert a `pending` claim by `owner` if the key has no row (an
    existing row is never overwritten), then lock the row and yield it; what the caller writes
    with `take_over_cache_entry` commits with the lock."""
    with engine.begin() as connection:
        upsert(
            connection,
            llm_cache,
            [{**key, "status": "pending", "claimed_by": owner, "claimed_at": now}],
            key=list(key),
            update=[],  # insert if absent, never overwrite
        )
        row = connection.execute(
            sa.select(llm_cache).where(_cache_key_matches(key)).with_for_update()
        ).one()
        yield connection, row


def take_over_cache_entry(
    connection: Connection, key: Mapping[str, str], owner: str, now: datetime
) -> None:
    connection.execute(
        llm_cache.update()
        .where(_cache_key_matches(key))
        .values(status="pending", claimed_by=owner, claimed_at=now)
    )


def renew_cache_claim(engine: Engine, key: Mapping[str, str], owner: str, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            llm_cache.update()
            .where(_cache_key_matches(key), llm_cache.c.claimed_by == owner)
            .values(claimed_at=now)
        )


def store_cache_answer(
    engine: Engine,
    key: Mapping[str, str],
    owner: str,
    now: datetime,
    payload: dict[str, Any],
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: float,
) -> None:
    with engine.begin() as connection:
        upsert(
            connection,
            llm_cache,
            [
                {
                    **key,
                    "status": "completed",
                    "payload": payload,
                    "claimed_by": owner,
                    "claimed_at": now,
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "cost_usd": cost_usd,
                }
            ],
            key=list(key),
        )


def release_cache_claim(engine: Engine, key: Mapping[str, str], owner: str) -> None:
    """Delete `owner`'s pending claim (never an answer, never another worker's claim)."""
    with engine.begin() as connection:
        connection.execute(
            llm_cache.delete().where(
                _cache_key_matches(key),
                llm_cache.c.claimed_by == owner,
                llm_cache.c.status == "pending",
            )
        )


# --- llm_rate_limit: one GCRA bucket row per provider limit ------------------------------------


def ensure_rate_bucket(engine: Engine, key: str) -> None:
    with engine.begin() as connection:
        upsert(connection, llm_rate_limit, [{"key": key}], key=["key"], update=[])


@contextmanager
def locked_rate_bucket(engine: Engine, key: str) -> Iterator[tuple[Connection, Row]]:
    """The bucket row, locked for the transaction the caller's writes commit in."""
    with engine.begin() as connection:
        query = sa.select(llm_rate_limit).where(llm_rate_limit.c.key == key)
        yield connection, connection.execute(query.with_for_update()).one()


def book_rate_slot(connection: Connection, key: str, request_tat: float, token_tat: float) -> None:
    connection.execute(
        llm_rate_limit.update()
        .where(llm_rate_limit.c.key == key)
        .values(request_tat=request_tat, token_tat=token_tat, updated_at=sa.func.now())
    )


def shift_token_time(engine: Engine, key: str, delta: float) -> None:
    """Move the bucket's token arrival time by `delta` seconds, under the row lock."""
    with locked_rate_bucket(engine, key) as (connection, _row):
        connection.execute(
            llm_rate_limit.update()
            .where(llm_rate_limit.c.key == key)
            .values(token_tat=llm_rate_limit.c.token_tat + delta)
        )


def set_rate_pause(connection: Connection, key: str, until: float, reason: str) -> None:
    connection.execute(
        llm_rate_limit.update()
        .where(llm_rate_limit.c.key == key)
        .values(paused_until=until, pause_reason=reason[:500], updated_at=sa.func.now())
    )


def rate_paused_until(engine: Engine, key: str) -> float:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(llm_rate_limit.c.paused_until).where(llm_rate_limit.c.key == key)
        ).scalar_one()


# --- llm_usage_log: one row per call, and what the calls cost --------------------------------


def log_llm_call(engine: Engine, row: Mapping[str, Any]) -> None:
    with engine.begin() as connection:
        connection.execute(llm_usage_log.insert().values(**row))


def spent_since_usd(engine: Engine, since: datetime) -> float:
    """Cost of every call logged since `since`, by every process."""
    with engine.connect() as connection:
        return float(
            connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(llm_usage_log.c.cost_usd), 0.0)).where(
                    llm_usage_log.c.created_at >= since
                )
            ).scalar_one()
        )


# --- posts to enrich and their post_enrichment rows ------------------------------------------


def posts_between(
    engine: Engine, start: datetime, end: datetime, channel: str | None = None
) -> list[tuple[int, str, str, str]]:
    """(id, channel handle, text, content hash) of posts published in [start, end), in order."""
    query = (
        sa.select(posts.c.id, channels.c.handle, posts.c.text, posts.c.content_hash)
        .join(channels, channels.c.id == posts.c.channel_id)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
        .order_by(posts.c.published_at, posts.c.id)
    )
    if channel:
        query = query.where(channels.c.handle == channel)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def enrichment_rows(engine: Engine, post_ids: Sequence[int], kind: str) -> dict[int, Row]:
    """The `post_enrichment` rows of `kind` for `post_ids`, by post id."""
    found: dict[int, Row] = {}
    with engine.connect() as connection:
        for start in range(0, len(post_ids), READ_CHUNK):
            chunk = post_ids[start : start + READ_CHUNK]
            for row in connection.execute(
                sa.select(post_enrichment).where(
                    post_enrichment.c.post_id.in_(chunk), post_enrichment.c.kind == kind
                )
            ):
                found[row.post_id] = row
    return found


def write_enrichment_rows(
    engine: Engine,
    rows: Sequence[Mapping[str, Any]],
    bookkeeping_only: Sequence[Mapping[str, Any]] = (),
) -> None:
    """One transaction: `rows` upserted whole; for `bookkeeping_only`, only who made the row
    (provider, model, prompt version) and for which text move on, the answer stays."""
    bookkeeping = ["provider", "model", "prompt_version", "content_hash"]
    with engine.begin() as connection:
        if rows:
            upsert(connection, post_enrichment, rows, key=["post_id", "kind"])
        if bookkeeping_only:
            upsert(
                connection,
                post_enrichment,
                bookkeeping_only,
                key=["post_id", "kind"],
                update=bookkeeping,
                only_if_changed=bookkeeping,
            )


def window_status_counts(
    engine: Engine, kind: str, start: datetime, end: datetime
) -> tuple[int, Counter]:
    """(posts in the window, rows of `kind` by status) for every channel."""
    with engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count())
            .select_from(posts)
            .where(posts.c.published_at >= start, posts.c.published_at < end)
        ).scalar_one()
        counts = Counter(
            dict(
                connection.execute(
                    sa.select(post_enrichment.c.status, sa.func.count())
                    .join(posts, posts.c.id == post_enrichment.c.post_id)
                    .where(
                        post_enrichment.c.kind == kind,
                        posts.c.published_at >= start,
                        posts.c.published_at < end,
                    )
                    .group_by(post_enrichment.c.status)
                ).all()
            )
        )
    return total, counts
