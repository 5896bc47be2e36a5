"""The web domain's SQL: the HTTP response cache every process and run shares, crawl rows
(`post_enrichment` of kind `crawl`), `links` and `link_citations`, and the cleanup's deletes.

What to fetch, how to judge a link and what counts as changed stay in `lib/web/`; these
functions read and write. Those taking a Connection run inside the caller's transaction, so
a batch the caller opened commits (or rolls back) whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.tables import (
    datasets,
    embeddings,
    http_cache,
    link_citations,
    links,
    post_enrichment,
    posts,
)
from enrichment_assets.storage.upsert import upsert

READ_CHUNK = 500  # ids per IN (…) list

# --- http_cache -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedResponse:
    """A fetch's outcome as the cache keeps it (the fetcher turns it back into a result)."""

    outcome: str
    status_code: int | None
    final_url: str | None
    content_type: str | None
    body: bytes | None
    reason: str
    fetched_at: datetime


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


# --- what posts and datasets link to ------------------------------------------------------------


def post_urls_between(
    connection: Connection, start: datetime, end: datetime, *, by_id: bool = False
) -> list[tuple[int, Any]]:
    """(id, urls) of the posts published in [start, end); `urls` as stored (a JSON list)."""
    query = sa.select(posts.c.id, posts.c.urls).where(
        posts.c.published_at >= start, posts.c.published_at < end
    )
    if by_id:
        query = query.order_by(posts.c.id)
    return [(row.id, row.urls) for row in connection.execute(query)]


def dataset_urls(connection: Connection) -> list[tuple[int, str]]:
    """(id, url) of every dataset that has a URL."""
    query = sa.select(datasets.c.id, datasets.c.url).where(datasets.c.url.is_not(None))
    return [(row.id, row.url) for row in connection.execute(query)]


# --- crawl rows -----------------------------------------------------------------------------------


def crawl_states(
    engine: Engine, post_ids: Sequence[int], kind: str
) -> dict[int, tuple[str, str | None]]:
    """post id → (status, content hash) of its `kind` row, for those that have one."""
    found: dict[int, tuple[str, str | None]] = {}
    with engine.connect() as connection:
        for offset in range(0, len(post_ids), READ_CHUNK):
            chunk = post_ids[offset : offset + READ_CHUNK]
            for row in connection.execute(
                sa.select(
                    post_enrichment.c.post_id,
                    post_enrichment.c.status,
                    post_enrichment.c.content_hash,
                ).where(post_enrichment.c.kind == kind, post_enrichment.c.post_id.in_(chunk))
            ):
                found[row.post_id] = (row.status, row.content_hash)
    return found


def save_crawl_row(engine: Engine, row: Mapping[str, Any]) -> None:
    """One post's crawl row, committed on its own (a killed run keeps what it wrote)."""
    with engine.begin() as connection:
        upsert(
            connection,
            post_enrichment,
            [row],
            key=["post_id", "kind"],
            # A retried failure that fails the same way leaves its row untouched.
            only_if_changed=["status", "payload", "error", "content_hash", "model"],
        )


# --- links and link_citations -------------------------------------------------------------------


def register_links(connection: Connection, hosts: Mapping[str, str | None]) -> dict[str, int]:
    """Insert the URLs not yet in `links`; an existing link is left as it is (its host, which
    follows from the URL, is rewritten only where it differs). Returns url → id for them all."""
    urls = sorted(hosts)
    upsert(
        connection,
        links,
        [{"url": url, "host": hosts[url]} for url in urls],
        key=["url"],
        update=["host"],
        only_if_changed=["host"],
    )
    return dict(
        connection.execute(sa.select(links.c.url, links.c.id).where(links.c.url.in_(urls))).all()
    )


def add_citations(connection: Connection, citations: Iterable[tuple[int, str, int]]) -> None:
    """(link id, entity type, entity id) rows, inserted once; existing rows untouched."""
    upsert(
        connection,
        link_citations,
        [
            {"link_id": link_id, "entity_type": entity_type, "entity_id": entity_id}
            for link_id, entity_type, entity_id in citations
        ],
        key=["link_id", "entity_type", "entity_id"],
        update=[],
    )


def citations_of(engine: Engine, post_ids: Sequence[int]) -> list[tuple[int, str, int, str]]:
    """(link id, entity type, entity id, url) of every dataset citation and of the citations
    of `post_ids`."""
    query = sa.select(
        link_citations.c.link_id,
        link_citations.c.entity_type,
        link_citations.c.entity_id,
        links.c.url,
    ).join(links, links.c.id == link_citations.c.link_id)
    selections = [query.where(link_citations.c.entity_type == "dataset")]
    selections += [
        query.where(
            link_citations.c.entity_type == "post",
            link_citations.c.entity_id.in_(post_ids[offset : offset + READ_CHUNK]),
        )
        for offset in range(0, len(post_ids), READ_CHUNK)
    ]
    found: list[tuple[int, str, int, str]] = []
    with engine.connect() as connection:
        for selection in selections:
            found += [tuple(row) for row in connection.execute(selection)]
    return found


