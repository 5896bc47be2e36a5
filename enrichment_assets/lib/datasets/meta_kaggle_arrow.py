"""The fast way through a clean Meta Kaggle dump: Apache Arrow's CSV reader and compute kernels.

`MetaKaggleReader` (stdlib `csv`, one record at a time) is the careful reader: it knows the line
of every bad row. This one does the same join column by column: pyarrow parses each chunk of
whole records on every core, a binary search joins the versions to their datasets, Arrow
kernels parse the US dates and build the `extra` JSON and the text each content hash covers,
and Python touches a value only to clean text and hash a row. A seed costs half the CPU it
costs with the careful reader, but this one cannot say on which line a bad row starts, so it
checks before it yields:

    open_fast(directory) -> FastSeed    # Datasets.csv read and checked whole (it is small)
    FastSeed.batches() -> RecordColumns # DatasetVersions.csv streamed once, chunk by chunk

A row with the wrong field count, an id that is not an integer, an id seen twice, a header
with two columns of one name or text that is not UTF-8 raises CarefulReadNeeded before the
chunk that holds it is yielded; the caller (`jobs.seed_meta_kaggle`) then hands the dump to
the careful reader, which quarantines the bad rows by line and lands what was not written
yet. Both readers make the same records (same values, same `content_hash`); tests hold them
to that, across chunk boundaries and every case of the join.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from json.encoder import encode_basestring  # C-accelerated; what json.dumps does to a str
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from enrichment_assets.lib.datasets.meta_kaggle import (
    DATASET_COLUMNS,
    DATASETS_FILE,
    KAGGLE_DATASET_URL,
    ORGANIZATIONS_FILE,
    USERS_FILE,
    VERSION_COLUMNS,
    VERSIONS_FILE,
    MetaKaggleDump,
    MetaKaggleError,
    parse_us_datetime,
)
from enrichment_assets.lib.datasets.records import (
    CONTENT_SEPARATOR,
    KAGGLE,
    DatasetRecord,
    as_int,
    clean_text,
)

CHUNK_BYTES = 4 << 20  # whole records handed to Arrow at a time: ~6,000 versions
BLOCK_BYTES = 1 << 20  # Arrow parses a chunk's blocks on all cores
VERSIONS_REQUIRED = ("Id", "DatasetId", "Title", "Slug")
US_DATETIME = "%m/%d/%Y %H:%M:%S"
US_DATE = "%m/%d/%Y"


def _use_jemalloc() -> None:
    """Arrow's jemalloc pool, handing freed pages back at once (process-wide; nothing else
    here uses Arrow). With the default pool, which keeps them, the 200,000-dataset seed's peak
    RSS was 60 MB higher."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
        pass


class CarefulReadNeeded(Exception):
    """The dump has something only the line-by-line reader handles right."""


# -- one batch of records, as columns ------------------------------------------------------------
@dataclass
class RecordColumns:
    """Records of one batch, column by column: Python lists where Python reads them anyway,
    Arrow arrays for the times (SQLite wants them as text, PostgreSQL as datetimes)."""

    external_id: list[str]
    title: list[str | None]
    description: list[str | None]
    url: list[str | None]
    owner: list[str | None]
    license: list[str | None]
    downloads: list[int | None]
    likes: list[int | None]
    source_created_at: pa.Array  # timestamp[us, UTC]
    source_modified_at: pa.Array
    ref: list[str | None]
    extra: list[str]  # canonical JSON text
    content_hash: list[str]
    source: str = KAGGLE

    def __len__(self) -> int:
        return len(self.external_id)

    def slice(self, start: int, stop: int) -> RecordColumns:
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = value[start:stop]
            elif isinstance(value, pa.Array):
                values[name] = value.slice(start, stop - start)
        return RecordColumns(**values)

    @staticmethod
    def concat(parts: list[RecordColumns]) -> RecordColumns:
        if len(parts) == 1:
            return parts[0]
        values = {field.name: getattr(parts[0], field.name) for field in fields(parts[0])}
        for name, value in values.items():
            if isinstance(value, list):
                values[name] = [item for part in parts for item in getattr(part, name)]
            elif isinstance(value, pa.Array):
                values[name] = pa.concat_arrays([getattr(part, name) for part in parts])
        return RecordColumns(**values)

    def times_as_text(self, name: str) -> list[str | None]:
        """SQLAlchemy's SQLite storage of a DateTime: `YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC."""
        # Cast, not strftime (16 times slower): a naive timestamp prints in exactly this form.
        return pc.cast(getattr(self, name), pa.timestamp("us")).cast(pa.string()).to_pylist()

    def newest_modified(self) -> datetime | None:
        return pc.max(self.source_modified_at).as_py()

    def record(self, i: int) -> DatasetRecord:
        return DatasetRecord(
            source=self.source,
            external_id=self.external_id[i],
            title=self.title[i],
            description=self.description[i],
            url=self.url[i],
            owner=self.owner[i],
            license=self.license[i],
            downloads=self.downloads[i],
            likes=self.likes[i],
            source_created_at=self.source_created_at[i].as_py(),
            source_modified_at=self.source_modified_at[i].as_py(),
            ref=self.ref[i],
            extra=json.loads(self.extra[i]),
        )


