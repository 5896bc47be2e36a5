"""The `datasets` repository: upserts on the natural key, committed batch by batch so a killed
run keeps what it wrote and a re-run resumes; and what the UI shows of the catalog.

Beside it: the seed's columnar batch writer (`storage/datasets_seed.py`), the Kaggle details
queue (`storage/datasets_details.py`), the watermarks of the feeds and the rows a dump could
not read (`storage/datasets_bookkeeping.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine

from enrichment_assets.lib.common.hashing import canonical_json
from enrichment_assets.storage.tables import datasets

if TYPE_CHECKING:  # the catalog's record type, for annotations only: storage never imports lib
    from enrichment_assets.lib.datasets.records import DatasetRecord

SEEDED, PENDING, ENRICHED, ERROR = "seeded", "pending", "enriched", "error"
WRITE_BATCH = 5000  # rows per transaction: a killed seed redoes at most this many
PREVIEW_ROWS = 10

# How a batch of records meets the rows already there.
SEED = "seed"  # a dump: insert new; refresh only rows no API has touched yet (still `seeded`)
REPLACE = "replace"  # a full API record: insert or overwrite when the content changed
REFRESH = "refresh"  # a list entry: newer than the row -> update what it carries, re-enrich

# Columns of `datasets` a record fills; `content_hash` covers exactly these.
CONTENT_COLUMNS = (
    "title",
    "description",
    "url",
    "owner",
    "license",
    "tags",
    "downloads",
    "likes",
    "source_created_at",
    "source_modified_at",
    "ref",
    "extra",
)


@dataclass
class WriteSummary:
    counts: Counter = field(default_factory=Counter)
    preview: list[DatasetRecord] = field(default_factory=list)
    newest_modified: datetime | None = None
    # A seed into a source with no rows yet: nothing to compare with, so no pre-select.
    fresh: bool | None = None

    def note_modified(self, value: datetime | None) -> None:
        if value is not None and (self.newest_modified is None or value > self.newest_modified):
            self.newest_modified = value

    def as_metadata(self) -> dict[str, int]:
        return {name: self.counts.get(name, 0) for name in ("new", "updated", "unchanged", "kept")}


def utc_now() -> datetime:
    return datetime.now(UTC)


WRITTEN_OUTCOMES = frozenset({"new", "updated"})  # the outcomes that write the row


def write_outcome(known, content_hash: str, mode: str) -> str:
    """new, unchanged, kept (a dump never overwrites a row an API has filled since: it is
    fresher than any dump) or updated."""
    if known is None:
        return "new"
    if known.content_hash == content_hash:
        return "unchanged"
    if mode == SEED and known.status != SEEDED:
        return "kept"
    return "updated"


def source_is_empty(connection: Connection, source: str) -> bool:
    """A seed into a source with no rows yet has nothing to compare with: no pre-select."""
    return not connection.execute(
        sa.select(datasets.c.id).where(datasets.c.source == source).limit(1)
    ).first()


def existing_rows(connection: Connection, source: str, ids: Sequence[str]) -> dict[str, Any]:
    rows = connection.execute(
        sa.select(
            datasets.c.external_id,
            datasets.c.content_hash,
            datasets.c.status,
            datasets.c.source_modified_at,
        ).where(datasets.c.source == source, datasets.c.external_id.in_(ids))
    )
    return {row.external_id: row for row in rows}


def save_records(
    engine: Engine,
    records: Iterable[DatasetRecord],
    *,
    mode: str,
    batch_size: int = WRITE_BATCH,
    summary: WriteSummary | None = None,
) -> WriteSummary:
    """Upsert `records` in batches of `batch_size`, one transaction per batch."""
    summary = summary or WriteSummary()
    iterator = iter(records)
    while batch := list(islice(iterator, batch_size)):
        save_batch(engine, batch, mode=mode, summary=summary)
    return summary


def save_batch(
    engine: Engine,
    batch: list[DatasetRecord],
    *,
    mode: str,
    summary: WriteSummary,
) -> None:
    """Classify and write one batch in one transaction."""
    # The same id twice in one batch (a listing that shifted between pages): the last wins.
    unique = list({(r.source, r.external_id): r for r in batch}.values())
    rows = [record.row() for record in unique]  # hashed before the write lock is taken
    now = utc_now()
    with engine.begin() as connection:
        for source in {r.source for r in unique}:
            of_source = [
                (r, row) for r, row in zip(unique, rows, strict=True) if r.source == source
            ]
            if mode == SEED and summary.fresh is None:
                summary.fresh = source_is_empty(connection, source)
            existing = (
                {}
                if mode == SEED and summary.fresh
                else existing_rows(connection, source, [r.external_id for r, _ in of_source])
            )
            inserts: list[dict[str, Any]] = []
            for record, row in of_source:
                known = existing.get(record.external_id)
                summary.note_modified(record.source_modified_at)
                if len(summary.preview) < PREVIEW_ROWS:
                    summary.preview.append(record)
                if known is not None and mode == REFRESH:
                    _refresh(connection, record, known, summary, now)
                    continue
                outcome = write_outcome(known, row["content_hash"], mode)
                summary.counts[outcome] += 1
                if outcome in WRITTEN_OUTCOMES:  # a list entry (REFRESH) lands seeded, for details
                    row["status"] = SEEDED if mode in (SEED, REFRESH) else ENRICHED
                    row["fetched_at"], row["error"] = now, None
                    inserts.append(row)
            if inserts:
                write_rows(connection, inserts, only_seeded=mode == SEED)


def _refresh(connection, record: DatasetRecord, known, summary: WriteSummary, now) -> None:
    """A list entry carries fewer fields than the full record: write what it has, and only if it
    is newer than the row; the details asset then fetches the rest (status back to seeded)."""
    stored = known.source_modified_at
    if stored is not None and (
        record.source_modified_at is None or record.source_modified_at <= stored
    ):
        summary.counts["unchanged"] += 1
        return
    values = {
        name: getattr(record, name)
        for name in CONTENT_COLUMNS
        if getattr(record, name) not in (None, "", [], {})
    }
    values.update(status=SEEDED, error=None, fetched_at=now, updated_at=sa.func.now())
    connection.execute(
        datasets.update()
        .where(datasets.c.source == record.source, datasets.c.external_id == record.external_id)
        .values(**values)
    )
    summary.counts["updated"] += 1


# -- the bulk write ---------------------------------------------------------------------------
_JSON_COLUMNS = frozenset({"tags", "extra"})
_TIME_COLUMNS = frozenset({"source_created_at", "source_modified_at", "fetched_at"})
_statements: dict[tuple, tuple[str, tuple[str, ...]]] = {}


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's own SQLite storage format for DateTime (naive UTC, 6-digit microseconds).
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _sqlite_json(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def _postgres_json(value: Any):
    return None if value is None else Jsonb(value)


def write_rows(
    connection: Connection, rows: list[dict[str, Any]], only_seeded: bool = False
) -> None:
    """INSERT … ON CONFLICT (source, external_id) DO UPDATE, like `storage.upsert`, but with
    the statement compiled once and values handed to the driver ready-made: SQLAlchemy's
    per-row bind processing (JSON, the UTC type) was half the time of a 200,000-row seed.

    `only_seeded`: an existing row is overwritten only while still `seeded`, so a dump never
    replaces what an API wrote, even one that landed after this run looked."""
    dialect = connection.dialect.name
    sql, order = upsert_sql(connection.dialect, tuple(rows[0]), only_seeded)
    if dialect == "sqlite":
        convert = {name: _sqlite_json for name in _JSON_COLUMNS} | {
            name: _sqlite_time for name in _TIME_COLUMNS
        }
        pick = itemgetter(*order)
        special = [(i, convert[name]) for i, name in enumerate(order) if name in convert]
        values = []
        for row in rows:
            value = list(pick(row))
            for i, to_sqlite in special:
                value[i] = to_sqlite(value[i])
            values.append(tuple(value))
    else:  # psycopg adapts aware datetimes itself; JSON needs its Jsonb wrapper
        values = [
            {name: _postgres_json(v) if name in _JSON_COLUMNS else v for name, v in row.items()}
            for row in rows
        ]
    connection.exec_driver_sql(sql, values)


# What every row of a seed batch says, as SQL (see `storage/datasets_seed.py`).
SEED_FIXED = {
    "tags": sa.null(),
    "status": sa.literal_column(f"'{SEEDED}'"),
    "error": sa.null(),
    "fetched_at": sa.func.now(),
}


def upsert_sql(
    dialect: Dialect, columns: tuple[str, ...], only_seeded: bool, fixed: tuple[str, ...] = ()
) -> tuple[str, tuple[str, ...]]:
    """The upsert's SQL for these columns, compiled once per process, and the order in which
    the driver takes the values (positional on SQLite, by name on PostgreSQL).

    `fixed` columns take the same value in every row of a seed batch (see `SEED_FIXED`): written
    into the statement instead of bound row by row, which saves SQLite a fifth of its work."""
    cache_key = (dialect.name, columns, only_seeded, fixed)
    if cache_key not in _statements:
        insert = sqlite.insert if dialect.name == "sqlite" else postgresql.insert
        values = {name: sa.bindparam(name) for name in columns}
        values |= {name: SEED_FIXED[name] for name in fixed}
        statement = insert(datasets).values(values).inline()  # no RETURNING: ids go unread
        updated = [name for name in columns + fixed if name not in ("source", "external_id")]
        statement = statement.on_conflict_do_update(
            index_elements=["source", "external_id"],
            set_={
                **{name: statement.excluded[name] for name in updated},
                "updated_at": sa.func.now(),
            },
            where=(datasets.c.status == sa.literal_column(f"'{SEEDED}'")) if only_seeded else None,
        )
        compiled = statement.compile(dialect=dialect)
        order = tuple(compiled.positiontup or ()) if dialect.name == "sqlite" else columns
        _statements[cache_key] = (str(compiled), order)
    return _statements[cache_key]


# -- what the UI shows --------------------------------------------------------------------------
def status_counts(engine: Engine, source: str) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(datasets.c.status, sa.func.count())
            .where(datasets.c.source == source)
            .group_by(datasets.c.status)
        )
        return {status: count for status, count in rows}


def duplicate_keys(engine: Engine, source: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(datasets.c.external_id)
                .where(datasets.c.source == source)
                .group_by(datasets.c.external_id)
                .having(sa.func.count() > 1)
                .limit(20)
            ).scalars()
        )
