"""The post graph's evidence reads: the posts of a window and, per batch, their channels,
enrichment rows, registered links, cited datasets and stories (one query per table).

Split from storage/graph.py, which writes the nodes and edges; both run in the batch's
transaction (`storage.graph.transaction`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.graph import chunks, one_of
from enrichment_assets.storage.tables import (
    channels,
    datasets,
    links,
    near_duplicate_posts,
    post_enrichment,
    posts,
)

ENRICHMENT_KINDS = ("llm", "tags", "crawl")


def window_post_ids(engine: Engine, start: datetime, end: datetime) -> list[int]:
    """Ids of the posts published in [start, end), oldest first."""
    query = (
        sa.select(posts.c.id)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
        .order_by(posts.c.published_at, posts.c.id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def read_posts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, published_at, text, urls and the channel (channel_id, source, handle, title)."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                posts.c.id,
                posts.c.published_at,
                posts.c.text,
                posts.c.urls,
                posts.c.channel_id,
                channels.c.source,
                channels.c.handle,
                channels.c.title,
            )
            .join(channels, channels.c.id == posts.c.channel_id)
            .where(one_of(connection, posts.c.id, chunk))
        ).all()
    return found


def read_post_texts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, published_at, text of posts (the first tellings of stories)."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(posts.c.id, posts.c.published_at, posts.c.text).where(
                one_of(connection, posts.c.id, chunk)
            )
        ).all()
    return found


def read_enrichments(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """post_id, kind, status, payload of the posts' `llm`, `tags` and `crawl` rows."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                post_enrichment.c.post_id,
                post_enrichment.c.kind,
                post_enrichment.c.status,
                post_enrichment.c.payload,
            ).where(
                one_of(connection, post_enrichment.c.post_id, chunk),
                post_enrichment.c.kind.in_(ENRICHMENT_KINDS),
            )
        ).all()
    return found


def link_ids(connection: Connection, urls: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(urls)):
        found.update(
            connection.execute(
                sa.select(links.c.url, links.c.id).where(one_of(connection, links.c.url, chunk))
            ).all()
        )
    return found


def datasets_by_url(connection: Connection, urls: Sequence[str]) -> list[Row]:
    """id, source, external_id, title, url of the datasets whose URL is one of `urls`."""
    found: list[Row] = []
    for chunk in chunks(sorted(urls)):
        found += connection.execute(
            sa.select(
                datasets.c.id,
                datasets.c.source,
                datasets.c.external_id,
                datasets.c.title,
                datasets.c.url,
            ).where(one_of(connection, datasets.c.url, chunk))
        ).all()
    return found


def stories(connection: Connection, post_ids: Sequence[int], model: str) -> list[Row]:
    """post_id, group_post_id, similarity of the posts' `near_duplicate_posts` rows."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                near_duplicate_posts.c.post_id,
                near_duplicate_posts.c.group_post_id,
                near_duplicate_posts.c.similarity,
            ).where(
                one_of(connection, near_duplicate_posts.c.post_id, chunk),
                near_duplicate_posts.c.model == model,
            )
        ).all()
    return found
