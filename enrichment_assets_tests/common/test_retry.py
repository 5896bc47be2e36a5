"""Waiting what the server asks: Retry-After, the Hub's RateLimit header, backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from enrichment_assets.lib.common.retry import (
    RetriesExhausted,
    RetryPolicy,
    jittered_backoff,
    parse_retry_after,
    send_with_retries,
    wait_from_headers,
)

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),  # some APIs send fractions; RFC 9110 says integers, read them anyway
        ("0", 0.0),
        ("Sun, 22 Nov 2026 12:00:30 GMT", 30.0),  # a date ahead: the time until it
        ("Sun, 22 Nov 2026 11:59:00 GMT", 0.0),  # a date gone by: no wait, never negative
        ("Sun, 22 Nov 2026 12:01:00 -0000", 60.0),  # a zone-less date is UTC
        ("-5", None),  # negative: not a Retry-After value
        ("soon", None),
        ("1e3", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates_and_nothing_else(value, expected):
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_measures_a_date_from_the_clock_by_default():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") > 3600 * 24 * 365


def test_jittered_backoff_doubles_up_to_the_cap_within_the_jitter_band():
    rng = random.Random(7)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (6, 10.0), (20, 10.0)]:
        for _ in range(50):
            delay = jittered_backoff(attempt, 0.5, cap=10.0, rng=rng)
            assert 0.75 * ceiling <= delay <= 1.25 * ceiling
    full = [jittered_backoff(3, 1.0, jitter=(0.0, 1.0), rng=rng) for _ in range(200)]
    assert 0.0 <= min(full) < 1.0 and 7.0 < max(full) <= 8.0  # full jitter: uniform(0, 8)
    assert jittered_backoff(2, 1.0, jitter=(1.0, 1.0)) == 4.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "Sun, 22 Nov 2026 12:00:30 GMT"}, 30.0),
        (
            {"RateLimit": '"api";r=0;t=55', "RateLimit-Policy": '"fixed window";"api";q=500;w=300'},
            55.0,
        ),
        ({"RateLimit": '"api";r=12;t=55'}, None),  # requests left: the limit is not the reason
        ({}, None),
    ],
)
def test_wait_comes_from_retry_after_or_ratelimit(headers, expected):
    assert wait_from_headers(httpx.Headers(headers), now=NOW) == expected


def _responses(*replies):
    queue = list(replies)
    calls = []

    def send():
        status, headers = queue.pop(0)
        calls.append(status)
        return httpx.Response(status, headers=headers, json={})

    return send, calls


def test_429_waits_retry_after_and_5xx_backs_off_then_succeeds():
    send, calls = _responses((429, {"Retry-After": "3"}), (503, {}), (502, {}), (200, {}))
    slept = []
    response = send_with_retries(send, RetryPolicy(max_retries=4, base_delay=0.5), slept.append)
    assert response.status_code == 200 and calls == [429, 503, 502, 200]
    assert slept[0] == 3.0
    assert 0.75 <= slept[1] <= 1.25 and 1.5 <= slept[2] <= 2.5  # 0.5·2^n, ±25 % jitter


def test_4xx_is_returned_at_once_and_retries_have_an_end():
    send, calls = _responses((404, {}))
    assert send_with_retries(send, RetryPolicy(), lambda s: None).status_code == 404
    assert calls == [404]
    send, calls = _responses(*[(500, {})] * 3)
    with pytest.raises(RetriesExhausted, match="HTTP 500 after 3 attempts"):
        send_with_retries(send, RetryPolicy(max_retries=2), lambda s: None)


def test_a_wait_longer_than_the_cap_is_not_slept_through():
    send, _calls = _responses((429, {"Retry-After": "3600"}))
    slept = []
    with pytest.raises(RetriesExhausted, match="wait 3600 s"):
        send_with_retries(send, RetryPolicy(max_wait=60), slept.append)
    assert slept == []
