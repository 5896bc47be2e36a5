"""The `http` resource reads its settings from the environment at run time."""

from __future__ import annotations

import pytest

from enrichment_assets.lib.web.policy import DEFAULT_USER_AGENT
from enrichment_assets.resources.http import HttpResource


def test_defaults_with_nothing_set():
    policy = HttpResource().policy()
    assert policy.user_agent == DEFAULT_USER_AGENT
    assert policy.allowed_hosts == ()
    assert (policy.per_host_concurrency, policy.max_bytes, policy.cache_ttl) == (
        4,
        5_000_000,
        86400,
    )


def test_environment_and_fields(monkeypatch):
    monkeypatch.setenv("HTTP_ALLOW_PRIVATE_HOSTS", " 127.0.0.1 , localhost,")
    monkeypatch.setenv("HTTP_PER_HOST_CONCURRENCY", "2")
    monkeypatch.setenv("HTTP_USER_AGENT", "enrichment_assets (ops@example.org)")
    policy = HttpResource(max_bytes=1000).policy()
    assert policy.allowed_hosts == ("127.0.0.1", "localhost")
    assert policy.per_host_concurrency == 2 and policy.max_bytes == 1000
    assert policy.user_agent == "enrichment_assets (ops@example.org)"
    # A field set on the resource wins over the environment; an empty allow list stays empty.
    assert HttpResource(allow_private_hosts="").policy().allowed_hosts == ()


@pytest.mark.parametrize("value", ["four", "0"])
def test_bad_numbers_name_the_setting(monkeypatch, value):
    monkeypatch.setenv("HTTP_PER_HOST_CONCURRENCY", value)
    with pytest.raises(ValueError, match="HTTP_PER_HOST_CONCURRENCY"):
        HttpResource().policy()
