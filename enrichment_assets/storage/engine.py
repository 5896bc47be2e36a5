"""One SQLAlchemy engine per database URL, tuned for SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from enrichment_assets.storage.tables import metadata

SQLITE_BUSY_TIMEOUT_MS = 60_000


def redact_url(url: str) -> str:
    """The URL with its password masked, safe for logs, metadata and errors; a string that is
    not a URL at all shows nothing of itself (it may be a password pasted in the wrong place)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<not a URL>"


def reading(engine: Engine) -> Connection:
    """A connection for reads only, that never waits for a writer: on SQLite (WAL) each
    statement reads the last committed state; on PostgreSQL it is an ordinary read."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def create_database_engine(url: str) -> Engine:
    """An engine for `url`. SQLite gets WAL, a busy timeout and write transactions that take
    the write lock up front (BEGIN IMMEDIATE), so concurrent runs wait for each other instead
    of failing with 'database is locked' when a read transaction tries to become a writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_engine(parsed) -> Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy (pysqlite's own implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows in every application table, by name, in dependency order."""
    return {
        table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in metadata.sorted_tables
    }
