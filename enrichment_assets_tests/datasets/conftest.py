"""Fixtures for the catalog tests: sample items, fake hubs on 127.0.0.1, a database resource."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator

import pytest

from enrichment_assets import settings
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets_tests.fakes.hf_hub import FakeHub
from enrichment_assets_tests.fakes.kaggle_api import FakeKaggle

SAMPLE = settings.SAMPLE_DIR


@pytest.fixture
def hf_items() -> list[dict]:
    return json.loads((SAMPLE / "huggingface" / "datasets.json").read_text(encoding="utf-8"))


@pytest.fixture
def kaggle_items() -> list[dict]:
    body = json.loads((SAMPLE / "kaggle" / "datasets.json").read_text(encoding="utf-8"))
    return copy.deepcopy(body["datasets"])


@pytest.fixture
def fake_hub(hf_items) -> Iterator[FakeHub]:
    with FakeHub(hf_items, page_size=3) as hub:
        yield hub


@pytest.fixture
def fake_kaggle(kaggle_items) -> Iterator[FakeKaggle]:
    with FakeKaggle(kaggle_items, credentials=("tester", "secret-key-123")) as server:
        yield server


@pytest.fixture
def db(database_url) -> DatabaseResource:
    return DatabaseResource(url=database_url)
