"""The fast (Arrow) Meta Kaggle reader against the careful one: same records, same counts, and
the hand-over to the careful reader when a dump has something only it can place by line."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from enrichment_assets import settings
from enrichment_assets.lib.datasets import jobs, meta_kaggle_csv, meta_kaggle_kernels
from enrichment_assets.lib.datasets.meta_kaggle import (
    CarefulReadNeeded,
    MetaKaggleError,
    MetaKaggleReader,
)
from enrichment_assets.lib.datasets.meta_kaggle_arrow import open_fast
from enrichment_assets.storage.datasets import status_counts
from enrichment_assets.storage.tables import datasets, quarantined_rows
from enrichment_assets_tests.support.datasets import (
    DATASETS_HEADER,
    VERSIONS_HEADER,
    dataset_row,
    version_row,
    write_csv,
)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few hundred bytes, so a small dump crosses many chunk boundaries."""
    monkeypatch.setattr(meta_kaggle_csv, "CHUNK_BYTES", 300)


def _fast_records(directory) -> tuple[dict, dict]:
    reader = open_fast(directory)
    records = {}
    for columns in reader.batches():
        for i in range(len(columns)):
            record = columns.record(i)
            assert record.content_hash() == columns.content_hash[i]
            records[record.external_id] = record
    return records, reader.counts


def _careful_records(directory) -> tuple[dict, dict]:
    reader = MetaKaggleReader(directory)
    records = {record.external_id: record for record in reader.records()}
    assert not reader.quarantined
    return records, reader.counts


def _assert_same(directory) -> dict:
    fast, fast_counts = _fast_records(directory)
    careful, careful_counts = _careful_records(directory)
    assert fast_counts == careful_counts
    assert sorted(fast) == sorted(careful)
    for external_id, record in careful.items():
        assert dataclasses.asdict(fast[external_id]) == dataclasses.asdict(record), external_id
        assert fast[external_id].content_hash() == record.content_hash()
    return careful


def _tricky_dump(directory) -> None:
    """Every case the join and the columns have: orphans (no current version) with tied
    version numbers or no version at all, a current version that never shows up, owners by
    organisation and by user, dates in every layout, counters that are not plain integers,
    text that JSON and the hash must escape, an older header with a column missing."""
    header = [name for name in DATASETS_HEADER if name != "Medal"] + ["Extra"]

    def row(*args, **kw):
        values = dict(zip(DATASETS_HEADER, dataset_row(*args, **kw), strict=True))
        values["Extra"] = "ignored"
        return [values[name] for name in header]

    write_csv(
        directory / "Datasets.csv",
        header,
        [
            row(1, 11, user="7"),
            row(2, 21, user="", org="40", activity="1/2/2020 3:04:05"),
            row(3, "", user="8", activity="2019-05-06T07:08:09Z"),  # orphan: 31, 32, 33
            row(4, "", user="9"),  # orphan without any version
            row(5, 55, user="7", activity=""),  # its version never shows up
            row(6, 61, user="99", activity="not a date", TotalViews="1.0", TotalVotes="x"),
            row(7, 71, user="7", CreationDate="02/03/2021"),
        ],
    )
    write_csv(
        directory / "DatasetVersions.csv",
        VERSIONS_HEADER,
        [
            version_row(10, 1, "one-old", description="old"),
            version_row(11, 1, "one", description='a "quoted", multi-line\r\n\r\n\r\ntext'),
            version_row(21, 2, "two", title="  Two\ttabs  and   spaces\n\n\n\nlines  "),
            version_row(31, 3, "three-a", number=1),
            version_row(33, 3, "three-c", number=2),
            version_row(32, 3, "three-b", number=2),  # a tie: the later line wins
            version_row(61, 6, "six", title="\x1f\u3000 Six\xa0", description=" \u2028"),
            version_row(71, 7, "seven", description="émoji ✓ \\ back\\slash \x01 control"),
        ],
    )
    versions = (directory / "DatasetVersions.csv").read_text(encoding="utf-8")
    # Subtitles JSON must escape, written in place of the empty ones of rows 11 and 71.
    versions = versions.replace(
        ",CC0: Public Domain,01/18/2016 23:22:08,1,One,one,,",
        ',CC0: Public Domain,01/18/2016 23:22:08,1,One,one,"say ""hi""\n  \\ there",',
    ).replace(
        ",Seven,seven,,",
        ",Seven,seven,ünïcode \x7f\x1f end,",
    )
    (directory / "DatasetVersions.csv").write_text(versions, encoding="utf-8")
    write_csv(directory / "Users.csv", ["Id", "UserName"], [[7, "seven"], [8, "eight"], [9, "n"]])
    write_csv(directory / "Organizations.csv", ["Id", "Name", "Slug"], [[40, "Org", "the-org"]])


def test_the_bundled_sample_reads_the_same_both_ways():
    records = _assert_same(settings.SAMPLE_DIR / "meta_kaggle")
    assert len(records) == 8


