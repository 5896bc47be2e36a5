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

This module is the join; the chunked reading of one file is `meta_kaggle_csv`, the column
kernels are `meta_kaggle_kernels`, and the batch it yields is `record_columns.RecordColumns`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from enrichment_assets.lib.datasets import meta_kaggle_kernels as kernels
from enrichment_assets.lib.datasets.meta_kaggle import (
    DATASET_COLUMNS,
    DATASETS_FILE,
    KAGGLE_DATASET_URL,
    ORGANIZATIONS_FILE,
    USERS_FILE,
    VERSION_COLUMNS,
    VERSIONS_FILE,
    CarefulReadNeeded,
    MetaKaggleDump,
)
from enrichment_assets.lib.datasets.meta_kaggle_csv import CsvFile
from enrichment_assets.lib.datasets.record_columns import RecordColumns
from enrichment_assets.lib.datasets.records import CONTENT_SEPARATOR, as_int

VERSIONS_REQUIRED = ("Id", "DatasetId", "Title", "Slug")


def _use_jemalloc() -> None:
    """Arrow's jemalloc pool, handing freed pages back at once (process-wide; nothing else
    here uses Arrow). With the default pool, which keeps them, the 200,000-dataset seed's peak
    RSS was 60 MB higher."""
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
        pass


_URL_PREFIX = KAGGLE_DATASET_URL.removesuffix("{ref}")


class FastSeed(MetaKaggleDump):
    """A dump read column-wise. Datasets.csv (small) is read and checked whole when this is
    made; `batches()` then streams DatasetVersions.csv once, checking each chunk before any of
    it is yielded, and raises CarefulReadNeeded at the first thing only the careful reader
    handles. `counts` fill as in the careful reader."""

    def __init__(self, directory: Path | str) -> None:
        super().__init__(directory)  # quarantined stays empty: bad rows go the careful way
        _use_jemalloc()
        self._versions_path = self._path(VERSIONS_FILE)
        datasets = CsvFile(
            self._path(DATASETS_FILE), DATASET_COLUMNS, ("Id", "CurrentDatasetVersionId")
        ).read_all()
        dataset_ids = kernels.plain_ints(datasets["Id"], DATASETS_FILE, "Id", allow_empty=False)
        current = kernels.plain_ints(
            datasets["CurrentDatasetVersionId"], DATASETS_FILE, "CurrentDatasetVersionId", True
        )
        if kernels.has_duplicates(dataset_ids) or kernels.has_duplicates(current):
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
        table = CsvFile(path, ("Id", column), ("Id", column)).read_all()
        table = table.filter(pc.is_in(table["Id"], value_set=wanted))
        return dict(zip(table["Id"].to_pylist(), table[column].to_pylist(), strict=True))

    def batches(self) -> Iterator[RecordColumns]:
        versions_file = CsvFile(self._versions_path, VERSION_COLUMNS, VERSIONS_REQUIRED)
        for versions in versions_file.tables():
            ids = kernels.plain_ints(versions["Id"], VERSIONS_FILE, "Id", allow_empty=False)
            dataset_ids = kernels.plain_ints(
                versions["DatasetId"], VERSIONS_FILE, "DatasetId", True
            )
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
        created = kernels.times(datasets["CreationDate"])
        active = kernels.times(datasets["LastActivityDate"])
        unparsed = pc.or_(
            kernels.unparsed(datasets["CreationDate"], created),
            kernels.unparsed(datasets["LastActivityDate"], active),
        )
        self.counts["unparsed_dates"] += pc.sum(pc.cast(unparsed, pa.int64())).as_py() or 0
        # The keys of `extra`, in the careful reader's order; a null drops its key.
        has_org = pc.not_equal(datasets["OwnerOrganizationId"], "")
        org_id = pc.if_else(has_org, kernels.ints(datasets["OwnerOrganizationId"]), None)
        user_id = pc.if_else(has_org, None, kernels.ints(datasets["OwnerUserId"]))
        extra_fields = [
            kernels.json_field("views", kernels.ints(datasets["TotalViews"])),
            kernels.json_field("kernels", kernels.ints(datasets["TotalKernels"])),
            kernels.json_field("owner_organization_id", org_id),
            kernels.json_field("owner_user_id", user_id),
            kernels.json_field("medal", kernels.ints(datasets["Medal"])),
        ]
        owner = self._owner(datasets, has_org)
        if versions is None:
            self.counts["without_version"] += count
            slug = title = description = license_name = pa.nulls(count, pa.string())
            modified = active
        else:
            self.counts["joined"] += count
            slug = kernels.none_if_empty(versions["Slug"])
            title = kernels.cleaned(versions["Title"])
            description = kernels.none_if_empty(
                pc.utf8_trim(versions["Description"], kernels.PY_WHITESPACE)
            )
            license_name = kernels.none_if_empty(versions["LicenseName"])
            modified = pc.coalesce(active, kernels.times(versions["CreationDate"]))
            extra_fields += [
                kernels.json_field(
                    "subtitle", kernels.json_strings(kernels.cleaned(versions["Subtitle"]))
                ),
                kernels.json_field("version_number", kernels.ints(versions["VersionNumber"])),
                kernels.json_field("total_bytes", kernels.ints(versions["TotalUncompressedBytes"])),
            ]
        self.counts["without_owner"] += owner.null_count
        ref = pc.binary_join_element_wise(kernels.none_if_empty(owner), slug, "/")
        url = pc.binary_join_element_wise(_URL_PREFIX, ref, "")
        body = pc.binary_join_element_wise(*extra_fields, ",", null_handling="skip")
        extra = pc.binary_join_element_wise("{", body, "}", "")
        downloads, likes = (
            kernels.ints(datasets["TotalDownloads"]),
            kernels.ints(datasets["TotalVotes"]),
        )
        hash_texts = pc.binary_join_element_wise(
            *(pc.fill_null(text, "") for text in (title, description, url, owner, license_name)),
            "",  # tags: a dump has none
            kernels.number_text(downloads),
            kernels.number_text(likes),
            kernels.number_text(pc.cast(created, pa.int64())),
            kernels.number_text(pc.cast(modified, pa.int64())),
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
            source_created_at=kernels.flat(created),
            source_modified_at=kernels.flat(modified),
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
        by_org = kernels.lookup(datasets["OwnerOrganizationId"], orgs)
        by_user = kernels.lookup(datasets["OwnerUserId"], users)
        has_user = pc.not_equal(datasets["OwnerUserId"], "")
        return pc.if_else(has_org, by_org, pc.if_else(has_user, by_user, None))


def open_fast(directory: Path | str) -> FastSeed:
    """Datasets.csv read and checked, the join planned; raises CarefulReadNeeded (a bad row in
    Datasets.csv, Users.csv or Organizations.csv) or MetaKaggleError (a file or column missing)."""
    return FastSeed(directory)
