"""The fetcher against local servers: redirects, robots.txt, slow hosts, HEAD refusers,
429 with Retry-After, huge bodies, non-UTF-8 pages, limits, the cache."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from enrichment_assets.lib.common.retry import parse_retry_after
from enrichment_assets.lib.web import outcomes
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.pages import extract_page
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import http_cache
from enrichment_assets.storage.web import DatabaseResponseCache
from enrichment_assets_tests.fakes.web import Route, html_page
from enrichment_assets_tests.support.web import make_policy

ARTICLE = html_page("A headline", ["The first paragraph of a real article. " * 5])


def run(coroutine_factory, policy=None, cache=None):
    async def go():
        async with Fetcher(policy or make_policy(), cache=cache) as fetcher:
            return await coroutine_factory(fetcher)

    return asyncio.run(go())


def page(url, **policy):
    return run(lambda f: f.fetch_page(url), make_policy(**policy))


def link(url, **policy):
    return run(lambda f: f.check_link(url), make_policy(**policy))


def test_a_page_is_fetched_with_the_project_user_agent(web):
    result = page(web.route("/a", body=ARTICLE))
    assert result.outcome == outcomes.OK and result.status_code == 200
    assert extract_page(result.body, result.content_type).title == "A headline"
    assert web.requests[-1].headers["user-agent"].startswith("enrichment_assets/")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port2}/secret",  # another loopback address, not allowed
        "http://10.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/a",
        "http://[::ffff:127.0.0.1]:{port}/a",
        "http://0x7f000001:{port}/a",
        "http://2130706433:{port}/a",
        "http://localhost:{port}/a",
    ],
)
def test_a_redirect_into_a_private_address_is_blocked(web, other_loopback, location):
    other_loopback.route("/secret", body=b"<html>internal</html>")
    web.route("/a", body=ARTICLE)
    target = location.format(port=web.port, port2=other_loopback.port)
    start = web.route("/jump", status=302, headers={"Location": target})
    for check in (page, link):
        result = check(start)
        assert result.outcome == outcomes.BLOCKED, result.reason
        assert result.redirects == (target,)
        assert "redirect to" in result.reason
    assert other_loopback.requests == []
    assert web.hits("/a") == 0


def test_redirects_within_allowed_hosts_are_followed(web):
    web.route("/new", body=ARTICLE)
    start = web.route("/old", status=301, headers={"Location": "/new"})
    result = page(start)
    assert result.outcome == outcomes.OK and result.final_url == web.url("/new")


def test_a_redirect_loop_stops(web):
    loop = web.route("/loop", status=302, headers={"Location": "/loop"})
    assert page(loop).outcome == outcomes.TOO_MANY_REDIRECTS


def test_robots_txt_disallow_is_respected(web):
    web.route(
        "/robots.txt",
        body=b"User-agent: *\nDisallow: /private/\n",
        headers={"Content-Type": "text/plain"},
    )
    private = web.route("/private/page", body=ARTICLE)
    public = web.route("/public", body=ARTICLE)

    async def both(fetcher):
        return await fetcher.fetch_page(private), await fetcher.fetch_page(public)

    blocked, allowed = run(both)
    assert blocked.outcome == outcomes.ROBOTS_DISALLOWED
    assert allowed.outcome == outcomes.OK
    assert web.hits("/private/page") == 0
    assert web.hits("/robots.txt") == 1  # once per host and run


def test_robots_txt_that_fails_with_5xx_disallows_everything(web):
    web.route("/robots.txt", status=503, body=b"down")
    url = web.route("/a", body=ARTICLE)
    assert page(url, retries=0).outcome == outcomes.ROBOTS_DISALLOWED


def test_a_slow_host_times_out_quickly(web):
    slow = web.route("/slow", body=ARTICLE, delay=5)
    started = time.monotonic()
    result = page(slow, read_timeout=0.3, retries=0, respect_robots=False)
    assert result.outcome == outcomes.TIMEOUT
    assert time.monotonic() - started < 2


def test_a_slow_drip_is_cut_by_the_total_deadline(web):
    drip = web.route("/drip", body=b"<p>x</p>", stream_chunks=100, drip_interval=0.2)
    started = time.monotonic()
    result = page(drip, total_timeout=1.0, retries=0, respect_robots=False)
    assert result.outcome == outcomes.TIMEOUT
    assert time.monotonic() - started < 3


def test_a_head_refuser_is_checked_with_get(web):
    url = web.route("/no-head", body=ARTICLE, head_status=405)
    result = link(url)
    assert result.outcome == outcomes.OK and result.status_code == 200 and result.method == "GET"
    assert [r.method for r in web.requests if r.path == "/no-head"] == ["HEAD", "GET"]


def test_429_with_a_short_retry_after_is_waited_and_retried(web):
    url = web.route(
        "/busy",
        Route(
            dynamic=lambda hit: (
                Route(429, b"slow down", {"Retry-After": "1"}) if hit == 1 else Route(200, ARTICLE)
            )
        ),
    )
    started = time.monotonic()
    result = page(url)
    assert result.outcome == outcomes.OK and result.attempts == 2
    assert time.monotonic() - started >= 1.0


def test_429_with_a_long_retry_after_is_not_slept_but_reported(web):
    url = web.route("/busy", status=429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    result = link(url)
    assert result.status_code == 429 and result.retry_after == 3600
    assert "Retry-After" in result.reason
    assert time.monotonic() - started < 2


def test_retry_after_as_an_http_date():
    now = datetime.fromtimestamp(1445412470.0, UTC)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 10.0
    assert parse_retry_after("soon") is None


def test_a_huge_body_without_length_is_cut_at_the_cap(web):
    huge = web.route("/huge", body=b"<p>" + b"x" * 65_536 + b"</p>", stream_chunks=400)  # 26 MB
    started = time.monotonic()
    result = page(huge, max_bytes=1_000_000)
    assert result.outcome == outcomes.TOO_LARGE and result.body is None
    assert time.monotonic() - started < 3


def test_a_declared_huge_body_is_not_downloaded(web):
    url = web.route("/big", body=b"x" * 2_000_000)
    result = page(url, max_bytes=1_000_000)
    assert result.outcome == outcomes.TOO_LARGE and "Content-Length" in result.reason


def test_a_big_file_is_still_a_live_link(web):
    url = web.route("/big", body=b"x" * 2_000_000, headers={"Content-Type": "application/zip"})
    assert link(url, max_bytes=1_000_000).outcome == outcomes.OK


def test_non_html_is_refused_before_the_body(web):
    url = web.route(
        "/paper.pdf", body=b"%PDF-1.7" * 1000, headers={"Content-Type": "application/pdf"}
    )
    result = page(url)
    assert result.outcome == outcomes.NOT_HTML and "application/pdf" in result.reason


def test_non_utf8_pages_are_decoded(web):
    russian = "Новости дня: рынок вырос, погода хорошая, всё спокойно."
    cp1251 = web.route(
        "/ru",
        body=html_page("Заголовок", [russian * 3], charset="windows-1251"),
        headers={"Content-Type": "text/html; charset=windows-1251"},
    )
    undeclared = web.route(
        "/fr",
        body="<html><title>Café</title><body><p>Un café très noir, s'il vous plaît.</p></body>"
        "</html>".encode("latin-1"),
        headers={"Content-Type": "text/html"},
    )
    for url, title, words in ((cp1251, "Заголовок", "рынок вырос"), (undeclared, "Café", "très")):
        result = page(url)
        extracted = extract_page(result.body, result.content_type)
        assert extracted.title == title
        assert words in extracted.text


def test_per_host_concurrency_is_bounded(web):
    urls = [web.route(f"/p{i}", body=ARTICLE, delay=0.2) for i in range(12)]

    async def all_pages(fetcher):
        return await asyncio.gather(*(fetcher.fetch_page(url) for url in urls))

    started = time.monotonic()
    results = run(all_pages, make_policy(per_host_concurrency=3, respect_robots=False))
    elapsed = time.monotonic() - started
    assert all(r.outcome == outcomes.OK for r in results)
    assert 0.8 <= elapsed < 2.0  # 12 requests, 3 at a time, 0.2 s each: 4 rounds


def test_per_host_pacing_spaces_request_starts(web):
    urls = [web.route(f"/q{i}", body=ARTICLE) for i in range(5)]

    async def all_pages(fetcher):
        return await asyncio.gather(*(fetcher.fetch_page(url) for url in urls))

    started = time.monotonic()
    run(all_pages, make_policy(per_host_interval=0.2, respect_robots=False))
    assert time.monotonic() - started >= 0.8  # 5 starts, 0.2 s apart


def test_the_same_url_is_fetched_once_per_run(web):
    url = web.route("/same", body=ARTICLE, delay=0.1)

    async def many(fetcher):
        return await asyncio.gather(*(fetcher.fetch_page(url) for _ in range(5)))

    run(many, make_policy(respect_robots=False))
    assert web.hits("/same") == 1


def test_the_response_cache_holds_across_fetchers_and_expires(web, tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    upgrade_to_head(engine)
    cache = DatabaseResponseCache(engine)
    url = web.route("/cached", body=ARTICLE)
    first = run(lambda f: f.fetch_page(url), cache=cache)
    second = run(lambda f: f.fetch_page(url), cache=cache)
    assert not first.from_cache and second.from_cache and second.body == first.body
    assert web.hits("/cached") == 1 and web.hits("/robots.txt") == 1
    with engine.begin() as connection:  # time passes beyond the TTL
        connection.execute(http_cache.update().values(expires_at=datetime.now(UTC)))
    third = run(lambda f: f.fetch_page(url), cache=cache)
    assert not third.from_cache and web.hits("/cached") == 2
    engine.dispose()


def test_a_transient_error_is_not_cached_a_missing_page_is(web, tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'cache.db'}")
    upgrade_to_head(engine)
    cache = DatabaseResponseCache(engine)
    busy = web.route("/busy", status=502, body=b"try later")
    gone = web.route("/gone", status=404, body=b"no such page")
    for _ in range(2):
        assert run(lambda f: f.fetch_page(busy), cache=cache).status_code == 502
        assert run(lambda f: f.fetch_page(gone), cache=cache).status_code == 404
    assert web.hits("/busy") == 2 and web.hits("/gone") == 1
    engine.dispose()


def test_connection_refused_is_reported(web):
    result = page("http://127.0.0.1:9/", retries=0)  # discard port: nothing listens
    assert result.outcome == outcomes.CONNECT_ERROR


def test_robots_crawl_delay_paces_the_host(web):
    web.route(
        "/robots.txt",
        body=b"User-agent: *\nCrawl-delay: 0.3\n",
        headers={"Content-Type": "text/plain"},
    )
    urls = [web.route(f"/d{i}", body=ARTICLE) for i in range(4)]

    async def all_pages(fetcher):
        return await asyncio.gather(*(fetcher.fetch_page(url) for url in urls))

    started = time.monotonic()
    results = run(all_pages)
    assert all(r.outcome == outcomes.OK for r in results)
    assert time.monotonic() - started >= 0.85  # 4 starts, 0.3 s apart
