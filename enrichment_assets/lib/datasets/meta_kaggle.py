"""Meta Kaggle's `Datasets.csv` joined to `DatasetVersions.csv`, streamed.

The dump's traps (docs/datasets.md, "Meta Kaggle") and what this reader does about each:
- columns drift between vintages (ReviewDate/FeatureDate gone, Medal added): every column is
  looked up by name in the header; missing optional ones read as empty, extra ones are ignored;
- US dates `MM/DD/YYYY HH:MM:SS` (or date only), no zone: parsed by position, taken as UTC;
- nullable integer ids (OwnerUserId xor OwnerOrganizationId, CurrentDatasourceVersionId…):
  kept as strings until used, never floats; a dataset without a current version joins to its
  highest version instead;
- multi-line quoted descriptions with `""` escapes: Python's csv module with a raised field
  limit, never line splitting;
- files of hundreds of MB: Datasets.csv is read first and only the small columns are kept, then
  DatasetVersions.csv streams past and each joined dataset is yielded at once.

A row that cannot be read (wrong field count, an id that is not an integer, a csv error) is
quarantined with the line it starts on and the reason; every other row lands.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from enrichment_assets.lib.datasets.records import (
    KAGGLE,
    DatasetRecord,
    as_int,
    clean_text,
    strip_text,
)

DATASETS_FILE = "Datasets.csv"
VERSIONS_FILE = "DatasetVersions.csv"
USERS_FILE = "Users.csv"
ORGANIZATIONS_FILE = "Organizations.csv"
KAGGLE_DATASET_URL = "https://www.kaggle.com/datasets/{ref}"
QUARANTINE_SOURCE = "meta_kaggle"
_RAW_KEPT = 2000  # characters of a quarantined row kept for the operator

# The columns read, by name (any order, any vintage).
DATASET_COLUMNS = (
    "Id",
    "OwnerUserId",
    "OwnerOrganizationId",
    "CurrentDatasetVersionId",
    "CreationDate",
    "LastActivityDate",
    "TotalViews",
    "TotalDownloads",
    "TotalVotes",
    "TotalKernels",
    "Medal",
)
VERSION_COLUMNS = (
    "Id",
    "DatasetId",
    "LicenseName",
    "CreationDate",
    "VersionNumber",
    "Title",
    "Slug",
    "Subtitle",
    "Description",
    "TotalUncompressedBytes",
)
(V_ID, V_DATASET, V_LICENSE, V_CREATED, V_NUMBER, V_TITLE, V_SLUG, V_SUBTITLE, V_DESCRIPTION,
 V_BYTES) = range(len(VERSION_COLUMNS))  # fmt: skip

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # descriptions run to megabytes


@dataclass(slots=True)
class QuarantinedRow:
    file: str
    line: int
    reason: str
    raw: str | None = None


class MetaKaggleError(ValueError):
    """The dump cannot be read at all (a file or a required column is missing)."""


class CarefulReadNeeded(Exception):
    """The dump has something only the line-by-line reader handles right (the fast reader,
    `meta_kaggle_arrow`, raises it; `jobs.seed_meta_kaggle` then hands the dump over)."""


def parse_us_datetime(value: str | None) -> datetime | None:
    """`01/18/2016 23:22:08`, `1/8/2016 3:22:08`, `01/18/2016` or ISO, as UTC; None if empty
    or unparseable (the DuckDB pipeline over the dump also meets rows that match no format)."""
    if not value:
        return None
    if len(value) == 10:  # date only: few distinct values in a dump, so remembered
        return _parse_date_only(value)
    if len(value) == 19 and value[2] == "/" and value[5] == "/" and value[10] == " ":
        try:  # the common layout, rearranged for the C ISO parser
            return datetime.fromisoformat(
                f"{value[6:10]}-{value[0:2]}-{value[3:5]}T{value[11:]}+00:00"
            )
        except ValueError:
            return None
    return _parse_other(value)


@lru_cache(maxsize=65536)
def _parse_date_only(value: str) -> datetime | None:
    return _parse_other(value)


def _parse_other(value: str) -> datetime | None:
    value = value.strip()
    for layout in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


class _Columns:
    """Positions of the wanted columns in one file's header, by name."""

    def __init__(self, file: str, header: list[str], required: Iterable[str]) -> None:
        self.width = len(header)
        self.index = {name.strip().lstrip("\ufeff"): i for i, name in enumerate(header)}
        missing = [name for name in required if name not in self.index]
        if missing:
            raise MetaKaggleError(f"{file}: required column(s) {', '.join(missing)} missing")

    def picker(self, names: tuple[str, ...]):
        """row -> the values of `names`, in order, in one call; a missing column reads ""."""
        positions = [self.index.get(name) for name in names]
        if all(position is not None for position in positions):
            return itemgetter(*positions)
        return lambda row: tuple("" if p is None else row[p] for p in positions)


