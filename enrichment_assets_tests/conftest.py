"""Shared fixtures: a fresh database on SQLite and on the local PostgreSQL, a clean environment.

PostgreSQL is never skipped: `make test` starts it (`make test-fast` deselects its tests by the
`postgres` marker). Each test gets its own PostgreSQL database,
cloned from a template migrated once per session, so tests are isolated and fast.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from enrichment_assets import settings
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets_tests.support.databases import (
    POSTGRES_HOST,
    create_migrated_database,
    drop_postgres_database,
    new_postgres_database,
)
from enrichment_assets_tests.support.environment import PROJECT_ENVIRONMENT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in PROJECT_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(settings, "ENV_FILE", None)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    # Kaggle clients read ~/.kaggle; a test must never see a real one.
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated to head, cloned by every PostgreSQL test."""
    name = create_migrated_database()
    yield name
    drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
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
