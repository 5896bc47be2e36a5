"""Fixtures for enrichment tests: the fake Groq server, an app database, a Groq-configured env."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets_tests.fakes.groq_server import API_KEY, FakeGroqServer


@pytest.fixture
def groq_server() -> Iterator[FakeGroqServer]:
    with FakeGroqServer() as server:
        yield server


@pytest.fixture
def groq_env(monkeypatch, groq_server) -> FakeGroqServer:
    """LLM_PROVIDER=groq against the fake, with limits generous enough not to slow tests."""
    monkeypatch.setenv("LLM_PROVIDER", "groq")
    monkeypatch.setenv("GROQ_API_KEY", API_KEY)
    monkeypatch.setenv("GROQ_BASE_URL", groq_server.base_url)
    monkeypatch.setenv("ENRICHMENT_RATE_LIMIT", "6000")
    monkeypatch.setenv("ENRICHMENT_TOKENS_PER_MINUTE", "0")
    monkeypatch.setenv("LLM_DAILY_BUDGET_USD", "0")
    return groq_server


@pytest.fixture
def sqlite_engine(sqlite_url):
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_enrichment_environment(monkeypatch) -> None:
    """Settings of this capability that the root conftest does not know about."""
    for name in ("LLM_PRICES", "ENRICHMENT_ERROR_RATE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
