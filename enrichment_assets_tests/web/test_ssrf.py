"""The SSRF guard, alone and in front of real requests to local servers."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpcore
import pytest

from enrichment_assets.lib.web import outcomes
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.pinned_transport import PinnedNetworkBackend
from enrichment_assets.lib.web.ssrf import DnsFailure, SsrfGuard, UrlRefused, forbidden_reason
from enrichment_assets_tests.support.web import make_policy


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    ],
)
def test_every_non_public_address_is_forbidden(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111"])
def test_public_addresses_pass(address):
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def check(guard: SsrfGuard, url: str):
    return asyncio.run(guard.check(url))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.2:8080/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://0x7f000001/",  # hex
        "http://2130706433/",  # decimal
        "http://127.1/",  # short form
        "http://localhost/",  # a real DNS answer that is loopback
    ],
)
def test_loopback_private_and_obfuscated_forms_are_blocked(url):
    with pytest.raises(UrlRefused) as refused:
        check(SsrfGuard(), url)
    assert refused.value.outcome == "blocked"


def test_octal_ip_forms_are_refused_by_the_parser_itself():
    # httpx's parser (which sends the request) rejects leading-zero octets outright.
    with pytest.raises(UrlRefused) as refused:
        check(SsrfGuard(), "http://0177.0.0.1/")
    assert refused.value.outcome == "invalid_url"


@pytest.mark.parametrize(
    "url",
    [
        "http://0x7f000001/",
        "http://2130706433/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost/",
        "http://127.0.0.2/",
    ],
)
def test_allowing_127_0_0_1_allows_that_spelling_only(url):
    guard = SsrfGuard(allowed_hosts=["127.0.0.1"])
    assert check(guard, "http://127.0.0.1:9/").addresses == ("127.0.0.1",)
    with pytest.raises(UrlRefused):
        check(guard, url)


def test_a_dns_answer_that_is_private_is_blocked():
    async def resolver(host, port):
        return {"intranet.example": ["10.1.2.3"], "mixed.example": ["8.8.8.8", "192.168.0.7"]}[host]

    guard = SsrfGuard(resolver=resolver)
    with pytest.raises(UrlRefused, match=r"10\.1\.2\.3"):
        check(guard, "https://intranet.example/")
    # One private address among public ones is enough: the client could connect to any.
    with pytest.raises(UrlRefused, match=r"192\.168\.0\.7"):
        check(guard, "https://mixed.example/")


def test_a_public_dns_answer_is_pinned():
    async def resolver(host, port):
        return ["93.184.216.34"]

    target = check(SsrfGuard(resolver=resolver), "https://news.example/a")
    assert target.addresses == ("93.184.216.34",) and target.port == 443


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "http://", "gopher://x/"]
)
def test_non_http_urls_are_invalid(url):
    with pytest.raises(UrlRefused) as refused:
        check(SsrfGuard(), url)
    assert refused.value.outcome == "invalid_url"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), True),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), False),
    ],
)
def test_no_such_name_is_permanent_a_failing_resolver_is_not(error, permanent):
    async def resolver(host, port):
        raise error

    with pytest.raises(DnsFailure) as failure:
        check(SsrfGuard(resolver=resolver), "https://no-such-host.invalid/")
    assert failure.value.permanent is permanent


def test_a_resolver_that_does_not_answer_times_out():
    async def resolver(host, port):
        await asyncio.sleep(5)

    with pytest.raises(DnsFailure, match="timed out") as failure:
        check(SsrfGuard(resolver=resolver, dns_timeout=0.1), "https://slow-dns.example/")
    assert not failure.value.permanent


def test_one_lookup_per_host_for_many_urls():
    asked: list[str] = []

    async def resolver(host, port):
        asked.append(host)
        await asyncio.sleep(0.05)
        return ["93.184.216.34"]

    guard = SsrfGuard(resolver=resolver)

    async def many():
        return await asyncio.gather(*(guard.check(f"https://a.example/{i}") for i in range(10)))

    assert len(asyncio.run(many())) == 10
    assert asked == ["a.example"]


def test_connection_goes_to_the_checked_address_not_a_second_lookup(web):
    """DNS rebinding: the guard resolves once; the connection uses that answer. The name
    below resolves nowhere in the system resolver, so the request can only succeed if the
    pinned address is used; the resolver is asked once per request."""
    web.route("/page", body=b"<html><title>pinned</title><p>hello</p></html>")
    asked: list[str] = []

    async def resolver(host, port):
        asked.append(host)
        return ["127.0.0.1"]

    guard = SsrfGuard(allowed_hosts=["rebind.test"], resolver=resolver)

    async def go():
        async with Fetcher(make_policy(respect_robots=False), guard=guard) as fetcher:
            return await fetcher.fetch_page(f"http://rebind.test:{web.port}/page")

    result = asyncio.run(go())
    assert result.outcome == outcomes.OK, result.reason
    assert asked == ["rebind.test"]
    assert web.requests[-1].headers["host"] == f"rebind.test:{web.port}"


def test_unpinned_hosts_are_never_connected(web):
    backend = PinnedNetworkBackend({})

    async def go():
        await backend.connect_tcp("127.0.0.1", web.port)

    with pytest.raises(httpcore.ConnectError, match="not checked"):
        asyncio.run(go())
    assert web.requests == []