# -- reading -------------------------------------------------------------------------------------
def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        try:
            header = next(csv.reader(handle))
        except StopIteration:
            raise MetaKaggleError(f"{path.name} is empty") from None
    names = [name.strip().lstrip("\ufeff") for name in header]
    if len(set(names)) != len(names):
        raise CarefulReadNeeded(f"{path.name}: a column name appears twice in the header")
    return names


def _refuse_invalid_row(row) -> str:
    return "error"  # a row of the wrong width: the careful reader quarantines it by line


class _CsvFile:
    """One file of the dump: its header read by name, then its `wanted` columns as Arrow
    tables, one per chunk of whole records (see `_record_chunks`)."""

    def __init__(self, path: Path, wanted: tuple[str, ...], required: tuple[str, ...]) -> None:
        names = _header(path)
        missing = [name for name in required if name not in names]
        if missing:
            raise MetaKaggleError(f"{path.name}: required column(s) {', '.join(missing)} missing")
        present = [name for name in wanted if name in names]
        self.path, self.wanted = path, wanted
        self._read = pa_csv.ReadOptions(column_names=names, block_size=BLOCK_BYTES)
        self._parse = pa_csv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=_refuse_invalid_row
        )
        self._convert = pa_csv.ConvertOptions(
            include_columns=present,
            column_types=dict.fromkeys(present, pa.string()),
            # Bytes that are not UTF-8 in a column read: the careful reader's (it replaces
            # them). Elsewhere in a row they change nothing either reader makes.
            check_utf8=True,
        )

    def tables(self) -> Iterator[pa.Table]:
        for chunk in _record_chunks(self.path):
            try:
                table = pa_csv.read_csv(
                    pa.py_buffer(chunk),
                    read_options=self._read,
                    parse_options=self._parse,
                    convert_options=self._convert,
                )
            except pa.ArrowInvalid as error:
                # Arrow quotes the offending row: kept short for the log.
                raise CarefulReadNeeded(f"{self.path.name}: {str(error)[:200]}") from None
            yield _with_missing(table, self.wanted)

    def read_all(self) -> pa.Table:
        """The wanted columns of the whole file."""
        tables = list(self.tables())
        if not tables:
            return _with_missing(pa.table({}), self.wanted)
        return pa.concat_tables(tables)


def _record_chunks(path: Path) -> Iterator[bytes]:
    """The file after its header record, in pieces of about CHUNK_BYTES that end where a record
    ends: at a newline with an even number of quote characters before it (a quoted field's own
    quotes come in pairs). Arrow's streaming reader would read ahead 32 blocks of its own
    accord (128 MB at 4 MB a block); pieces handed over one by one bound what is held."""
    with path.open("rb") as handle:
        buffer, header_done = b"", False
        while True:
            block = handle.read(CHUNK_BYTES)
            buffer += block
            if not header_done:
                start = _first_record_end(buffer)
                if start is None and block:
                    continue
                buffer, header_done = buffer[start or len(buffer) :], True
            cut = _last_record_end(buffer) if block else len(buffer)
            if cut:
                piece, buffer = buffer[:cut], buffer[cut:]
                yield piece
            if not block:
                return


