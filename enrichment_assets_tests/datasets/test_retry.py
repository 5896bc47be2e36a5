"""Waiting what the server asks: Retry-After, the Hub's RateLimit header, backoff."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from enrichment_assets.lib.common.retry import (
    RetriesExhausted,
    RetryPolicy,
    send_with_retries,
    wait_from_headers,
)


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
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    assert wait_from_headers(httpx.Headers(headers), now=now) == expected


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