class MetaKaggleDump:
    """A Meta Kaggle folder being read: its files, and what the reading counted and
    quarantined. The two readers (this module's and `meta_kaggle_arrow`'s) share it."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.quarantined: list[QuarantinedRow] = []
        self.counts = {
            "datasets_read": 0,
            "versions_read": 0,
            "joined": 0,
            "without_version": 0,
            "without_owner": 0,
            "unparsed_dates": 0,
        }

    def _path(self, name: str, required: bool = True) -> Path | None:
        path = self.directory / name
        if path.is_file():
            return path
        if required:
            raise MetaKaggleError(f"{name} not found in META_KAGGLE_DIR ({self.directory})")
        return None


class MetaKaggleReader(MetaKaggleDump):
    """The careful reader, row by row. Iterate `records()` once; `quarantined` and `counts`
    fill as it goes."""

    # -- files ------------------------------------------------------------------------------
    def _table(
        self, path: Path, required: Iterable[str]
    ) -> tuple[_Columns, Iterator[tuple[int, list[str]]]]:
        """The header's columns, and (first line of the record, fields) for every well-formed
        row; the rest quarantined."""
        handle = path.open(newline="", encoding="utf-8", errors="replace")
        reader = csv.reader(handle)
        try:
            header = next(reader)
            columns = _Columns(path.name, header, required)
        except StopIteration:
            handle.close()
            raise MetaKaggleError(f"{path.name} is empty") from None
        except MetaKaggleError:
            handle.close()
            raise
        return columns, self._records_of(handle, reader, path.name, columns.width)

    def _records_of(self, handle, reader, name: str, width: int):
        with handle:
            last_line = reader.line_num
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    self._quarantine(name, last_line + 1, f"unreadable CSV: {error}")
                    if reader.line_num == last_line:  # no progress: give up on this file
                        return
                    last_line = reader.line_num
                    continue
                start, last_line = last_line + 1, reader.line_num
                if len(row) != width:
                    if not row:  # a blank line, not a record
                        continue
                    self._quarantine(
                        name, start, f"expected {width} fields, found {len(row)}", ",".join(row)
                    )
                    continue
                yield start, row

    def _quarantine(self, file: str, line: int, reason: str, raw: str | None = None) -> None:
        self.quarantined.append(QuarantinedRow(file, line, reason, raw[:_RAW_KEPT] if raw else raw))

    # -- the join ---------------------------------------------------------------------------
    def records(self) -> Iterator[DatasetRecord]:
        datasets_path = self._path(DATASETS_FILE)
        versions_path = self._path(VERSIONS_FILE)

        # 1. Datasets.csv: the small columns of every dataset, keyed by its current version.
        by_version: dict[int, tuple] = {}
        without_current: dict[int, tuple] = {}
        owner_users: set[str] = set()
        owner_orgs: set[str] = set()
        columns, rows = self._table(datasets_path, ("Id", "CurrentDatasetVersionId"))
        pick = columns.picker(DATASET_COLUMNS)
        for line, row in rows:
            (raw_id, user, org, version_raw, *rest) = pick(row)
            dataset_id = as_int(raw_id)
            version_id = as_int(version_raw)
            if dataset_id is None or (version_raw and version_id is None):
                bad, value = (
                    ("Id", raw_id)
                    if dataset_id is None
                    else ("CurrentDatasetVersionId", version_raw)
                )
                self._quarantine(
                    DATASETS_FILE, line, f"{bad} is not an integer: {value!r}", ",".join(row)
                )
                continue
            if org:
                owner_orgs.add(org)
            elif user:
                owner_users.add(user)
            small = (dataset_id, user, org, *rest)
            if version_id is None:
                without_current[dataset_id] = small
            else:
                by_version[version_id] = small
            self.counts["datasets_read"] += 1

        # 2. Owner slugs, if the dump's Users.csv / Organizations.csv are there.
        users = self._names(USERS_FILE, "UserName", owner_users)
        orgs = self._names(ORGANIZATIONS_FILE, "Slug", owner_orgs)

        # 3. DatasetVersions.csv streams past; each current version completes one dataset.
        fallback: dict[int, tuple[int, tuple]] = {}  # dataset id -> (version number, version)
        columns, rows = self._table(versions_path, ("Id", "DatasetId", "Title", "Slug"))
        pick = columns.picker(VERSION_COLUMNS)
        for line, row in rows:
            version = pick(row)
            version_id = as_int(version[V_ID])
            if version_id is None:
                self._quarantine(
                    VERSIONS_FILE,
                    line,
                    f"Id is not an integer: {version[V_ID]!r}",
                    ",".join(row),
                )
                continue
            self.counts["versions_read"] += 1
            small = by_version.pop(version_id, None)
            if small is not None:
                yield self._record(small, version, users, orgs)
                continue
            dataset_id = as_int(version[V_DATASET])
            if dataset_id in without_current:
                number = as_int(version[V_NUMBER]) or 0
                if dataset_id not in fallback or number >= fallback[dataset_id][0]:
                    fallback[dataset_id] = (number, version)

        # 4. Datasets whose version never showed up still exist: land them without a title.
        for dataset_id, small in without_current.items():
            version = fallback.get(dataset_id, (0, None))[1]
            yield self._record(small, version, users, orgs)
        for small in by_version.values():
            yield self._record(small, None, users, orgs)

    def _names(self, file: str, column: str, wanted: set[str]) -> dict[str, str]:
        path = self._path(file, required=False)
        if path is None or not wanted:
            return {}
        found: dict[str, str] = {}
        columns, rows = self._table(path, ("Id", column))
        pick = columns.picker(("Id", column))
        for _line, row in rows:
            identifier, name = pick(row)
            if identifier in wanted:
                found[identifier] = name
        return found

    def _record(
        self,
        small: tuple,
        version: tuple | None,
        users: dict[str, str],
        orgs: dict[str, str],
    ) -> DatasetRecord:
        (dataset_id, user, org, created, activity, views, downloads, votes, kernels, medal) = small
        owner = orgs.get(org) if org else users.get(user) if user else None
        slug = version[V_SLUG] if version is not None else None
        ref = f"{owner}/{slug}" if owner and slug else None
        if version is None:
            self.counts["without_version"] += 1
        else:
            self.counts["joined"] += 1
        if owner is None:
            self.counts["without_owner"] += 1
        created_at = parse_us_datetime(created)
        active_at = parse_us_datetime(activity)
        if (created and created_at is None) or (activity and active_at is None):
            self.counts["unparsed_dates"] += 1
        extra = {"views": as_int(views), "kernels": as_int(kernels)}
        if org:
            extra["owner_organization_id"] = as_int(org)
        elif user:
            extra["owner_user_id"] = as_int(user)
        if medal:
            extra["medal"] = as_int(medal)
        title = description = license_name = None
        if version is not None:
            modified_at = active_at or parse_us_datetime(version[V_CREATED])
            title = clean_text(version[V_TITLE])
            description = strip_text(version[V_DESCRIPTION])
            license_name = version[V_LICENSE] or None
            if version[V_SUBTITLE]:
                extra["subtitle"] = clean_text(version[V_SUBTITLE])
            extra["version_number"] = as_int(version[V_NUMBER])
            extra["total_bytes"] = as_int(version[V_BYTES])
        else:
            modified_at = active_at
        return DatasetRecord(
            source=KAGGLE,
            external_id=str(dataset_id),
            title=title,
            description=description,
            url=KAGGLE_DATASET_URL.format(ref=ref) if ref else None,
            owner=owner,
            license=license_name,
            downloads=as_int(downloads),
            likes=as_int(votes),
            source_created_at=created_at,
            source_modified_at=modified_at,
            ref=ref,
            extra={key: value for key, value in extra.items() if value is not None},
        )