def delete_citations(engine: Engine, keys: Sequence[tuple[int, str, int]]) -> None:
    """Delete (link id, entity type, entity id) citations, committing every batch."""
    key = sa.tuple_(
        link_citations.c.link_id, link_citations.c.entity_type, link_citations.c.entity_id
    )
    for offset in range(0, len(keys), READ_CHUNK):
        with engine.begin() as connection:
            connection.execute(
                link_citations.delete().where(key.in_(keys[offset : offset + READ_CHUNK]))
            )


def due_links(connection: Connection, now: datetime, limit: int) -> list[Row]:
    """Cited links whose next check is due (never checked first), oldest first:
    (id, url, state, strikes, last_strike_on)."""
    cited = sa.exists().where(link_citations.c.link_id == links.c.id)
    return connection.execute(
        sa.select(links.c.id, links.c.url, links.c.state, links.c.strikes, links.c.last_strike_on)
        .where(cited, sa.or_(links.c.next_check_at.is_(None), links.c.next_check_at <= now))
        .order_by(links.c.next_check_at.is_not(None), links.c.next_check_at, links.c.id)
        .limit(limit)
    ).all()


def count_links_in_state(connection: Connection, state: str) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(links).where(links.c.state == state)
    ).scalar_one()


def update_link(connection: Connection, link_id: int, values: Mapping[str, Any]) -> None:
    connection.execute(
        links.update().where(links.c.id == link_id).values(**values, updated_at=sa.func.now())
    )


# --- the cleanup: what is garbage, counted or deleted in batches --------------------------------


def _garbage(now: datetime) -> dict[str, tuple[sa.Table, tuple, sa.ColumnElement]]:
    """name → (table, its key columns, the condition that makes a row garbage)."""

    def missing(entity_table: sa.Table, id_column: sa.ColumnElement) -> sa.ColumnElement:
        return ~sa.exists().where(entity_table.c.id == id_column)

    citation_key = (
        link_citations.c.link_id,
        link_citations.c.entity_type,
        link_citations.c.entity_id,
    )
    return {
        "expired_cache_rows": (
            http_cache,
            (http_cache.c.url_hash,),
            http_cache.c.expires_at <= now,
        ),
        "orphan_post_embeddings": (
            embeddings,
            (embeddings.c.id,),
            (embeddings.c.entity_type == "post") & missing(posts, embeddings.c.entity_id),
        ),
        "orphan_dataset_embeddings": (
            embeddings,
            (embeddings.c.id,),
            (embeddings.c.entity_type == "dataset") & missing(datasets, embeddings.c.entity_id),
        ),
        "orphan_post_enrichment": (
            post_enrichment,
            (post_enrichment.c.id,),
            missing(posts, post_enrichment.c.post_id),
        ),
        "orphan_post_citations": (
            link_citations,
            citation_key,
            (link_citations.c.entity_type == "post") & missing(posts, link_citations.c.entity_id),
        ),
        "orphan_dataset_citations": (
            link_citations,
            citation_key,
            (link_citations.c.entity_type == "dataset")
            & missing(datasets, link_citations.c.entity_id),
        ),
        # After the citations above: a link nobody cites is not worth checking.
        "uncited_links": (
            links,
            (links.c.id,),
            ~sa.exists().where(link_citations.c.link_id == links.c.id),
        ),
    }


# The kinds of garbage, in the order they must go (citations before the links they free).
GARBAGE_KINDS = tuple(_garbage(datetime.now(UTC)))


def count_garbage(engine: Engine, kind: str, now: datetime) -> int:
    table, _key, condition = _garbage(now)[kind]
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table).where(condition)
        ).scalar_one()


def delete_garbage_batch(engine: Engine, kind: str, now: datetime, batch: int) -> int:
    """Delete up to `batch` rows of garbage `kind` in one committed transaction; how many."""
    table, key, condition = _garbage(now)[kind]
    with engine.begin() as connection:
        keys = connection.execute(sa.select(*key).where(condition).limit(batch)).all()
        if not keys:
            return 0
        if len(key) == 1:
            match = key[0].in_([row[0] for row in keys])
        else:
            match = sa.tuple_(*key).in_([tuple(row) for row in keys])
        connection.execute(table.delete().where(match))
    return len(keys)
