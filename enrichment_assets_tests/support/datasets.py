"""Meta Kaggle CSV files in the real layout (Datasets.csv, DatasetVersions.csv), written by the
catalog tests and bench/catalog.py."""

from __future__ import annotations

import csv
from pathlib import Path

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