def _first_record_end(data: bytes) -> int | None:
    position = 0
    while (newline := data.find(b"\n", position)) >= 0:
        if data.count(b'"', 0, newline) % 2 == 0:
            return newline + 1
        position = newline + 1
    return None


def _last_record_end(data: bytes) -> int | None:
    quotes, end = data.count(b'"'), len(data)
    while (newline := data.rfind(b"\n", 0, end)) >= 0:
        quotes -= data.count(b'"', newline, end)
        if quotes % 2 == 0:
            return newline + 1
        end = newline
    return None


def _with_missing(table: pa.Table, wanted: tuple[str, ...]) -> pa.Table:
    """Columns an older or newer dump lacks read as empty, as in the careful reader."""
    for name in wanted:
        if name not in table.column_names:
            table = table.append_column(name, pa.array([""] * table.num_rows, pa.string()))
    return table.select(list(wanted))


def _plain_ints(column, file: str, name: str, allow_empty: bool) -> pa.Array:
    """An id column as int64 ("" as null where allowed). Arrow's cast takes a subset of what
    `int()` takes, with the same value; anything else is for the careful reader."""
    values = pc.if_else(pc.equal(column, ""), None, column)
    if not allow_empty and values.null_count:
        raise CarefulReadNeeded(f"{file}: a row without {name}")
    try:
        return pc.cast(values, pa.int64())
    except pa.ArrowInvalid:
        raise CarefulReadNeeded(f"{file}: a {name} that is not an integer") from None


def _ints(column) -> pa.Array:
    """A counter column as int64 with `as_int`'s rules: empty -> null, "1.0" -> 1, junk -> null
    (a column with any such value goes through `as_int` itself)."""
    try:
        return pc.cast(pc.if_else(pc.equal(column, ""), None, column), pa.int64())
    except pa.ArrowInvalid:
        return pa.array([as_int(text) for text in column.to_pylist()], pa.int64())


def _has_duplicates(ids: pa.Array) -> bool:
    present = ids.drop_null()
    return pc.count_distinct(present).as_py() != len(present)


def _times(column) -> pa.Array:
    """US datetimes as timestamp[us, UTC]; the layouts strptime misses (date only, ISO) go
    through `parse_us_datetime`, one value at a time."""
    parsed = pc.strptime(column, format=US_DATETIME, unit="us", error_is_null=True)
    missed = pc.and_(pc.is_null(parsed), pc.not_equal(column, ""))
    if pc.any(missed).as_py():  # dates without a time, as LastActivityDate often is
        by_day = pc.strptime(column, format=US_DATE, unit="us", error_is_null=True)
        parsed = pc.coalesce(parsed, pc.if_else(pc.equal(pc.utf8_length(column), 10), by_day, None))
        missed = pc.and_(pc.is_null(parsed), pc.not_equal(column, ""))
    if pc.any(missed).as_py():
        values = [
            parse_us_datetime(text) if was_missed else value
            for text, value, was_missed in zip(
                column.to_pylist(), parsed.to_pylist(), missed.to_pylist(), strict=True
            )
        ]
        naive_utc = [value.replace(tzinfo=None) if value else None for value in values]
        parsed = pa.array(naive_utc, pa.timestamp("us"))
    return pc.assume_timezone(parsed, "UTC")


def _unparsed(text: pa.Array, parsed: pa.Array) -> pa.Array:
    return pc.and_(pc.is_null(parsed), pc.not_equal(text, ""))


def _json_field(key: str, values: pa.Array) -> pa.Array:
    """`"key":value` where value is set, null elsewhere (dropped from the object)."""
    return pc.binary_join_element_wise(f'"{key}":', pc.cast(values, pa.string()), "")


