"""Shared fixtures: a fresh database on SQLite and on the local PostgreSQL, a clean environment.

PostgreSQL is never skipped: `make test` starts it. Each test gets its own PostgreSQL database,
cloned from a template migrated once per session, so tests are isolated and fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import Engine

from enrichment_assets import settings
from enrichment_assets.storage import create_database_engine, upgrade_to_head

POSTGRES_ADMIN_DSN = os.environ.get(
    "TEST_POSTGRES_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
POSTGRES_HOST = "postgres@127.0.0.1:5432"

# Every variable the project reads (the settings model, and those Dagster reads itself): a
# developer's shell, or a developer's .env, must not leak any of them into a test.
PROJECT_ENVIRONMENT = sorted({*settings.variables(), *settings.DAGSTER_VARIABLES})


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in PROJECT_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "ENV_FILE", None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # Kaggle clients read ~/.kaggle; a test must never see a real one.
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))


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


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated to head, cloned by every PostgreSQL test."""
    name = create_migrated_database()
    yield name
    drop_postgres_database(name)


def new_postgres_database(template: str) -> str:
    name = f"enrichment_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_postgres_database(name: str) -> None:
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """The same test, once on a SQLite file and once on the local PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
        return
    name = new_postgres_database(request.getfixturevalue("postgres_template"))
    try:
        yield f"postgresql+psycopg://{POSTGRES_HOST}/{name}"
    finally:
        drop_postgres_database(name)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """For tests about behaviour, not storage: one backend is enough."""
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()
