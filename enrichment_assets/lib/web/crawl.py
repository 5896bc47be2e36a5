"""Crawl the pages that posts link to, into `post_enrichment` rows of kind `crawl`.

One row per post. Its payload lists every page tried (URL, outcome, HTTP status, title, main
text, reason). The row's status: `completed` when at least one page gave text; `skipped` when
every page was refused for what it is (not HTML, too large, blocked by the SSRF guard, disallowed
by robots.txt, not a valid URL); `error` when pages failed (DNS, timeouts, HTTP errors), with the
reasons in `error`. A post whose links were already crawled (same link list, completed or
skipped) is left alone unless forced; errors are retried on the next run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version

from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.hashing import stable_hash
from enrichment_assets.lib.web import outcomes
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.outcomes import FetchResult, FetchStats
from enrichment_assets.lib.web.pages import extract_page
from enrichment_assets.storage import web as repository

KIND = "crawl"
PROVIDER = "httpx+trafilatura"
# Outcomes that say what a page is, not that fetching it went wrong: nothing to retry.
REFUSED_OUTCOMES = frozenset(
    {
        outcomes.NOT_HTML,
        outcomes.TOO_LARGE,
        outcomes.BLOCKED,
        outcomes.ROBOTS_DISALLOWED,
        outcomes.INVALID_URL,
    }
)


@dataclass
class CrawlSummary:
    posts_in_window: int = 0
    posts_with_links: int = 0
    unchanged: int = 0
    written: int = 0
    by_status: Counter = field(default_factory=Counter)
    pages_by_outcome: Counter = field(default_factory=Counter)
    preview: list[dict] = field(default_factory=list)


def post_links(urls: object, limit: int) -> list[str]:
    """The post's http(s) links, deduplicated, in order, at most `limit`."""
    if not isinstance(urls, list):
        return []
    seen: dict[str, None] = {}
    for url in urls:
        if isinstance(url, str) and url.strip().lower().startswith(("http://", "https://")):
            seen.setdefault(url.strip(), None)
    return list(seen)[:limit]


def page_record(result: FetchResult) -> dict:
    record = {
        "url": result.url,
        "final_url": result.final_url,
        "outcome": result.outcome,
        "status_code": result.status_code,
        "content_type": result.content_type,
        "reason": result.reason or None,
        "from_cache": result.from_cache,
        "redirects": list(result.redirects),
        "title": None,
        "text": None,
    }
    if result.outcome == outcomes.OK and result.body is not None:
        page = extract_page(result.body, result.content_type, result.final_url or result.url)
        record.update(title=page.title, text=page.text, encoding=page.encoding)
        if not page.text:
            record["reason"] = "no text could be extracted"
    return record


def crawl_row(post_id: int, links: list[str], pages: list[dict]) -> dict:
    if any(page["outcome"] == outcomes.OK and page["text"] for page in pages):
        status, error = "completed", None
    else:
        reasons = "; ".join(f"{page['url']}: {page['reason'] or page['outcome']}" for page in pages)
        refused = all(page["outcome"] in REFUSED_OUTCOMES for page in pages)
        status = "skipped" if refused else "error"
        error = reasons[:4000]
    return {
        "post_id": post_id,
        "kind": KIND,
        "status": status,
        "payload": {"pages": pages},
        "error": error,
        "provider": PROVIDER,
        "model": f"trafilatura {version('trafilatura')}",
        "prompt_version": None,
        "content_hash": stable_hash(*links),
    }


def run_crawl(
    engine: Engine, fetcher: Fetcher, start: datetime, end: datetime, **options
) -> tuple[CrawlSummary, FetchStats]:
    """One `post_crawls` run, from synchronous code: `crawl_posts` inside the fetcher's
    lifetime; returns the summary and what the fetcher did (requests, cache hits)."""

    async def crawl() -> CrawlSummary:
        async with fetcher:
            return await crawl_posts(engine, fetcher, start, end, **options)

    return asyncio.run(crawl()), fetcher.stats


async def crawl_posts(
    engine: Engine,
    fetcher: Fetcher,
    start: datetime,
    end: datetime,
    *,
    max_links_per_post: int = 3,
    force: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> CrawlSummary:
    """Crawl the links of posts published in [start, end); one committed row per post."""
    summary = CrawlSummary()
    with engine.connect() as connection:
        window = repository.post_urls_between(connection, start, end, by_id=True)
    summary.posts_in_window = len(window)
    work = [(post_id, post_links(urls, max_links_per_post)) for post_id, urls in window]
    work = [(post_id, links) for post_id, links in work if links]
    summary.posts_with_links = len(work)
    existing = {}
    if not force:
        existing = repository.crawl_states(engine, [post_id for post_id, _ in work], KIND)
    todo = []
    for post_id, links in work:
        status, previous_hash = existing.get(post_id, (None, None))
        if status in ("completed", "skipped") and previous_hash == stable_hash(*links):
            summary.unchanged += 1
        else:
            todo.append((post_id, links))
    log(f"{len(todo)} posts to crawl, {summary.unchanged} unchanged since their last crawl")

    # One fetch and one extraction per URL per run, however many posts cite it.
    records: dict[str, asyncio.Future[dict]] = {}

    async def record_for(url: str) -> dict:
        result = await fetcher.fetch_page(url)
        # Extraction is CPU work: a thread keeps the event loop serving other hosts meanwhile.
        return await asyncio.to_thread(page_record, result)

    async def crawl_one(post_id: int, links: list[str]) -> dict:
        for url in links:
            if url not in records:
                records[url] = asyncio.ensure_future(record_for(url))
        pages = await asyncio.gather(*(asyncio.shield(records[url]) for url in links))
        return crawl_row(post_id, links, [dict(page) for page in pages])

    tasks = [asyncio.ensure_future(crawl_one(post_id, links)) for post_id, links in todo]
    try:
        for finished in asyncio.as_completed(tasks):
            row = await finished
            repository.save_crawl_row(engine, row)  # one post at a time: a killed run resumes
            summary.written += 1
            summary.by_status[row["status"]] += 1
            for page in row["payload"]["pages"]:
                summary.pages_by_outcome[page["outcome"]] += 1
            if len(summary.preview) < 20:
                first = row["payload"]["pages"][0]
                summary.preview.append(
                    {
                        "post_id": row["post_id"],
                        "status": row["status"],
                        "url": first["url"],
                        "title": first["title"] or "",
                        "reason": first["reason"] or "",
                    }
                )
    finally:
        for task in [*tasks, *records.values()]:
            task.cancel()
    return summary
