"""The Kaggle details queue: seeded rows claimed a batch at a time (`pending`), then each one
written as `enriched` with the API's full record, or as `error` with its reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.datasets import ENRICHED, ERROR, PENDING, SEEDED, utc_now
from enrichment_assets.storage.tables import datasets

if TYPE_CHECKING:  # the catalog's record type, for annotations only: storage never imports lib
    from enrichment_assets.lib.datasets.records import DatasetRecord


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    external_id: str
    ref: str | None
    attempts: int


def claim_for_details(engine: Engine, batch_size: int, max_attempts: int) -> list[Pending]:
    """The next `batch_size` Kaggle rows to enrich, marked `pending` in one transaction.

    Rows left `pending` by a killed run come first, then `seeded`, then `error`s that were
    transient (a 429 or 5xx that outlived the retries) and have attempts left."""
    order = sa.case((datasets.c.status == PENDING, 0), (datasets.c.status == SEEDED, 1), else_=2)
    wanted = sa.or_(
        datasets.c.status.in_((PENDING, SEEDED)),
        sa.and_(
            datasets.c.status == ERROR,
            datasets.c.error_retryable.is_(True),
            datasets.c.attempts < max_attempts,
        ),
    )
    with engine.begin() as connection:
        rows = connection.execute(
            sa.select(datasets.c.id, datasets.c.external_id, datasets.c.ref, datasets.c.attempts)
            .where(datasets.c.source == "kaggle", wanted)
            .order_by(order, datasets.c.id)
            .limit(batch_size)
            # PostgreSQL: two runs at once claim different rows (SQLite serialises writers).
            .with_for_update(skip_locked=True)
        ).all()
        if rows:
            connection.execute(
                datasets.update()
                .where(datasets.c.id.in_([row.id for row in rows]))
                .values(status=PENDING, updated_at=sa.func.now())
            )
    return [Pending(row.id, row.external_id, row.ref, row.attempts) for row in rows]


def mark_enriched(engine: Engine, pending: Pending, record: DatasetRecord) -> str:
    """Write the full API record over the row; 'updated' or 'unchanged' by content hash.

    The API's dataset has no creation date and fewer counters than the dump: what it lacks is
    kept from the row (creation date, `extra` keys) rather than blanked."""
    with engine.begin() as connection:
        before = connection.execute(
            sa.select(
                datasets.c.content_hash, datasets.c.source_created_at, datasets.c.extra
            ).where(datasets.c.id == pending.id)
        ).one()
        if record.source_created_at is None:
            record.source_created_at = before.source_created_at
        record.extra = {**(before.extra or {}), **record.extra}
        row = record.row()
        row.pop("source")
        row.pop("external_id")
        connection.execute(
            datasets.update()
            .where(datasets.c.id == pending.id)
            .values(
                **row,
                status=ENRICHED,
                error=None,
                error_retryable=None,
                attempts=pending.attempts + 1,
                fetched_at=utc_now(),
                updated_at=sa.func.now(),
            )
        )
    return "unchanged" if before.content_hash == row["content_hash"] else "updated"


def mark_error(engine: Engine, pending: Pending, reason: str, retryable: bool) -> None:
    with engine.begin() as connection:
        connection.execute(
            datasets.update()
            .where(datasets.c.id == pending.id)
            .values(
                status=ERROR,
                error=reason[:2000],
                error_retryable=retryable,
                attempts=pending.attempts + 1,
                updated_at=sa.func.now(),
            )
        )
