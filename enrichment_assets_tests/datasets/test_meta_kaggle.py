"""The Meta Kaggle reader: dates, the join, schema drift, nullable ids, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enrichment_assets.lib.datasets.meta_kaggle import (
    MetaKaggleError,
    MetaKaggleReader,
    parse_us_datetime,
)
from enrichment_assets_tests.support.datasets import (
    DATASETS_HEADER,
    VERSIONS_HEADER,
    dataset_row,
    version_row,
    write_csv,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01/18/2016 23:22:08", datetime(2016, 1, 18, 23, 22, 8, tzinfo=UTC)),
        ("01/02/2016", datetime(2016, 1, 2, tzinfo=UTC)),  # January 2nd, never February 1st
        ("1/2/2016 3:04:05", datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2016-01-02T03:04:05Z", datetime(2016, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("", None),
        ("not a date", None),
        ("13/45/2016 00:00:00", None),
    ],
)
def test_us_dates_parse_month_first_as_utc(text, expected):
    assert parse_us_datetime(text) == expected


def test_the_bundled_sample_joins_every_dataset_to_its_current_version():
    from enrichment_assets import settings

    reader = MetaKaggleReader(settings.SAMPLE_DIR / "meta_kaggle")
    records = {r.external_id: r for r in reader.records()}
    assert len(records) == 8 and not reader.quarantined
    news = records["2345"]
    # Current version (2), not the first one; multi-line quoted description kept whole.
    assert news.extra["version_number"] == 2
    assert news.description.startswith('# About\nMulti-line "markdown" description, with commas,')
    assert news.url == "https://www.kaggle.com/datasets/newsdesk/world-news"
    # An organisation-owned dataset gets the organisation's slug.
    assert records["2347"].owner == "open-stats"
    assert records["2347"].source_modified_at == datetime(2024, 1, 2, tzinfo=UTC)


def test_malformed_rows_are_quarantined_with_their_line_and_the_rest_lands(tmp_path):
    write_csv(
        tmp_path / "Datasets.csv",
        DATASETS_HEADER,
        [
            dataset_row(1, 11),
            dataset_row("x1", 12),  # line 3: the id is not an integer
            dataset_row(3, 13),
            ["4", "only", "three"],  # line 5: wrong field count
            dataset_row(5, 15),
        ],
    )
    write_csv(
        tmp_path / "DatasetVersions.csv",
        VERSIONS_HEADER,
        [
            version_row(11, 1, "one", description="two\nlines"),  # lines 2-3
            version_row(13, 3, "three"),  # line 4
            ["bad", "3", "x"],  # line 5: wrong field count
            version_row(15, 5, "five", description='a "quoted", \n\nmulti-line text'),  # 6-8
            version_row("v16", 5, "six"),  # line 9: the id is not an integer
        ],
    )
    write_csv(tmp_path / "Users.csv", ["Id", "UserName"], [[1, "someone"]])
    reader = MetaKaggleReader(tmp_path)
    records = {r.external_id: r for r in reader.records()}
    assert sorted(records) == ["1", "3", "5"]
    assert records["5"].description == 'a "quoted", \n\nmulti-line text'  # layout kept
    where = sorted((q.file, q.line) for q in reader.quarantined)
    assert where == [
        ("DatasetVersions.csv", 5),
        ("DatasetVersions.csv", 9),
        ("Datasets.csv", 3),
        ("Datasets.csv", 5),
    ]
    reasons = {q.line: q.reason for q in reader.quarantined if q.file == "Datasets.csv"}
    assert "Id is not an integer" in reasons[3] and "expected 16 fields, found 3" in reasons[5]


def test_older_dump_layout_and_nullable_ids_are_tolerated(tmp_path):
    # ~2019 layout: ReviewDate/FeatureDate present, Medal/MedalAwardDate absent; columns reordered.
    header = [
        "Id", "CreatorUserId", "OwnerUserId", "OwnerOrganizationId", "CurrentDatasetVersionId",
        "CurrentDatasourceVersionId", "ForumId", "Type", "CreationDate", "ReviewDate",
        "FeatureDate", "LastActivityDate", "TotalViews", "TotalDownloads", "TotalVotes",
        "TotalKernels",
    ]  # fmt: skip
    write_csv(
        tmp_path / "Datasets.csv",
        header,
        [
            [7, 2, "", 40, 70, "", 1, 2, "03/04/2017 05:06:07", "", "", "03/05/2017", 1, 2, 3, 4],
            [
                8,
                2,
                2,
                "",
                "",
                "",
                1,
                2,
                "03/04/2017 05:06:07",
                "",
                "",
                "",
                1,
                2,
                3,
                4,
            ],  # no version
        ],
    )
    write_csv(
        tmp_path / "DatasetVersions.csv",
        VERSIONS_HEADER,
        [
            version_row(70, 7, "seven"),
            version_row(80, 8, "eight-old", number=1),
            version_row(81, 8, "eight", number=2),
        ],
    )
    write_csv(tmp_path / "Organizations.csv", ["Id", "Name", "Slug"], [[40, "Org", "the-org"]])
    reader = MetaKaggleReader(tmp_path)
    records = {r.external_id: r for r in reader.records()}
    assert records["7"].ref == "the-org/seven"
    assert records["7"].downloads == 2 and records["7"].likes == 3
    assert records["7"].extra["owner_organization_id"] == 40  # an int, never 40.0
    # No CurrentDatasetVersionId: joined to its highest version; no Users.csv: no owner slug.
    assert records["8"].title == "Eight" and records["8"].owner is None and records["8"].url is None
    assert reader.counts["without_owner"] == 1


def test_a_dump_without_a_required_column_is_refused_clearly(tmp_path):
    write_csv(tmp_path / "Datasets.csv", ["Id", "Title"], [[1, "x"]])
    write_csv(tmp_path / "DatasetVersions.csv", VERSIONS_HEADER, [])
    with pytest.raises(MetaKaggleError, match="CurrentDatasetVersionId"):
        list(MetaKaggleReader(tmp_path).records())
    with pytest.raises(MetaKaggleError, match="not found"):
        list(MetaKaggleReader(tmp_path / "missing").records())
