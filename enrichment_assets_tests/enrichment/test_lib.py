"""Plain functions: grounding, prompts' validation, header parsing, prices."""

from __future__ import annotations

import pytest

from enrichment_assets.lib.enrichment.grounding import ground_tags, tags_hash
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.prompts import InvalidOutput
from enrichment_assets.lib.enrichment.waits import header_pause, parse_duration, retry_after_seconds
from enrichment_assets.lib.enrichment.workflow import validate_enrichment, validate_tags


def test_tags_must_be_substrings_of_the_normalised_text():
    text = "The  European Central Bank raised rates in FRANKFURT."
    grounded = ground_tags(["#Frankfurt", "european central bank", "inflation", "Rates"], text)
    assert grounded.tags == ["frankfurt", "european central bank", "rates"]
    assert grounded.dropped == ["inflation"]


def test_tags_hash_ignores_order_and_duplicates():
    assert tags_hash(["a", "b"]) == tags_hash(["b", "a", "a"])
    assert tags_hash(["a"]) != tags_hash(["a", "b"])


def test_validate_tags_drops_and_counts_ungrounded_tags():
    payload = validate_tags('{"tags": ["rates", "made up"]}', "Rates went up")
    assert payload["tags"] == ["rates"]
    assert payload["dropped_ungrounded"] == 1
    assert payload["tags_hash"] == tags_hash(["rates"])


def test_validate_tags_refuses_an_answer_with_no_grounded_tag():
    with pytest.raises(InvalidOutput, match="no tag appears"):
        validate_tags('{"tags": ["elsewhere"]}', "Rates went up")


def test_validate_enrichment_checks_the_schema():
    good = validate_enrichment(
        '{"keywords": ["rates"], "category": "economy", "sentiment": "negative",'
        ' "entities": [{"text": "ECB", "type": "ORGANIZATION"}]}',
        "",
    )
    assert good["entities"] == [{"text": "ECB", "type": "organization"}]
    with pytest.raises(InvalidOutput, match="category"):
        validate_enrichment('{"keywords": [], "category": "gossip", "sentiment": "neutral"}', "")
    with pytest.raises(InvalidOutput, match="not valid JSON"):
        validate_enrichment("Sure! Here is the JSON:", "")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2m59.56s", 179.56), ("7.66s", 7.66), ("1ms", 0.001), ("1h2m3s", 3723.0), ("2", 2.0),
     ("soon", None), (None, None)],
)  # fmt: skip
def test_go_durations_from_rate_limit_headers(value, seconds):
    result = parse_duration(value)
    assert result == pytest.approx(seconds) if seconds is not None else result is None


def test_retry_after_prefers_milliseconds():
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({}) is None


def test_retry_after_reads_the_shared_parser_dates_included():
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # past
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({"retry-after-ms": "x", "retry-after": "2"}) == 2.0


def test_header_pause_when_tokens_or_daily_requests_run_out():
    headers = {
        "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "7.66s",
        "x-ratelimit-remaining-requests": "50",
        "x-ratelimit-reset-requests": "1m",
    }
    assert header_pause(headers, tokens_needed=500) == pytest.approx(
        (7.66, "tokens per minute exhausted (100 left)")
    )
    assert header_pause(headers, tokens_needed=50) is None
    headers["x-ratelimit-remaining-requests"] = "0"
    assert header_pause(headers, tokens_needed=50)[0] == 60.0


def test_prices_from_config_and_unknown_models_priced_high():
    table = PriceTable.from_json('{"my-model": {"input": 1.0, "output": 2.0}}')
    assert table.cost("my-model", 1_000_000, 500_000) == pytest.approx(2.0)
    assert table.cost("llama-3.1-8b-instant", 1_000_000, 0) == pytest.approx(0.05)
    assert table.cost("unheard-of", 1_000_000, 0) >= table.cost("llama-3.3-70b-versatile",
                                                                1_000_000, 0)  # fmt: skip
    with pytest.raises(ValueError, match="LLM_PRICES"):
        PriceTable.from_json("[1, 2]")


def test_local_candidates_and_entities_come_verbatim_from_one_line():
    from enrichment_assets.lib.enrichment.local import _stop_words, entity_spans, keyword_candidates

    stop_words = _stop_words()
    text = "Poland votes on Sunday\n\nVoters in Poland back the European Central Bank plan."
    candidates = keyword_candidates(text, stop_words)
    assert "european central" in candidates and "central bank" in candidates
    assert "sunday voters" not in candidates  # a line break separates them
    assert all(" the " not in f" {c} " for c in candidates)  # stop words never kept
    assert entity_spans(text, stop_words) == ["Poland", "European Central Bank"]


def test_links_and_weekdays_are_never_keywords():
    from enrichment_assets.lib.enrichment.local import _stop_words, keyword_candidates

    text = "Budget approved on Tuesday https://news.example/turkey-s-budget-approved read more"
    candidates = keyword_candidates(text, _stop_words())
    assert "budget approved" in candidates
    assert not any("turkey" in c or "tuesday" in c or "news" in c for c in candidates)
