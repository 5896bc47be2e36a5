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
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.lib.web import fetch
from enrichment_assets.lib.web.crawl import post_links
from enrichment_assets.lib.web.fetch import FetchResult
from enrichment_assets.storage.tables import datasets, link_citations, links, posts
from enrichment_assets.storage.upsert import upsert

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
    if result.outcome in (fetch.BLOCKED,):
        return "blocked"
    if result.outcome == fetch.INVALID_URL:
        return "invalid"
    if result.outcome == fetch.DNS_ERROR:
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
        for row in connection.execute(
            sa.select(posts.c.id, posts.c.urls).where(
                posts.c.published_at >= start, posts.c.published_at < end
            )
        ):
            post_ids.append(row.id)
            cited += [("post", url, row.id) for url in post_links(row.urls, 1000)]
        for row in connection.execute(
            sa.select(datasets.c.id, datasets.c.url).where(datasets.c.url.is_not(None))
        ):
            cited += [("dataset", url, row.id) for url in post_links([row.url], 1)]
    kept = [item for item in cited if len(item[1]) <= MAX_URL_LENGTH]
    summary.skipped_long_urls += len(cited) - len(kept)
    for offset in range(0, len(kept), 500):
        chunk = kept[offset : offset + 500]
        urls = sorted({url for _, url, _ in chunk})
        with engine.begin() as connection:
            upsert(
                connection,
                links,
                [{"url": url, "host": _host(url)} for url in urls],
                key=["url"],
                update=["host"],
                only_if_changed=["host"],  # an existing link is left as it is
            )
            ids = {
                url: link_id
                for url, link_id in connection.execute(
                    sa.select(links.c.url, links.c.id).where(links.c.url.in_(urls))
                )
            }
            citations = {
                (ids[url], entity_type, entity_id) for entity_type, url, entity_id in chunk
            }
            upsert(
                connection,
                link_citations,
                [
                    {"link_id": link_id, "entity_type": entity_type, "entity_id": entity_id}
                    for link_id, entity_type, entity_id in sorted(citations)
                ],
                key=["link_id", "entity_type", "entity_id"],
                update=[],
            )
        summary.registered_links += len(urls)
        summary.registered_citations += len(citations)
    summary.withdrawn_citations += _withdraw_stale_citations(engine, post_ids, kept)


def _withdraw_stale_citations(
    engine: Engine, post_ids: list[int], kept: list[tuple[str, str, int]]
) -> int:
    """Citations of the window's posts and of datasets that no longer list the URL (an edited
    post, a dataset that moved): removed, so a link nobody cites stops being checked."""
    current = {(entity_type, entity_id, url) for entity_type, url, entity_id in kept}
    query = sa.select(
        link_citations.c.link_id,
        link_citations.c.entity_type,
        link_citations.c.entity_id,
        links.c.url,
    ).join(links, links.c.id == link_citations.c.link_id)
    stale: list[tuple[int, str, int]] = []
    with engine.connect() as connection:
        selections = [query.where(link_citations.c.entity_type == "dataset")]
        selections += [
            query.where(
                link_citations.c.entity_type == "post",
                link_citations.c.entity_id.in_(post_ids[offset : offset + 500]),
            )
            for offset in range(0, len(post_ids), 500)
        ]
        for selection in selections:
            stale += [
                (row.link_id, row.entity_type, row.entity_id)
                for row in connection.execute(selection)
                if (row.entity_type, row.entity_id, row.url) not in current
            ]
    key = sa.tuple_(
        link_citations.c.link_id, link_citations.c.entity_type, link_citations.c.entity_id
    )
    for offset in range(0, len(stale), 500):
        with engine.begin() as connection:
            connection.execute(link_citations.delete().where(key.in_(stale[offset : offset + 500])))
    return len(stale)


def due_links(connection: Connection, now: datetime, limit: int) -> list[LinkState]:
    cited = sa.exists().where(link_citations.c.link_id == links.c.id)
    rows = connection.execute(
        sa.select(links.c.id, links.c.url, links.c.state, links.c.strikes, links.c.last_strike_on)
        .where(cited, sa.or_(links.c.next_check_at.is_(None), links.c.next_check_at <= now))
        .order_by(links.c.next_check_at.is_not(None), links.c.next_check_at, links.c.id)
        .limit(limit)
    )
    return [LinkState(row.id, row.url, row.state, row.strikes, row.last_strike_on) for row in rows]


def broken_count(connection: Connection) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(links).where(links.c.state == BROKEN)
    ).scalar_one()


async def check_due_links(
    engine: Engine,
    fetcher: fetch.Fetcher,
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
                connection.execute(
                    links.update()
                    .where(links.c.id == link.id)
                    .values(**values, updated_at=sa.func.now())
                )
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
