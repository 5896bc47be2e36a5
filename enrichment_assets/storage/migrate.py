"""Alembic migrations, applied on start: idempotent, and safe when processes start together.

PostgreSQL serialises concurrent upgrades with an advisory lock held for the transaction;
SQLite with a lock file beside the database. A process remembers the URLs it has already
brought to head, so a run's many steps pay for the check once.
"""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant will do; it only has to be the same in every process of this project.
_ADVISORY_LOCK_KEY = 0x656E7269636841  # "enricha"

_migrated: set[str] = set()
_migrated_lock = threading.Lock()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _heads() -> set[str]:
    return set(script_directory().get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration on `engine`'s database; a no-op when already current."""
    key = engine.url.render_as_string(hide_password=False)
    with _migrated_lock:
        if key in _migrated:
            return
        if current_revisions(engine) != _heads():
            if engine.dialect.name == "postgresql":
                _upgrade_postgresql(engine)
            else:
                _upgrade_sqlite(engine)
        _migrated.add(key)


def _run_upgrade(connection: sa.Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    # "head": the revisions form one linear chain, each new one revising the last
    # (enrichment_assets_tests/storage/test_migrations.py fails when a second head appears).
    command.upgrade(config, "head")


def _upgrade_postgresql(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
        _run_upgrade(connection)


def _upgrade_sqlite(engine: Engine) -> None:
    database = engine.url.database
    if not database or database == ":memory:":
        with engine.begin() as connection:
            _run_upgrade(connection)
        return
    with FileLock(f"{database}.migrate.lock", timeout=120), engine.begin() as connection:
        _run_upgrade(connection)
