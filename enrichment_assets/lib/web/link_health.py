"""The link janitor: which cited links still work, without crying wolf.

Public link checkers are mostly noise (bot walls answer 403, rate limits 429, many servers
refuse HEAD), so a link is judged like this:
- HEAD first, GET (headers only) where HEAD is refused (400/403/405/406/501);
- a 2xx/3xx answer: `ok`, strikes cleared;
- 404, 410 or a name that does not exist: one *strike*, at most one per UTC day;
  `broken` only after `strikes_to_break` strikes on different days;
- 403, 429, 5xx, other 4xx, timeouts, refused connections, robots.txt disallow: `inconclusive`,
  strikes unchanged (a broken link stays broken on such weak evidence); a `Retry-After` pushes
  the next check back;
- an address the SSRF guard refuses: `blocked`, never fetched;
- and when not one host of a batch (of at least `NETWORK_DOWN_MIN_HOSTS`) answered at all, the
  trouble is this machine's network, not the web: nothing counts as a strike.
State lives in `links` (one row per URL) and `link_citations` (which posts and datasets cite it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import httpx
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.lib.web import outcomes
from enrichment_assets.lib.web.crawl import post_links
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.outcomes import FetchResult, FetchStats
from enrichment_assets.storage import web as repository

OK, BROKEN, INCONCLUSIVE, BLOCKED, UNCHECKED = (
    "ok",
    "broken",
    "inconclusive",
    "blocked",
    "unchecked",
)
STRIKE_CODES = frozenset({404, 410})
MAX_URL_LENGTH = 2048  # longer URLs are not links anyone clicks; they also outgrow B-tree keys
NETWORK_DOWN_MIN_HOSTS = 5
RECHECK_OK = timedelta(days=7)
RECHECK_BROKEN = timedelta(days=7)
RECHECK_BLOCKED = timedelta(days=30)


@dataclass(frozen=True)
class LinkState:
    id: int
    url: str
    state: str = UNCHECKED
    strikes: int = 0
    last_strike_on: date | None = None


@dataclass
class HealthSummary:
    registered_links: int = 0
    registered_citations: int = 0
    withdrawn_citations: int = 0
    checked: int = 0
    by_verdict: Counter = field(default_factory=Counter)
    by_state: Counter = field(default_factory=Counter)
    transitions: Counter = field(default_factory=Counter)
    changes: list[dict] = field(default_factory=list)
    newly_broken: int = 0
    broken_before: int = 0
    broken_after: int = 0
    network_down_batches: int = 0
    skipped_long_urls: int = 0


def verdict(result: FetchResult) -> str:
    """ok | strike | inconclusive | blocked | invalid."""
    if result.outcome in (outcomes.BLOCKED,):
        return "blocked"
    if result.outcome == outcomes.INVALID_URL:
        return "invalid"
    if result.outcome == outcomes.DNS_ERROR:
        return "strike"
    if result.status_code is not None:
        if result.status_code < 400:
            return "ok"
        if result.status_code in STRIKE_CODES:
            return "strike"
    return "inconclusive"


def _next_day(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)


def next_state(
    link: LinkState, result: FetchResult, now: datetime, strikes_to_break: int, *, weak: bool
) -> dict:
    """The new column values for `link` after `result`. `weak`: the batch saw no host answer,
    so a failure says nothing about this link."""
    today = now.date()
    judged = verdict(result)
    if weak and judged == "strike":
        judged = "inconclusive"
    reason = result.reason or (f"HTTP {result.status_code}" if result.status_code else "")
    values = {
        "status_code": result.status_code,
        "last_checked_at": now,
        "strikes": link.strikes,
        "last_strike_on": link.last_strike_on,
    }
    if judged == "ok":
        values.update(state=OK, strikes=0, last_strike_on=None, last_error=None)
        values["next_check_at"] = now + RECHECK_OK
    elif judged == "invalid":
        values.update(state=BROKEN, last_error=reason, next_check_at=now + RECHECK_BROKEN)
    elif judged == "blocked":
        values.update(state=BLOCKED, last_error=reason, next_check_at=now + RECHECK_BLOCKED)
    elif judged == "strike":
        strikes = link.strikes
        if link.last_strike_on != today:  # one strike per day, however often it is checked
            strikes += 1
        state = BROKEN if strikes >= strikes_to_break else INCONCLUSIVE
        values.update(state=state, strikes=strikes, last_strike_on=today)
        values["last_error"] = f"{reason} (strike {strikes} of {strikes_to_break})"
        values["next_check_at"] = now + RECHECK_BROKEN if state == BROKEN else _next_day(now)
    else:
        state = BROKEN if link.state == BROKEN else INCONCLUSIVE
        if weak:
            reason = f"{reason}; no host answered in this batch (network down?): no strike"
        values.update(state=state, last_error=reason)
        retry_at = now + timedelta(seconds=result.retry_after or 0)
        values["next_check_at"] = max(_next_day(now), retry_at)
    return values


def _host(url: str) -> str | None:
    try:
        return httpx.URL(url).host or None
    except (httpx.InvalidURL, TypeError, ValueError):
        return None


def register_citations(
    engine: Engine, start: datetime, end: datetime, summary: HealthSummary
) -> None:
    """Links cited by posts published in [start, end) and by every dataset, into `links` and
    `link_citations` (inserted once; existing rows untouched)."""
    cited: list[tuple[str, str, int]] = []
    post_ids: list[int] = []
    with engine.connect() as connection:
        for post_id, urls in repository.post_urls_between(connection, start, end):
            post_ids.append(post_id)
            cited += [("post", url, post_id) for url in post_links(urls, 1000)]
        for dataset_id, url in repository.dataset_urls(connection):
            cited += [("dataset", url, dataset_id) for url in post_links([url], 1)]
    kept = [item for item in cited if len(item[1]) <= MAX_URL_LENGTH]
    summary.skipped_long_urls += len(cited) - len(kept)
    for offset in range(0, len(kept), 500):
        chunk = kept[offset : offset + 500]
        urls = sorted({url for _, url, _ in chunk})
        with engine.begin() as connection:
            ids = repository.register_links(connection, {url: _host(url) for url in urls})
            citations = {
                (ids[url], entity_type, entity_id) for entity_type, url, entity_id in chunk
            }
            repository.add_citations(connection, sorted(citations))
        summary.registered_links += len(urls)
        summary.registered_citations += len(citations)
    summary.withdrawn_citations += _withdraw_stale_citations(engine, post_ids, kept)


def _withdraw_stale_citations(
    engine: Engine, post_ids: list[int], kept: list[tuple[str, str, int]]
) -> int:
    """Citations of the window's posts and of datasets that no longer list the URL (an edited
    post, a dataset that moved): removed, so a link nobody cites stops being checked."""
    current = {(entity_type, entity_id, url) for entity_type, url, entity_id in kept}
    stale = [
        (link_id, entity_type, entity_id)
        for link_id, entity_type, entity_id, url in repository.citations_of(engine, post_ids)
        if (entity_type, entity_id, url) not in current
    ]
    repository.delete_citations(engine, stale)
    return len(stale)


def due_links(connection: Connection, now: datetime, limit: int) -> list[LinkState]:
    return [LinkState(*row) for row in repository.due_links(connection, now, limit)]


def broken_count(connection: Connection) -> int:
    return repository.count_links_in_state(connection, BROKEN)


def run_link_health(
    engine: Engine,
    fetcher: Fetcher,
    start: datetime,
    end: datetime,
    now: datetime,
    **options,
) -> tuple[HealthSummary, FetchStats]:
    """One `link_health` run, from synchronous code: register the citations of the posts
    published in [start, end) and of every dataset, then check every link that is due
    (`check_due_links` options: strikes_to_break, limit, log)."""
    summary = HealthSummary()
    register_citations(engine, start, end, summary)

    async def check() -> None:
        async with fetcher:
            await check_due_links(engine, fetcher, now, summary, **options)

    asyncio.run(check())
    return summary, fetcher.stats


async def check_due_links(
    engine: Engine,
    fetcher: Fetcher,
    now: datetime,
    summary: HealthSummary,
    *,
    strikes_to_break: int = 3,
    limit: int = 5000,
    batch_size: int = 500,
    log: Callable[[str], None] = lambda message: None,
) -> None:
    """Check the links that are due, batch by batch, committing each batch."""
    with engine.connect() as connection:
        due = due_links(connection, now, limit)
        summary.broken_before = broken_count(connection)
    log(f"{len(due)} links due for a check")
    for offset in range(0, len(due), batch_size):
        batch = due[offset : offset + batch_size]
        results = await asyncio.gather(*(fetcher.check_link(link.url) for link in batch))
        hosts = {_host(link.url) for link in batch} - {None}
        weak = len(hosts) >= NETWORK_DOWN_MIN_HOSTS and not any(r.responded for r in results)
        if weak:
            summary.network_down_batches += 1
            log(f"no host of {len(hosts)} answered: network down? no strikes counted")
        with engine.begin() as connection:
            for link, result in zip(batch, results, strict=True):
                values = next_state(link, result, now, strikes_to_break, weak=weak)
                repository.update_link(connection, link.id, values)
                summary.checked += 1
                judged = verdict(result)
                if weak and judged == "strike":
                    judged = "no strike: network down"
                summary.by_verdict[judged] += 1
                summary.by_state[values["state"]] += 1
                if values["state"] != link.state:
                    summary.transitions[f"{link.state} → {values['state']}"] += 1
                    if values["state"] == BROKEN:
                        summary.newly_broken += 1
                    if len(summary.changes) < 50:
                        summary.changes.append(
                            {
                                "url": link.url,
                                "from": link.state,
                                "to": values["state"],
                                "strikes": values["strikes"],
                                "reason": values.get("last_error") or "",
                            }
                        )
    with engine.connect() as connection:
        summary.broken_after = broken_count(connection)


def broken_jump(newly_broken: int, broken_before: int, minimum: int, ratio: float = 0.5) -> bool:
    """A jump: at least `minimum` links broke in one run, and more than `ratio` × those already
    broken (a site reorganised, or the checker itself is wrong)."""
    return newly_broken >= minimum and newly_broken > ratio * broken_before
