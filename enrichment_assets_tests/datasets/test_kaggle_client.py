"""The Kaggle client against a fake Kaggle API on 127.0.0.1, both envelopes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from enrichment_assets.lib.common.retry import RetryPolicy
from enrichment_assets.lib.datasets.kaggle_api import KaggleApiError, KaggleHttpCatalog
from enrichment_assets_tests.fakes.base import Reply


def _client(server, legacy=False, **kw):
    endpoint = f"{server.url}/api/v1" if legacy else server.url
    kw.setdefault("sleep", lambda seconds: None)
    return KaggleHttpCatalog(endpoint, "tester", "secret-key-123", page_size=4, **kw)


@pytest.mark.parametrize("legacy", [False, True], ids=["rpc", "legacy"])
def test_latest_pages_newest_first_in_both_envelopes(fake_kaggle, legacy):
    fake_kaggle.legacy_page_size = 4
    client = _client(fake_kaggle, legacy=legacy)
    records = list(client.iter_latest())
    assert len(records) == 11 and client.pages_read == 3
    modified = [r.source_modified_at for r in records]
    assert modified == sorted(modified, reverse=True)
    assert records[0].external_id == "4100001"
    assert records[0].url == "https://www.kaggle.com/datasets/newsdesk/world-news-2025"
    first = fake_kaggle.requests[0]
    if legacy:
        assert first["method"] == "GET" and first["path"] == "/api/v1/datasets/list"
        assert first["query"]["sortBy"] == ["updated"]
    else:
        assert first["path"] == "/v1/datasets.DatasetApiService/ListDatasets"
        assert first["body"] == {"sortBy": "DATASET_SORT_BY_UPDATED", "page": 1, "pageSize": 4}
    assert first["headers"]["authorization"].startswith("Basic ")


def test_page_cap_stops_the_walk(fake_kaggle):
    client = _client(fake_kaggle)
    assert len(list(client.iter_latest(max_pages=2))) == 8
    assert client.page_cap_hit and client.pages_read == 2


@pytest.mark.parametrize("legacy", [False, True], ids=["rpc", "legacy"])
def test_details_of_one_dataset(fake_kaggle, legacy):
    record = _client(fake_kaggle, legacy=legacy).get_dataset("climatelab/sea-ice-extent")
    assert record.external_id == "4100002" and record.tags == ["climate"]
    assert record.source_modified_at == datetime(2024, 12, 20, 16, 20, 0, 123000, tzinfo=UTC)
    assert record.extra["usability_rating"] == 1.0


def test_429_honours_retry_after_and_5xx_is_retried(fake_kaggle):
    fake_kaggle.fail_next(Reply(429, {"code": 429, "message": "Too many"}, {"Retry-After": "2"}))
    fake_kaggle.fail_next(Reply(503, {"code": 503, "message": "unavailable"}))
    slept = []
    record = _client(fake_kaggle, sleep=slept.append).get_dataset("newsdesk/world-news")
    assert record.external_id == "2345"
    assert len(fake_kaggle.requests) == 3 and slept[0] == 2.0 and len(slept) == 2


def test_errors_in_the_body_and_exhausted_retries_are_reported(fake_kaggle):
    fake_kaggle.fail_next(Reply(200, {"code": 404, "message": "gone"}))
    with pytest.raises(KaggleApiError) as caught:
        _client(fake_kaggle).get_dataset("newsdesk/world-news")
    assert caught.value.status == 404 and not caught.value.retryable
    fake_kaggle.fail_next(Reply(500, {"code": 500, "message": "boom"}), times=3)
    with pytest.raises(KaggleApiError) as caught:
        _client(fake_kaggle, retry=RetryPolicy(max_retries=2)).get_dataset("newsdesk/world-news")
    assert caught.value.retryable and caught.value.status == 500


def test_wrong_credentials_are_told_apart_from_one_hidden_dataset(fake_kaggle):
    fake_kaggle.item_errors = {"newsdesk/world-news": 403}
    good = _client(fake_kaggle)
    with pytest.raises(KaggleApiError) as caught:
        good.get_dataset("newsdesk/world-news")
    assert caught.value.status == 403 and good.credentials_valid()
    bad = KaggleHttpCatalog(fake_kaggle.url, "tester", "wrong", sleep=lambda s: None)
    assert not bad.credentials_valid()
