"""The catalog's writes: a dump never overwrites an API's row, watermarks only move forward."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from enrichment_assets.lib.datasets.records import DatasetRecord
from enrichment_assets.storage import datasets as store
from enrichment_assets.storage import datasets_bookkeeping as bookkeeping
from enrichment_assets.storage.tables import datasets


def _record(title: str) -> DatasetRecord:
    return DatasetRecord(
        source="kaggle",
        external_id="7",
        title=title,
        source_modified_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        extra={"views": 1},
    )


def test_a_seed_write_never_replaces_a_row_an_api_filled(engine):
    with engine.begin() as connection:
        row = _record("from the API").row() | {"status": "enriched"}
        store.write_rows(connection, [row])
        # A seed that looked before the API wrote (so it thinks the row is new) lands after it.
        store.write_rows(connection, [_record("from the dump").row() | {"status": "seeded"}], True)
    with engine.connect() as connection:
        stored = connection.execute(sa.select(datasets)).one()
    assert (stored.title, stored.status) == ("from the API", "enriched")
    assert stored.source_modified_at == datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert stored.extra == {"views": 1}


def test_watermarks_only_move_forward(engine):
    early, late = datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    bookkeeping.set_watermark(engine, "w", late)
    bookkeeping.set_watermark(engine, "w", early)
    assert bookkeeping.get_watermark(engine, "w") == late
    bookkeeping.set_watermark(engine, "w", None)
    assert bookkeeping.get_watermark(engine, "w") == late
