"""huggingface_hub's real `HfApi` against a fake Hub on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from huggingface_hub import constants

from enrichment_assets.lib.datasets.huggingface import EXPAND, HfAuthError, HubCatalog
from enrichment_assets_tests.fakes.base import Reply


def test_listing_follows_link_pages_newest_first_with_expand(fake_hub):
    records = list(HubCatalog(fake_hub.url).iter_newest_first())
    assert len(records) == 8 and len(fake_hub.requests) == 3  # pages of 3 via Link headers
    assert [r.external_id for r in records[:2]] == [
        "open-news/headlines-2024",
        "speech-lab/commonvoice-mini",
    ]
    first = fake_hub.requests[0]
    assert first["query"]["sort"] == ["lastModified"] and sorted(
        first["query"]["expand"]
    ) == sorted(EXPAND)
    assert "authorization" not in first["headers"]  # no token configured, none read from disk
    squad = next(r for r in records if r.external_id == "rajpurkar/squad")
    assert squad.url == f"{fake_hub.url}/datasets/rajpurkar/squad"
    assert squad.license == "cc-by-sa-4.0" and squad.title == "SQuAD"
    assert squad.description.startswith("Dataset Card for SQuAD\n\nStanford")
    assert "See the full description" not in squad.description
    assert squad.downloads == 7965198 and squad.extra["downloads_30d"] == 254152
    math = next(r for r in records if r.external_id == "hendrycks/competition_math")
    assert math.license == "mit" and math.extra["disabled"] is True
    lonely = next(r for r in records if r.external_id == "lonely-dataset")
    assert lonely.owner is None and lonely.source_modified_at == datetime(
        2024, 5, 5, 5, 5, 5, 123456, tzinfo=UTC
    )
    assert next(r for r in records if r.external_id == "sample-org/recipes").license == "apache-2.0"


def test_offline_flag_for_models_does_not_block_the_configured_catalog(fake_hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert len(list(HubCatalog(fake_hub.url).iter_newest_first())) == 8
    assert constants.HF_HUB_OFFLINE is True  # put back afterwards


def test_a_listing_left_unfinished_does_not_keep_the_hub_reachable(fake_hub, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    unfinished = HubCatalog(fake_hub.url).iter_newest_first()
    next(unfinished)  # a caller that stops early, and a generator that lives on (a traceback)
    assert constants.HF_HUB_OFFLINE is True  # lifted for the fetch only, not across the yield
    assert len(list(HubCatalog(fake_hub.url).iter_newest_first())) == 8
    assert constants.HF_HUB_OFFLINE is True
    unfinished.close()


@pytest.mark.slow
def test_429_waits_for_the_hubs_ratelimit_header_then_goes_on(fake_hub):
    fake_hub.fail_next(
        Reply(
            429,
            {"error": "rate limited"},
            {"RateLimit": '"api";r=0;t=1', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'},
        )
    )
    fake_hub.fail_next(Reply(503, {"error": "unavailable"}))
    started = time.monotonic()
    assert len(list(HubCatalog(fake_hub.url).iter_newest_first())) == 8
    # huggingface_hub waits t + 1 s after the 429, then 1 s more after the 503 backoff.
    assert time.monotonic() - started >= 2.0
    assert len(fake_hub.requests) == 5


def test_a_refused_token_is_an_auth_error(hf_items):
    from enrichment_assets_tests.fakes.hf_hub import FakeHub

    with FakeHub(hf_items, token="hf_right") as hub:
        with pytest.raises(HfAuthError, match="401"):
            list(HubCatalog(hub.url, token="hf_wrong").iter_newest_first())
        assert len(list(HubCatalog(hub.url, token="hf_right").iter_newest_first())) == 8
        assert hub.requests[-1]["headers"]["authorization"] == "Bearer hf_right"
