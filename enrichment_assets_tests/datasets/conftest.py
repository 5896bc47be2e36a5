"""Fixtures for the catalog tests: sample items, fake hubs on 127.0.0.1, Meta Kaggle folders."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from enrichment_assets import settings
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets_tests.fakes.hf_hub import FakeHub
from enrichment_assets_tests.fakes.kaggle_api import FakeKaggle

SAMPLE = settings.SAMPLE_DIR
DATASETS_HEADER = [
    "Id",
    "CreatorUserId",
    "OwnerUserId",
    "OwnerOrganizationId",
    "CurrentDatasetVersionId",
    "CurrentDatasourceVersionId",
    "ForumId",
    "Type",
    "CreationDate",
    "LastActivityDate",
    "TotalViews",
    "TotalDownloads",
    "TotalVotes",
    "TotalKernels",
    "Medal",
    "MedalAwardDate",
]
VERSIONS_HEADER = [
    "Id",
    "DatasetId",
    "DatasourceVersionId",
    "CreatorUserId",
    "LicenseName",
    "CreationDate",
    "VersionNumber",
    "Title",
    "Slug",
    "Subtitle",
    "Description",
    "VersionNotes",
    "TotalCompressedBytes",
    "TotalUncompressedBytes",
]


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


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def dataset_row(dataset_id, version_id, user="1", org="", activity="02/06/2018", **kw) -> list:
    values = {
        "Id": dataset_id,
        "CreatorUserId": user or "9",
        "OwnerUserId": user,
        "OwnerOrganizationId": org,
        "CurrentDatasetVersionId": version_id,
        "CurrentDatasourceVersionId": "",
        "ForumId": 1,
        "Type": 2,
        "CreationDate": "01/18/2016 23:22:08",
        "LastActivityDate": activity,
        "TotalViews": 10,
        "TotalDownloads": 5,
        "TotalVotes": 1,
        "TotalKernels": 0,
        "Medal": "",
        "MedalAwardDate": "",
    }
    values.update(kw)
    return [values[name] for name in DATASETS_HEADER]


def version_row(version_id, dataset_id, slug, title=None, description="d", number=1) -> list:
    values = {
        "Id": version_id,
        "DatasetId": dataset_id,
        "DatasourceVersionId": "",
        "CreatorUserId": 1,
        "LicenseName": "CC0: Public Domain",
        "CreationDate": "01/18/2016 23:22:08",
        "VersionNumber": number,
        "Title": title or slug.replace("-", " ").title(),
        "Slug": slug,
        "Subtitle": "",
        "Description": description,
        "VersionNotes": "",
        "TotalCompressedBytes": 1,
        "TotalUncompressedBytes": 2,
    }
    return [values[name] for name in VERSIONS_HEADER]
