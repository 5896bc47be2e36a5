"""The catalog assets through dg.materialize, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest
import sqlalchemy as sa

from enrichment_assets.defs.datasets.assets import (
    hf_datasets,
    kaggle_dataset_details,
    kaggle_latest_datasets,
    meta_kaggle_datasets,
)
from enrichment_assets.defs.datasets.checks import (
    error_share_below_threshold,
    hf_datasets_no_duplicates,
    meta_kaggle_no_duplicates,
)
from enrichment_assets.lib.datasets import jobs
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.huggingface import HuggingFaceResource
from enrichment_assets.resources.kaggle import KaggleResource
from enrichment_assets.storage import datasets as store
from enrichment_assets.storage import datasets_bookkeeping as bookkeeping
from enrichment_assets.storage import datasets_details as details
from enrichment_assets.storage.tables import datasets, quarantined_rows
from enrichment_assets_tests.fakes.base import Reply
from enrichment_assets_tests.fakes.hf_hub import FakeHub
from enrichment_assets_tests.support.datasets import (
    DATASETS_HEADER,
    VERSIONS_HEADER,
    dataset_row,
    version_row,
    write_csv,
)
from enrichment_assets_tests.support.retries import without_retry_policy

DAY = "2026-11-21"  # every sample entry was modified before this day


def _resources(db, hf=None, kaggle=None):
    return {"db": db, "hf": hf or HuggingFaceResource(), "kaggle": kaggle or KaggleResource()}


def _metadata(result, asset) -> dict:
    materialization = result.asset_materializations_for_node(asset.key.path[-1])[-1]
    return {key: value.value for key, value in materialization.metadata.items()}


def _rows(db: DatabaseResource, source: str | None = None) -> list:
    query = sa.select(datasets).order_by(datasets.c.source, datasets.c.external_id)
    if source:
        query = query.where(datasets.c.source == source)
    with db.engine.connect() as connection:
        return connection.execute(query).all()


@pytest.mark.slow
def test_the_embedded_default_fills_the_catalog_and_a_rerun_changes_nothing(db):
    resources = _resources(db)
    for attempt in range(2):
        assert dg.materialize(
            [meta_kaggle_datasets, meta_kaggle_no_duplicates], resources=resources
        ).success
        for asset in (hf_datasets, kaggle_latest_datasets):
            result = dg.materialize([asset], resources=resources, partition_key=DAY)
            assert result.success
        result = dg.materialize(
            [kaggle_dataset_details, error_share_below_threshold], resources=resources
        )
        assert result.success
        if attempt == 0:
            first = {(r.source, r.external_id): r for r in _rows(db)}
    second = {(r.source, r.external_id): r for r in _rows(db)}
    assert len(second) == 8 + 11  # 8 Hugging Face, 8 seeded + 3 new from the Kaggle API
    assert {r.status for r in second.values()} == {"enriched"}
    assert all(second[key].updated_at == first[key].updated_at for key in first)  # no rewrite
    assert all(row.url for row in second.values())  # what the link janitor checks
    assert second[("kaggle", "2345")].url == "https://www.kaggle.com/datasets/newsdesk/world-news"
    assert second[("huggingface", "rajpurkar/squad")].url == (
        "https://huggingface.co/datasets/rajpurkar/squad"
    )
    meta = _metadata(result, kaggle_dataset_details)
    assert meta["enriched"] == 0 and meta["still_to_enrich"] == 0


def test_hf_stops_paging_at_the_watermark(db, fake_hub):
    hf = HuggingFaceResource(endpoint=fake_hub.url)
    result = dg.materialize(
        [hf_datasets, hf_datasets_no_duplicates], resources=_resources(db, hf), partition_key=DAY
    )
    meta = _metadata(result, hf_datasets)
    assert meta["new"] == 8 and meta["watermark"] == "2025-01-10T09:30:00+00:00"
    assert len(fake_hub.requests) == 3

    fake_hub.datasets.append(
        {
            "_id": "x",
            "id": "new-org/fresh",
            "author": "new-org",
            "lastModified": "2026-11-20T10:00:00.000Z",
            "createdAt": "2026-11-20T09:00:00.000Z",
            "likes": 1,
            "downloads": 2,
            "tags": ["license:mit"],
        }
    )
    fake_hub.requests.clear()
    result = dg.materialize([hf_datasets], resources=_resources(db, hf), partition_key=DAY)
    meta = _metadata(result, hf_datasets)
    # The newest page holds the new entry and then entries older than the watermark: one page.
    assert len(fake_hub.requests) == 1
    assert (meta["new"], meta["updated"], meta["stopped_by"]) == (1, 0, "watermark")
    assert meta["watermark"] == "2026-11-20T10:00:00+00:00"
    assert len(_rows(db, "huggingface")) == 9


def test_hf_backfill_of_a_day_range_runs_once_and_takes_that_window(db, fake_hub):
    hf = HuggingFaceResource(endpoint=fake_hub.url)
    resources = _resources(db, hf)
    bookkeeping.set_watermark(
        db.engine, "huggingface.last_modified", datetime(2025, 1, 10, tzinfo=UTC)
    )
    result = dg.materialize(
        [hf_datasets],
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": "2024-10-01",
            "dagster/asset_partition_range_end": "2024-11-30",
        },
    )
    assert result.success
    meta = _metadata(result, hf_datasets)
    assert {r.external_id for r in _rows(db, "huggingface")} == {
        "climate-lab/glacier-mass",  # 2024-11-20
        "bio-nlp/pubmed-abstracts",  # 2024-10-03
    }
    assert meta["skipped_newer_than_window"] == 2 and meta["stopped_by"] == "watermark"
    # An old window never pulls the watermark back.
    assert meta["watermark"] == "2025-01-10T00:00:00+00:00"


def test_hf_refused_token_fails_at_once_naming_the_setting_not_the_secret(db, hf_items):
    with FakeHub(hf_items, token="hf_right") as hub:
        hf = HuggingFaceResource(endpoint=hub.url, token="hf_wrong_secret")
        result = dg.materialize(
            [hf_datasets], resources=_resources(db, hf), partition_key=DAY, raise_on_error=False
        )
        assert not result.success and len(hub.requests) == 1  # no retry of a 401
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "HF_TOKEN" in message and "hf_wrong_secret" not in message


def _seed(db):
    assert dg.materialize([meta_kaggle_datasets], resources=_resources(db)).success


def test_kaggle_details_record_a_404_and_a_401_and_the_batch_goes_on(db, fake_kaggle):
    _seed(db)
    fake_kaggle.item_errors = {"newsdesk/world-news": 404, "open-stats/regional-unemployment": 401}
    kaggle = KaggleResource(api_endpoint=fake_kaggle.url, username="tester", key="secret-key-123")
    result = dg.materialize(
        [kaggle_dataset_details, error_share_below_threshold],
        resources=_resources(db, kaggle=kaggle),
        raise_on_error=False,
    )
    assert result.success  # the asset succeeds; the error share check does not pass
    meta = _metadata(result, kaggle_dataset_details)
    assert (meta["enriched"], meta["error"]) == (6, 2)
    rows = {r.external_id: r for r in _rows(db, "kaggle")}
    assert rows["2345"].status == "error" and "404" in rows["2345"].error
    # A 401 for one dataset while the credentials list fine: that dataset, not the account.
    assert rows["2347"].status == "error" and "401" in rows["2347"].error
    assert rows["2345"].error_retryable is False
    enriched = rows["2349"]
    assert enriched.status == "enriched" and enriched.likes == 411  # the API's vote count
    assert enriched.source_created_at == datetime(2020, 9, 9, 9, 9, 9, tzinfo=UTC)  # kept
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed and check.metadata["error_share"].value == 0.25


def test_kaggle_details_batch_size_and_resume_after_refused_credentials(db, fake_kaggle):
    _seed(db)
    wrong = KaggleResource(api_endpoint=fake_kaggle.url, username="tester", key="wrong-key-456")
    result = dg.materialize(
        [kaggle_dataset_details], resources=_resources(db, kaggle=wrong), raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "KAGGLE_USERNAME" in message and "KAGGLE_KEY" in message
    assert "wrong-key-456" not in message
    # Claimed, not lost: the killed batch is `pending`, first in line for the next run.
    assert store.status_counts(db.engine, "kaggle") == {"pending": 8}

    right = KaggleResource(api_endpoint=fake_kaggle.url, username="tester", key="secret-key-123")
    config = {"ops": {"kaggle_dataset_details": {"config": {"batch_size": 5}}}}
    result = dg.materialize(
        [kaggle_dataset_details], resources=_resources(db, kaggle=right), run_config=config
    )
    assert _metadata(result, kaggle_dataset_details)["enriched"] == 5
    assert store.status_counts(db.engine, "kaggle") == {"enriched": 5, "pending": 3}
    dg.materialize(
        [kaggle_dataset_details], resources=_resources(db, kaggle=right), run_config=config
    )
    assert store.status_counts(db.engine, "kaggle") == {"enriched": 8}
    assert len(_rows(db, "kaggle")) == 8


@pytest.mark.slow
def test_kaggle_transient_errors_are_retried_by_a_later_run(db, fake_kaggle, monkeypatch):
    _seed(db)
    from enrichment_assets.lib.common import retry

    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, policy: 0.0)
    fake_kaggle.fail_next(
        Reply(503, {"code": 503, "message": "down"}), times=5, path_contains="GetDataset"
    )
    kaggle = KaggleResource(api_endpoint=fake_kaggle.url, username="tester", key="secret-key-123")
    config = {"ops": {"kaggle_dataset_details": {"config": {"batch_size": 1}}}}
    dg.materialize(
        [kaggle_dataset_details], resources=_resources(db, kaggle=kaggle), run_config=config
    )
    (failed,) = [r for r in _rows(db, "kaggle") if r.status == "error"]
    assert failed.error_retryable and "503" in failed.error and failed.attempts == 1
    dg.materialize([kaggle_dataset_details], resources=_resources(db, kaggle=kaggle))
    assert store.status_counts(db.engine, "kaggle") == {"enriched": 8}


def test_kaggle_latest_stops_at_the_page_cap_and_reports_the_gap(db, fake_kaggle):
    _seed(db)
    kaggle = KaggleResource(
        api_endpoint=fake_kaggle.url, username="tester", key="secret-key-123", page_size=2
    )
    bookkeeping.set_watermark(db.engine, "kaggle.last_updated", datetime(2016, 1, 1, tzinfo=UTC))
    config = {"ops": {"kaggle_latest_datasets": {"config": {"max_pages": 2}}}}
    result = dg.materialize(
        [kaggle_latest_datasets],
        resources=_resources(db, kaggle=kaggle),
        partition_key=DAY,
        run_config=config,
    )
    meta = _metadata(result, kaggle_latest_datasets)
    assert meta["pages_read"] == 2 and meta["stopped_by"] == "page cap"
    assert meta["new"] == 3 and meta["unchanged"] == 1
    assert meta["gap"].startswith("2016-01-01T00:00:00+00:00 → 2024-05-10")
    new = {r.external_id: r for r in _rows(db, "kaggle")}["4100002"]
    assert new.status == "seeded" and new.ref == "climatelab/sea-ice-extent"


@pytest.mark.parametrize(
    ("reader", "writer"), [("fast", "save_prepared"), ("careful", "save_batch")]
)
def test_seed_resumes_after_a_kill_without_duplicates(db, monkeypatch, reader, writer):
    module = jobs if reader == "fast" else store
    real_write = getattr(module, writer)
    calls = []

    def dying_write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")  # the process dies after the first batch
        return real_write(*args, **kwargs)

    monkeypatch.setattr(module, writer, dying_write)
    config = {
        "ops": {
            "meta_kaggle_datasets": {"config": {"batch_size": 3, "careful": reader == "careful"}}
        }
    }
    without_retry_policy(monkeypatch, meta_kaggle_datasets)
    with pytest.raises(KeyboardInterrupt):
        dg.materialize([meta_kaggle_datasets], resources=_resources(db), run_config=config)
    assert len(_rows(db, "kaggle")) == 3
    monkeypatch.setattr(module, writer, real_write)
    result = dg.materialize([meta_kaggle_datasets], resources=_resources(db), run_config=config)
    meta = _metadata(result, meta_kaggle_datasets)
    assert (meta["new"], meta["unchanged"]) == (5, 3)
    assert len(_rows(db, "kaggle")) == 8


def test_seed_quarantines_malformed_rows_in_the_table(db, tmp_path):
    write_csv(
        tmp_path / "Datasets.csv",
        DATASETS_HEADER,
        [dataset_row(1, 11), dataset_row(2, "not-an-id"), dataset_row(3, 13)],
    )
    write_csv(
        tmp_path / "DatasetVersions.csv",
        VERSIONS_HEADER,
        [version_row(11, 1, "one"), version_row(13, 3, "three")],
    )
    kaggle = KaggleResource(meta_kaggle_dir=str(tmp_path))
    result = dg.materialize([meta_kaggle_datasets], resources=_resources(db, kaggle=kaggle))
    assert _metadata(result, meta_kaggle_datasets)["quarantined"] == 1
    with db.engine.connect() as connection:
        (row,) = connection.execute(sa.select(quarantined_rows)).all()
    assert (
        row.line == 3
        and row.file.endswith("Datasets.csv")
        and "CurrentDatasetVersionId" in row.reason
    )
    assert {r.external_id for r in _rows(db, "kaggle")} == {"1", "3"}


def test_hf_feed_killed_mid_walk_resumes_without_duplicates(db, fake_hub, monkeypatch):
    from enrichment_assets.lib.datasets import jobs

    monkeypatch.setattr(jobs, "FEED_BATCH", 3)
    real_save_batch = store.save_batch
    calls = []

    def dying_save_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_save_batch(*args, **kwargs)

    monkeypatch.setattr(store, "save_batch", dying_save_batch)
    hf = HuggingFaceResource(endpoint=fake_hub.url)
    without_retry_policy(monkeypatch, hf_datasets)
    with pytest.raises(KeyboardInterrupt):
        dg.materialize([hf_datasets], resources=_resources(db, hf), partition_key=DAY)
    assert len(_rows(db, "huggingface")) == 3
    assert bookkeeping.get_watermark(db.engine, "huggingface.last_modified") is None  # not moved
    monkeypatch.setattr(store, "save_batch", real_save_batch)
    result = dg.materialize([hf_datasets], resources=_resources(db, hf), partition_key=DAY)
    meta = _metadata(result, hf_datasets)
    assert (meta["new"], meta["unchanged"]) == (5, 3)
    assert len(_rows(db, "huggingface")) == 8


def test_kaggle_details_killed_mid_batch_resume_without_duplicates(db, fake_kaggle, monkeypatch):
    _seed(db)
    real_mark_enriched = details.mark_enriched
    calls = []

    def dying_mark_enriched(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        return real_mark_enriched(*args, **kwargs)

    from enrichment_assets.lib.datasets import jobs

    monkeypatch.setattr(jobs, "mark_enriched", dying_mark_enriched)  # the third dataset dies
    kaggle = KaggleResource(api_endpoint=fake_kaggle.url, username="tester", key="secret-key-123")
    without_retry_policy(monkeypatch, kaggle_dataset_details)
    with pytest.raises(KeyboardInterrupt):
        dg.materialize([kaggle_dataset_details], resources=_resources(db, kaggle=kaggle))
    assert store.status_counts(db.engine, "kaggle") == {"enriched": 2, "pending": 6}
    monkeypatch.setattr(jobs, "mark_enriched", real_mark_enriched)
    result = dg.materialize([kaggle_dataset_details], resources=_resources(db, kaggle=kaggle))
    assert _metadata(result, kaggle_dataset_details)["enriched"] == 6
    assert store.status_counts(db.engine, "kaggle") == {"enriched": 8}
    assert len(_rows(db, "kaggle")) == 8
