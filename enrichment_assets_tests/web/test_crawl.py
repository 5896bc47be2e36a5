"""`post_crawls` through Dagster, on SQLite and PostgreSQL, against a local server."""

from __future__ import annotations

import time

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.web.assets import post_crawls
from enrichment_assets.lib.web.crawl import post_links
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.http import HttpResource
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import post_enrichment
from enrichment_assets_tests.fakes.web import html_page
from enrichment_assets_tests.support.factories import insert_post

DAY = "2024-05-01"


def materialize(database_url, http, run_config=None):
    return dg.materialize(
        [post_crawls],
        resources={"db": DatabaseResource(url=database_url), "http": http},
        partition_key=DAY,
        run_config=run_config,
    )


def crawl_rows(engine) -> dict[int, sa.Row]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(post_enrichment).where(post_enrichment.c.kind == "crawl")
        )
        return {row.post_id: row for row in rows}


def test_post_links_keeps_http_links_once_and_in_order():
    urls = ["https://a.example/x", "mailto:me@x", "https://a.example/x", "http://b.example/", 7]
    assert post_links(urls, 5) == ["https://a.example/x", "http://b.example/"]
    assert post_links("not a list", 5) == []


def test_posts_are_crawled_with_a_status_and_reason_per_page(
    database_url, engine, web, other_loopback, http_resource
):
    web.route(
        "/robots.txt",
        body=b"User-agent: *\nDisallow: /members/\n",
        headers={"Content-Type": "text/plain"},
    )
    article = web.route("/article", body=html_page("Rates rise", ["The bank raised rates. " * 8]))
    pdf = web.route("/report.pdf", body=b"%PDF", headers={"Content-Type": "application/pdf"})
    huge = web.route("/huge", body=b"<p>" + b"y" * 65_536 + b"</p>", stream_chunks=200)
    jump = web.route("/go", status=302, headers={"Location": other_loopback.url("/internal")})
    members = web.route("/members/only", body=html_page("Members", ["secret"]))
    missing = web.route("/gone", status=404, body=b"no")
    posts = {
        "ok": insert_post(engine, "read this", external_id="1", urls=[article, pdf]),
        "pdf": insert_post(engine, "a report", external_id="2", urls=[pdf]),
        "huge": insert_post(engine, "big", external_id="3", urls=[huge]),
        "blocked": insert_post(engine, "sneaky", external_id="4", urls=[jump]),
        "robots": insert_post(engine, "members", external_id="5", urls=[members]),
        "missing": insert_post(engine, "dead", external_id="6", urls=[missing]),
        "dns": insert_post(engine, "nowhere", external_id="7", urls=["https://nowhere.invalid/"]),
        "none": insert_post(engine, "no links", external_id="8", urls=[]),
    }
    http = HttpResource(allow_private_hosts="127.0.0.1", per_host_interval=0, max_bytes=1_000_000)

    result = materialize(database_url, http)
    assert result.success
    rows = crawl_rows(engine)
    assert posts["none"] not in rows

    ok = rows[posts["ok"]]
    assert ok.status == "completed" and ok.error is None
    first, second = ok.payload["pages"]
    assert first["title"] == "Rates rise" and "raised rates" in first["text"]
    assert second["outcome"] == "not_html"

    expected = {
        "pdf": ("skipped", "not_html", "application/pdf"),
        "huge": ("skipped", "too_large", "cap"),
        "blocked": ("skipped", "blocked", "127.0.0.2"),
        "robots": ("skipped", "robots_disallowed", "robots.txt"),
        "missing": ("error", "http_error", "HTTP 404"),
        "dns": ("error", "dns_error", "nowhere.invalid"),
    }
    for name, (status, outcome, words) in expected.items():
        row = rows[posts[name]]
        assert row.status == status, (name, row.status, row.error)
        assert row.payload["pages"][0]["outcome"] == outcome
        assert words in row.error
    assert other_loopback.requests == []

    metadata = result.asset_materializations_for_node("post_crawls")[0].metadata
    assert metadata["dagster/row_count"].value == metadata["crawled"].value == 7
    assert metadata["by_status"].value == {"completed": 1, "skipped": 4, "error": 2}

    # A second run: finished posts are left alone, failed ones are tried again.
    hits_before = web.hits("/article")
    again = materialize(database_url, http)
    again_metadata = again.asset_materializations_for_node("post_crawls")[0].metadata
    assert again_metadata["unchanged"].value == 5
    assert again_metadata["crawled"].value == 2
    assert web.hits("/article") == hits_before
    assert len(crawl_rows(engine)) == 7

    # Forced: everything again, but pages come from the response cache.
    forced = materialize(database_url, http, {"ops": {"post_crawls": {"config": {"force": True}}}})
    forced_metadata = forced.asset_materializations_for_node("post_crawls")[0].metadata
    assert forced_metadata["crawled"].value == 7
    assert forced_metadata["cache_hits"].value >= 2
    assert web.hits("/article") == hits_before


def test_offline_links_are_recorded_quickly_not_crashing(sqlite_url):
    """The embedded default: every sample link is unreachable (the web conftest's resolver
    answers as an offline machine's does: no such name)."""
    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    for index in range(30):
        insert_post(
            engine,
            f"post {index}",
            external_id=str(index),
            urls=[f"https://site{index}.invalid/story/{index}", "https://shared.invalid/"],
        )
    started = time.monotonic()
    result = materialize(sqlite_url, HttpResource())
    assert result.success
    assert time.monotonic() - started < 20
    rows = crawl_rows(engine)
    assert len(rows) == 30
    assert {row.status for row in rows.values()} == {"error"}
    assert all("DNS lookup" in row.error for row in rows.values())
    # Run again (make demo twice): failures are retried, fail the same way, and no row changes.
    assert materialize(sqlite_url, HttpResource()).success
    again = crawl_rows(engine)
    assert {key: row.updated_at for key, row in again.items()} == {
        key: row.updated_at for key, row in rows.items()
    }
    engine.dispose()
