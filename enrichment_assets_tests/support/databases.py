"""Databases on the local PostgreSQL server: a migrated template, clones of it, and their removal.

Used by the root conftest's fixtures, the Celery tests and bench/scaleout.py.
"""

from __future__ import annotations

import os
import uuid

import psycopg

from enrichment_assets.storage import create_database_engine, upgrade_to_head

POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
POSTGRES_HOST = "postgres@127.0.0.1:5432"


def _admin() -> psycopg.Connection:
    return psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True)


def create_migrated_database(prefix: str = "enrichment_template") -> str:
    """A new database on the local server, migrated to head; its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = create_database_engine(f"postgresql+psycopg://{POSTGRES_HOST}/{name}")
    upgrade_to_head(engine)
    engine.dispose()
    return name


def new_postgres_database(template: str) -> str:
    name = f"enrichment_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_postgres_database(name: str) -> None:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