def test_every_tricky_case_reads_the_same_both_ways_across_chunk_boundaries(tmp_path, small_chunks):
    _tricky_dump(tmp_path)
    records = _assert_same(tmp_path)
    assert records["3"].ref == "eight/three-b"  # the orphan's highest version, later line
    assert records["4"].title is None and records["5"].title is None  # landed all the same
    assert (
        records["2"].owner == "the-org" and records["1"].extra["subtitle"] == 'say "hi"\n\\ there'
    )
    assert records["6"].extra["views"] == 1 and records["6"].likes is None


def test_a_bad_row_late_in_the_dump_hands_over_without_losing_or_repeating_a_row(
    tmp_path, small_chunks, engine
):
    _tricky_dump(tmp_path)
    path = tmp_path / "DatasetVersions.csv"
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("999,1,too,few\n")  # a malformed row after several chunks
        handle.write(",".join(str(v) for v in version_row(81, 8, "eight")) + "\n")
    write_csv(
        tmp_path / "Datasets.csv",
        [*DATASETS_HEADER],
        [dataset_row(i, i * 10 + 1, user="7") for i in (1, 2, 5, 6, 7, 8)],
    )
    fast = open_fast(tmp_path)
    with pytest.raises(CarefulReadNeeded):
        for _batch in fast.batches():
            pass
    messages = []
    result = jobs.seed_meta_kaggle(engine, tmp_path, batch_size=2, log=messages.append)
    assert result.reader.startswith("careful after") and "after 0 datasets" not in result.reader
    assert "Expected 14 columns, got 4" in messages[0]  # why, in the run's log
    assert result.summary.counts["new"] == 6 and not result.summary.counts["updated"]
    text = path.read_text(encoding="utf-8")
    bad_line = text[: text.index("999,1,too,few")].count("\n") + 1
    assert [(q.line, q.reason) for q in result.quarantined] == [
        (bad_line, "expected 14 fields, found 4")
    ]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(datasets)).scalar() == 6
        assert connection.execute(sa.select(quarantined_rows.c.line)).scalars().all() == [
            result.quarantined[0].line
        ]
    careful = jobs.seed_meta_kaggle(engine, tmp_path, careful=True)
    assert careful.summary.counts["unchanged"] == 6  # what the fast reader wrote is identical


def test_bytes_that_are_not_utf8_go_the_careful_way(tmp_path, engine):
    write_csv(tmp_path / "Datasets.csv", DATASETS_HEADER, [dataset_row(1, 11)])
    write_csv(tmp_path / "DatasetVersions.csv", VERSIONS_HEADER, [version_row(11, 1, "one")])
    path = tmp_path / "DatasetVersions.csv"
    path.write_bytes(path.read_bytes().replace(b",One,", b",On\xffe,"))
    result = jobs.seed_meta_kaggle(engine, tmp_path)
    assert result.summary.preview[0].title == "On\ufffde"  # replaced, as the careful reader does
    assert status_counts(engine, "kaggle") == {"seeded": 1}


def test_a_bad_id_in_datasets_csv_is_found_before_anything_is_written(tmp_path):
    write_csv(tmp_path / "Datasets.csv", DATASETS_HEADER, [dataset_row("x1", 11)])
    write_csv(tmp_path / "DatasetVersions.csv", VERSIONS_HEADER, [version_row(11, 1, "one")])
    with pytest.raises(CarefulReadNeeded, match="not an integer"):
        open_fast(tmp_path)


def test_a_missing_file_or_column_is_refused_clearly(tmp_path):
    with pytest.raises(MetaKaggleError, match="not found"):
        open_fast(tmp_path)
    write_csv(tmp_path / "Datasets.csv", ["Id", "Title"], [[1, "x"]])
    write_csv(tmp_path / "DatasetVersions.csv", VERSIONS_HEADER, [])
    with pytest.raises(MetaKaggleError, match="CurrentDatasetVersionId"):
        open_fast(tmp_path)


def test_a_seed_lands_every_row_once_and_a_second_seed_changes_nothing(engine):
    result = jobs.seed_meta_kaggle(engine, settings.SAMPLE_DIR / "meta_kaggle", batch_size=3)
    assert result.summary.counts["new"] == 8 and result.counts["joined"] == 8
    assert result.reader == "fast"
    assert status_counts(engine, "kaggle") == {"seeded": 8}
    with engine.connect() as connection:  # the columns written by the statement itself
        fixed = connection.execute(
            sa.select(datasets.c.fetched_at, datasets.c.error, datasets.c.tags)
        ).all()
    assert all(row.fetched_at is not None and row.error is row.tags is None for row in fixed)
    again = jobs.seed_meta_kaggle(engine, settings.SAMPLE_DIR / "meta_kaggle", careful=True)
    assert again.summary.counts["unchanged"] == 8  # the careful reader agrees, hash for hash
    with pytest.raises(MetaKaggleError, match="not found"):
        jobs.seed_meta_kaggle(engine, settings.SAMPLE_DIR / "missing")


def test_the_whitespace_arrow_trims_is_the_whitespace_python_strips():
    import sys

    python = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(meta_kaggle_kernels.PY_WHITESPACE) == python
