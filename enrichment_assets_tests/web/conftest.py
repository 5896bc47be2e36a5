"""Fixtures for the web layer: fake web servers on 127.0.0.x and an `http` resource that may
reach 127.0.0.1 (and only that: every other private address stays blocked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from enrichment_assets.lib.web import ssrf
from enrichment_assets.resources.http import HttpResource
from enrichment_assets_tests.fakes.web import FakeWebServer
from enrichment_assets_tests.support.web import local_only_resolver

WEB_ENVIRONMENT = [
    "HTTP_USER_AGENT", "HTTP_CONNECT_TIMEOUT", "HTTP_READ_TIMEOUT", "HTTP_MAX_BYTES",
    "HTTP_MAX_CONCURRENCY", "HTTP_PER_HOST_CONCURRENCY", "HTTP_PER_HOST_INTERVAL",
    "HTTP_CACHE_TTL_SECONDS", "CRAWL_MAX_LINKS_PER_POST", "LINK_STRIKES_TO_BREAK",
    "LINK_CHECK_LIMIT", "LINK_BROKEN_JUMP_MIN", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
]  # fmt: skip


@pytest.fixture(autouse=True)
def clean_web_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web settings of a developer's shell must not leak into these tests."""
    for name in WEB_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def no_dns_beyond_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssrf, "system_resolver", local_only_resolver)


@pytest.fixture
def web() -> Iterator[FakeWebServer]:
    with FakeWebServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def other_loopback() -> Iterator[FakeWebServer]:
    """A server on 127.0.0.2, which is NOT in the allow list: nothing may ever reach it."""
    with FakeWebServer("127.0.0.2") as server:
        yield server


@pytest.fixture
def http_resource() -> HttpResource:
    return HttpResource(
        allow_private_hosts="127.0.0.1",
        per_host_interval=0.0,
        connect_timeout=1.0,
        read_timeout=1.0,
    )
