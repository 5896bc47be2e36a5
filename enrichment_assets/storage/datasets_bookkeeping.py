"""The catalog's bookkeeping: the watermark each feed walks down to (it only moves forward) and
the rows of a dump that could not be read (`quarantined_rows`, by file and line)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from enrichment_assets.storage.tables import quarantined_rows, watermarks
from enrichment_assets.storage.upsert import upsert

if TYPE_CHECKING:  # the careful reader's row type, for annotations only
    from enrichment_assets.lib.datasets.meta_kaggle import QuarantinedRow


# -- watermarks ---------------------------------------------------------------------------------
def get_watermark(engine: Engine, name: str) -> datetime | None:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(watermarks.c.value).where(watermarks.c.name == name)
        ).scalar()


def set_watermark(
    engine: Engine, name: str, value: datetime | None, details: dict | None = None
) -> None:
    """Move the watermark forward only: a backfill of an old window never pulls it back, and
    of two runs finishing together the later value wins (the comparison is in the upsert)."""
    if value is None:
        return
    with engine.begin() as connection:
        insert = sqlite.insert if connection.dialect.name == "sqlite" else postgresql.insert
        statement = insert(watermarks).values(name=name, value=value, details=details or {})
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "value": statement.excluded.value,
                "details": statement.excluded.details,
                "updated_at": sa.func.now(),
            },
            where=sa.or_(
                watermarks.c.value.is_(None), watermarks.c.value < statement.excluded.value
            ),
        )
        connection.execute(statement)


# -- quarantine ---------------------------------------------------------------------------------
def save_quarantined(engine: Engine, source: str, rows: Iterable[QuarantinedRow]) -> int:
    values = [
        {"source": source, "file": r.file, "line": r.line, "reason": r.reason, "raw": r.raw}
        for r in rows
    ]
    if not values:
        return 0
    with engine.begin() as connection:
        return upsert(connection, quarantined_rows, values, key=("source", "file", "line"))