class FastSeed(MetaKaggleDump):
    """A dump read column-wise. Datasets.csv (small) is read and checked whole when this is
    made; `batches()` then streams DatasetVersions.csv once, checking each chunk before any of
    it is yielded, and raises CarefulReadNeeded at the first thing only the careful reader
    handles. `counts` fill as in the careful reader."""

    def __init__(self, directory: Path | str) -> None:
        super().__init__(directory)  # quarantined stays empty: bad rows go the careful way
        _use_jemalloc()
        self._versions_path = self._path(VERSIONS_FILE)
        datasets = _CsvFile(
            self._path(DATASETS_FILE), DATASET_COLUMNS, ("Id", "CurrentDatasetVersionId")
        ).read_all()
        dataset_ids = _plain_ints(datasets["Id"], DATASETS_FILE, "Id", allow_empty=False)
        current = _plain_ints(
            datasets["CurrentDatasetVersionId"], DATASETS_FILE, "CurrentDatasetVersionId", True
        )
        if _has_duplicates(dataset_ids) or _has_duplicates(current):
            raise CarefulReadNeeded(f"{DATASETS_FILE}: an id appears twice")
        self._datasets = datasets.set_column(0, "Id", dataset_ids)
        self.counts["datasets_read"] = len(dataset_ids)
        self._owners = self._owner_names(datasets)
        # The join: current version ids, sorted, for a binary search per chunk (no hash set
        # rebuilt for every chunk), and the row of Datasets.csv each one completes.
        has_current = pc.is_valid(current).to_numpy(zero_copy_only=False)
        versions = current.to_numpy(zero_copy_only=False)[has_current].astype(np.int64)
        order = np.argsort(versions, kind="stable")
        self._key_versions = versions[order]
        self._key_rows = np.flatnonzero(has_current)[order]
        self._key_seen = np.zeros(len(order), dtype=np.int8)
        # Datasets without a current version: their highest-numbered version, as the careful
        # reader picks it (ties: the later line).
        self._orphans = dict(
            zip(
                dataset_ids.to_numpy()[~has_current].tolist(),
                np.flatnonzero(~has_current).tolist(),
                strict=True,
            )
        )
        self._orphan_best: dict[int, tuple[int, pa.Table]] = {}

    def _owner_names(self, datasets: pa.Table) -> tuple[dict[str, str], dict[str, str]]:
        orgs, users = datasets["OwnerOrganizationId"], datasets["OwnerUserId"]
        wanted_orgs = pc.unique(pc.filter(orgs, pc.not_equal(orgs, "")))
        wanted_users = pc.unique(
            pc.filter(users, pc.and_(pc.equal(orgs, ""), pc.not_equal(users, "")))
        )
        return (
            self._names(USERS_FILE, "UserName", wanted_users),
            self._names(ORGANIZATIONS_FILE, "Slug", wanted_orgs),
        )

    def _names(self, file: str, column: str, wanted: pa.Array) -> dict[str, str]:
        path = self._path(file, required=False)
        if path is None or len(wanted) == 0:
            return {}
        table = _CsvFile(path, ("Id", column), ("Id", column)).read_all()
        table = table.filter(pc.is_in(table["Id"], value_set=wanted))
        return dict(zip(table["Id"].to_pylist(), table[column].to_pylist(), strict=True))

    def batches(self) -> Iterator[RecordColumns]:
        versions_file = _CsvFile(self._versions_path, VERSION_COLUMNS, VERSIONS_REQUIRED)
        for versions in versions_file.tables():
            ids = _plain_ints(versions["Id"], VERSIONS_FILE, "Id", allow_empty=False)
            dataset_ids = _plain_ints(versions["DatasetId"], VERSIONS_FILE, "DatasetId", True)
            self.counts["versions_read"] += len(ids)
            ids = ids.to_numpy()
            found = np.searchsorted(self._key_versions, ids).clip(max=len(self._key_versions) - 1)
            hit = self._key_versions[found] == ids if len(self._key_versions) else ids < 0
            if self._orphans:
                self._consider_for_orphans(versions, dataset_ids, ~hit)
            if not hit.any():
                continue
            np.add.at(self._key_seen, found[hit], 1)
            if self._key_seen.max() > 1:
                raise CarefulReadNeeded(f"{VERSIONS_FILE}: a version Id appears twice")
            rows = pa.array(self._key_rows[found[hit]])
            yield self._columns(self._datasets.take(rows), versions.filter(pa.array(hit)))
        # Orphans with a version of their own, then every dataset still without one: it exists
        # all the same, and lands without a title.
        for dataset_id, (_number, version) in self._orphan_best.items():
            row = self._orphans.pop(dataset_id)
            yield self._columns(self._datasets.take(pa.array([row])), version)
        unjoined = np.concatenate(
            [self._key_rows[self._key_seen == 0], np.array(list(self._orphans.values()), int)]
        )
        if len(unjoined):
            yield self._columns(self._datasets.take(pa.array(np.sort(unjoined))), None)

    def _consider_for_orphans(self, versions: pa.Table, dataset_ids: pa.Array, free) -> None:
        """Versions that are no dataset's current one, of a dataset that has none: keep the
        highest-numbered per dataset (a later line wins a tie)."""
        ids = pc.fill_null(dataset_ids, -1).to_numpy()
        wanted = free & np.isin(ids, np.fromiter(self._orphans, np.int64, len(self._orphans)))
        for i in np.flatnonzero(wanted).tolist():
            dataset_id = int(ids[i])
            number = as_int(versions["VersionNumber"][i].as_py()) or 0
            best = self._orphan_best.get(dataset_id)
            if best is None or number >= best[0]:
                self._orphan_best[dataset_id] = (number, versions.slice(i, 1))

    def _columns(self, datasets: pa.Table, versions: pa.Table | None) -> RecordColumns:
        count = datasets.num_rows
        created = _times(datasets["CreationDate"])
        active = _times(datasets["LastActivityDate"])
        unparsed = pc.or_(
            _unparsed(datasets["CreationDate"], created),
            _unparsed(datasets["LastActivityDate"], active),
        )
        self.counts["unparsed_dates"] += pc.sum(pc.cast(unparsed, pa.int64())).as_py() or 0
        # The keys of `extra`, in the careful reader's order; a null drops its key.
        has_org = pc.not_equal(datasets["OwnerOrganizationId"], "")
        org_id = pc.if_else(has_org, _ints(datasets["OwnerOrganizationId"]), None)
        user_id = pc.if_else(has_org, None, _ints(datasets["OwnerUserId"]))
        extra_fields = [
            _json_field("views", _ints(datasets["TotalViews"])),
            _json_field("kernels", _ints(datasets["TotalKernels"])),
            _json_field("owner_organization_id", org_id),
            _json_field("owner_user_id", user_id),
            _json_field("medal", _ints(datasets["Medal"])),
        ]
        owner = self._owner(datasets, has_org)
        if versions is None:
            self.counts["without_version"] += count
            slug = title = description = license_name = pa.nulls(count, pa.string())
            modified = active
        else:
            self.counts["joined"] += count
            slug = _none_if_empty(versions["Slug"])
            title = _cleaned(versions["Title"])
            description = _none_if_empty(pc.utf8_trim(versions["Description"], PY_WHITESPACE))
            license_name = _none_if_empty(versions["LicenseName"])
            modified = pc.coalesce(active, _times(versions["CreationDate"]))
            extra_fields += [
                _json_field("subtitle", _json_strings(_cleaned(versions["Subtitle"]))),
                _json_field("version_number", _ints(versions["VersionNumber"])),
                _json_field("total_bytes", _ints(versions["TotalUncompressedBytes"])),
            ]
        self.counts["without_owner"] += owner.null_count
        ref = pc.binary_join_element_wise(_none_if_empty(owner), slug, "/")
        url = pc.binary_join_element_wise(_URL_PREFIX, ref, "")
        body = pc.binary_join_element_wise(*extra_fields, ",", null_handling="skip")
        extra = pc.binary_join_element_wise("{", body, "}", "")
        downloads, likes = _ints(datasets["TotalDownloads"]), _ints(datasets["TotalVotes"])
        hash_texts = pc.binary_join_element_wise(
            *(pc.fill_null(text, "") for text in (title, description, url, owner, license_name)),
            "",  # tags: a dump has none
            _number_text(downloads),
            _number_text(likes),
            _number_text(pc.cast(created, pa.int64())),
            _number_text(pc.cast(modified, pa.int64())),
            pc.fill_null(ref, ""),
            extra,
            CONTENT_SEPARATOR,
        )
        sha256 = hashlib.sha256
        return RecordColumns(
            external_id=pc.cast(datasets["Id"], pa.string()).to_pylist(),
            title=title.to_pylist(),
            description=description.to_pylist(),
            url=url.to_pylist(),
            owner=owner.to_pylist(),
            license=license_name.to_pylist(),
            downloads=downloads.to_pylist(),
            likes=likes.to_pylist(),
            source_created_at=_flat(created),
            source_modified_at=_flat(modified),
            ref=ref.to_pylist(),
            extra=extra.to_pylist(),
            # `DatasetRecord.content_hash` for every row: the same text, joined in C++.
            content_hash=[
                sha256(text).hexdigest() for text in pc.cast(hash_texts, pa.binary()).to_pylist()
            ],
        )

    def _owner(self, datasets: pa.Table, has_org: pa.Array) -> pa.Array:
        """The organisation's slug for an organisation's dataset, else the user's name; null
        where the dump's Users.csv / Organizations.csv do not say."""
        users, orgs = self._owners
        by_org = _lookup(datasets["OwnerOrganizationId"], orgs)
        by_user = _lookup(datasets["OwnerUserId"], users)
        has_user = pc.not_equal(datasets["OwnerUserId"], "")
        return pc.if_else(has_org, by_org, pc.if_else(has_user, by_user, None))


