"""The seed's columnar write: a batch of `RecordColumns` from the fast Meta Kaggle reader turned
into the driver's rows (while the previous batch is being written), then classified against
what is stored and written in one transaction, through the same upsert and the same outcome
rule as `storage.datasets.save_batch`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING

from psycopg.types.json import Jsonb
from sqlalchemy.engine import Engine

from enrichment_assets.storage.datasets import (
    PREVIEW_ROWS,
    SEED,
    SEED_FIXED,
    WRITTEN_OUTCOMES,
    WriteSummary,
    existing_rows,
    source_is_empty,
    upsert_sql,
    write_outcome,
)

if TYPE_CHECKING:  # the fast reader's batch type, for annotations only
    from enrichment_assets.lib.datasets.record_columns import RecordColumns


@dataclass
class PreparedColumns:
    """A batch of columns turned into the driver's rows, ready for `save_prepared`: the
    seed prepares the next batch while the previous one is being written."""

    columns: RecordColumns
    sql: str
    rows: list  # tuples (SQLite, positional) or dicts (PostgreSQL, by name)


def prepare_columns(engine: Engine, columns: RecordColumns) -> PreparedColumns:
    sqlite_dialect = engine.dialect.name == "sqlite"
    if sqlite_dialect:
        created = columns.times_as_text("source_created_at")
        modified = columns.times_as_text("source_modified_at")
        extra: list = columns.extra
    else:  # psycopg takes aware datetimes, and JSON through its Jsonb wrapper
        created = columns.source_created_at.to_pylist()
        modified = columns.source_modified_at.to_pylist()
        extra = [Jsonb(json.loads(text)) for text in columns.extra]
    count = len(columns)
    values = {
        "external_id": columns.external_id,
        "title": columns.title,
        "description": columns.description,
        "url": columns.url,
        "owner": columns.owner,
        "license": columns.license,
        "downloads": columns.downloads,
        "likes": columns.likes,
        "source_created_at": created,
        "source_modified_at": modified,
        "ref": columns.ref,
        "extra": extra,
        "content_hash": columns.content_hash,
        "source": repeat(columns.source, count),
    }
    sql, order = upsert_sql(
        engine.dialect, tuple(values), only_seeded=True, fixed=tuple(SEED_FIXED)
    )
    rows = list(zip(*(values[name] for name in order), strict=True))
    if not sqlite_dialect:
        rows = [dict(zip(order, row, strict=True)) for row in rows]
    return PreparedColumns(columns, sql, rows)


def save_prepared(engine: Engine, prepared: PreparedColumns, *, summary: WriteSummary) -> None:
    """Classify the batch by id and hash against what is stored and write it in one
    transaction: new rows inserted, changed `seeded` rows overwritten, the rest left."""
    columns, rows = prepared.columns, prepared.rows
    with engine.begin() as connection:
        if summary.fresh is None:
            summary.fresh = source_is_empty(connection, columns.source)
        if summary.fresh:
            summary.counts["new"] += len(columns)
        else:
            existing = existing_rows(connection, columns.source, columns.external_id)
            outcomes = [
                write_outcome(existing.get(external_id), content_hash, SEED)
                for external_id, content_hash in zip(
                    columns.external_id, columns.content_hash, strict=True
                )
            ]
            summary.counts.update(outcomes)
            rows = [
                row
                for row, outcome in zip(rows, outcomes, strict=True)
                if outcome in WRITTEN_OUTCOMES
            ]
        for i in range(min(PREVIEW_ROWS - len(summary.preview), len(columns))):
            summary.preview.append(columns.record(i))
        summary.note_modified(columns.newest_modified())
        if rows:
            connection.exec_driver_sql(prepared.sql, rows)
