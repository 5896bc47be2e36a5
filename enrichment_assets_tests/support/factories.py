"""Rows for tests that need posts or datasets without going through ingestion."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.storage.tables import channels, datasets, posts


def insert_channel(engine: Engine, handle: str = "demo", source: str = "telegram") -> int:
    with engine.begin() as connection:
        existing = connection.execute(
            sa.select(channels.c.id).where(channels.c.source == source, channels.c.handle == handle)
        ).scalar()
        if existing is not None:
            return existing
        return connection.execute(
            channels.insert().values(source=source, handle=handle, title=handle)
        ).inserted_primary_key[0]


def insert_post(
    engine: Engine,
    text: str,
    *,
    external_id: str,
    channel: str = "demo",
    published_at: datetime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    urls: list[str] | None = None,
) -> int:
    channel_id = insert_channel(engine, channel)
    with engine.begin() as connection:
        return connection.execute(
            posts.insert().values(
                channel_id=channel_id,
                external_id=external_id,
                published_at=published_at,
                text=text,
                urls=urls or [],
                content_hash=content_hash(text),
            )
        ).inserted_primary_key[0]


def insert_dataset(engine: Engine, source: str, external_id: str, **columns) -> int:
    with engine.begin() as connection:
        return connection.execute(
            datasets.insert().values(source=source, external_id=external_id, **columns)
        ).inserted_primary_key[0]