# Python's `str.isspace` characters: what `str.strip()` removes, for Arrow's `utf8_trim`.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_URL_PREFIX = KAGGLE_DATASET_URL.removesuffix("{ref}")
_NEEDS_JSON_ESCAPE = r'["\\\x00-\x1f]'


def _none_if_empty(text) -> pa.Array:
    return pc.if_else(pc.equal(text, ""), None, text)


def _cleaned(text) -> pa.Array:
    """`clean_text` on a column: the common case (no newline, tab or double space: only the
    ends to trim) in Arrow, the rest through `clean_text` itself."""
    laid_out = pc.or_(
        pc.or_(pc.match_substring(text, "\n"), pc.match_substring(text, "\t")),
        pc.match_substring(text, "  "),
    )
    trimmed = _none_if_empty(pc.utf8_trim(text, PY_WHITESPACE))
    if not pc.any(laid_out).as_py():
        return _flat(trimmed)
    return pa.array(
        [
            clean_text(raw) if is_laid_out else value
            for raw, value, is_laid_out in zip(
                text.to_pylist(), trimmed.to_pylist(), laid_out.to_pylist(), strict=True
            )
        ],
        pa.string(),
    )


def _json_strings(text: pa.Array) -> pa.Array:
    """Each string as a JSON string literal, as `json.dumps(..., ensure_ascii=False)` writes
    it: quoted in Arrow, or through the json module's own encoder where something needs an
    escape (a quote, a backslash, a control character)."""
    escape = pc.fill_null(pc.match_substring_regex(text, _NEEDS_JSON_ESCAPE), False)
    quoted = pc.binary_join_element_wise('"', text, '"', "")
    if not pc.any(escape).as_py():
        return quoted
    return pa.array(
        [
            encode_basestring(raw) if needs else value
            for raw, value, needs in zip(
                text.to_pylist(), quoted.to_pylist(), escape.to_pylist(), strict=True
            )
        ],
        pa.string(),
    )


def _lookup(keys, names: dict[str, str]) -> pa.Array:
    if not names:
        return pa.nulls(len(keys), pa.string())
    position = pc.index_in(keys, value_set=pa.array(list(names), pa.string()))
    return pc.take(pa.array(list(names.values()), pa.string()), position)


def _number_text(values: pa.Array) -> pa.Array:
    return pc.fill_null(pc.cast(values, pa.string()), "")


def rebatch(batches: Iterator[RecordColumns], size: int) -> Iterator[RecordColumns]:
    """The same records in batches of `size` (the last one shorter): one transaction each."""
    held: list[RecordColumns] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += len(batch)
        while count >= size:
            joined = RecordColumns.concat(held)
            yield joined.slice(0, size)
            rest = joined.slice(size, len(joined))
            held, count = ([rest] if len(rest) else []), len(rest)
    if count:
        yield RecordColumns.concat(held)


def open_fast(directory: Path | str) -> FastSeed:
    """Datasets.csv read and checked, the join planned; raises CarefulReadNeeded (a bad row in
    Datasets.csv, Users.csv or Organizations.csv) or MetaKaggleError (a file or column missing)."""
    return FastSeed(directory)


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
