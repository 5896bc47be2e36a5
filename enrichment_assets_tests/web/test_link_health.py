"""The link janitor: the strike rules alone, then against local servers, then as an asset."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.web.assets import LINK_HEALTH_JUMP_CHECK, link_health
from enrichment_assets.lib.web import outcomes
from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.link_health import (
    HealthSummary,
    LinkState,
    broken_jump,
    check_due_links,
    next_state,
    register_citations,
    verdict,
)
from enrichment_assets.lib.web.outcomes import FetchResult
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.http import HttpResource
from enrichment_assets.storage.tables import datasets, link_citations, links, posts
from enrichment_assets_tests.support.factories import insert_dataset, insert_post
from enrichment_assets_tests.support.web import make_policy

MONDAY = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
WINDOW = (datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))


def answer(status=None, outcome=None, **kwargs) -> FetchResult:
    if outcome is None:
        outcome = outcomes.OK if status is not None and status < 400 else outcomes.HTTP_ERROR
    return FetchResult("https://x.example/", outcome, status_code=status, **kwargs)


def test_verdicts():
    assert verdict(answer(200)) == "ok"
    assert verdict(answer(404)) == "strike"
    assert verdict(answer(410)) == "strike"
    assert verdict(answer(outcome=outcomes.DNS_ERROR)) == "strike"
    for weak in (
        answer(403),
        answer(429),
        answer(500),
        answer(503),
        answer(401),
        answer(outcome=outcomes.TIMEOUT),
        answer(outcome=outcomes.CONNECT_ERROR),
        answer(outcome=outcomes.DNS_UNAVAILABLE),
        answer(outcome=outcomes.ROBOTS_DISALLOWED),
    ):
        assert verdict(weak) == "inconclusive", weak
    assert verdict(answer(outcome=outcomes.BLOCKED)) == "blocked"


def test_broken_only_after_three_strikes_on_different_days():
    link = LinkState(1, "https://x.example/", "ok")
    states = []
    for day, hour in ((0, 9), (0, 15), (1, 9), (3, 9)):
        values = next_state(
            link, answer(404), MONDAY + timedelta(days=day, hours=hour - 9), 3, weak=False
        )
        link = LinkState(1, link.url, values["state"], values["strikes"], values["last_strike_on"])
        states.append((values["state"], values["strikes"]))
    # The second check on day 0 adds no strike.
    assert states == [("inconclusive", 1), ("inconclusive", 1), ("inconclusive", 2), ("broken", 3)]
    recovered = next_state(link, answer(200), MONDAY + timedelta(days=4), 3, weak=False)
    assert recovered["state"] == "ok" and recovered["strikes"] == 0


def test_inconclusive_answers_neither_strike_nor_unbreak():
    striking = LinkState(1, "u", "inconclusive", 2, date(2024, 5, 5))
    for weak_answer in (answer(403), answer(429, retry_after=7200.0), answer(503)):
        values = next_state(striking, weak_answer, MONDAY, 3, weak=False)
        assert values["state"] == "inconclusive" and values["strikes"] == 2
    broken = LinkState(1, "u", "broken", 3, date(2024, 5, 5))
    assert next_state(broken, answer(503), MONDAY, 3, weak=False)["state"] == "broken"


def test_retry_after_pushes_the_next_check_back():
    values = next_state(
        LinkState(1, "u"), answer(429, retry_after=3 * 86400.0), MONDAY, 3, weak=False
    )
    assert values["next_check_at"] == MONDAY + timedelta(days=3)
    plain = next_state(LinkState(1, "u"), answer(503), MONDAY, 3, weak=False)
    assert plain["next_check_at"] == datetime(2024, 5, 7, tzinfo=UTC)


def test_when_no_host_answers_failures_are_not_strikes():
    values = next_state(
        LinkState(1, "u"), answer(outcome=outcomes.DNS_ERROR, reason="dns"), MONDAY, 3, weak=True
    )
    assert values["state"] == "inconclusive" and values["strikes"] == 0
    assert "network down" in values["last_error"]


def test_jump_rule():
    assert broken_jump(10, 0, minimum=10)
    assert not broken_jump(9, 0, minimum=10)
    assert not broken_jump(12, 100, minimum=10)  # 12 more on top of 100 is no jump
    assert broken_jump(60, 100, minimum=10)


def link_rows(engine) -> dict[str, sa.Row]:
    with engine.connect() as connection:
        return {row.url: row for row in connection.execute(sa.select(links))}


def check(engine, now, strikes_to_break=3) -> HealthSummary:
    summary = HealthSummary()
    register_citations(engine, *WINDOW, summary)

    async def go():
        async with Fetcher(make_policy(retries=0)) as fetcher:
            await check_due_links(engine, fetcher, now, summary, strikes_to_break=strikes_to_break)

    asyncio.run(go())
    return summary


def test_links_of_posts_and_datasets_against_a_server(engine, web, other_loopback):
    ok = web.route("/ok", body=b"<html>ok</html>")
    gone = web.route("/gone", status=410)
    missing = web.route("/missing", status=404)
    walled = web.route("/walled", status=403)
    busy = web.route("/busy", status=429, headers={"Retry-After": "259200"})
    no_head = web.route("/no-head", body=b"<html></html>", head_status=405)
    sneaky = web.route("/sneaky", status=301, headers={"Location": other_loopback.url("/x")})
    insert_post(engine, "a", external_id="1", urls=[ok, gone, missing, walled])
    insert_post(engine, "b", external_id="2", urls=[busy, no_head, ok])
    insert_post(
        engine, "old", external_id="3", urls=[sneaky], published_at=datetime(2023, 1, 1, tzinfo=UTC)
    )
    insert_dataset(engine, "huggingface", "org/data", url=missing)
    insert_dataset(engine, "kaggle", "someone/set", url=sneaky)

    first = check(engine, MONDAY)
    rows = link_rows(engine)
    assert first.checked == 7 == len(rows)
    assert rows[ok].state == "ok" and rows[no_head].state == "ok"
    assert rows[gone].state == rows[missing].state == "inconclusive"
    assert rows[gone].strikes == rows[missing].strikes == 1
    assert rows[walled].state == "inconclusive" and rows[walled].strikes == 0
    assert rows[busy].state == "inconclusive" and rows[busy].status_code == 429
    assert rows[sneaky].state == "blocked" and other_loopback.requests == []
    with engine.connect() as connection:
        cited_by = set(
            connection.execute(
                sa.select(link_citations.c.entity_type).where(
                    link_citations.c.link_id == rows[missing].id
                )
            ).scalars()
        )
    assert cited_by == {"post", "dataset"}

    # Same day again: nothing is due, nothing is fetched.
    requests_before = len(web.requests)
    assert check(engine, MONDAY + timedelta(hours=2)).checked == 0
    assert len(web.requests) == requests_before

    # Next two days: only the striking and inconclusive links are due; then they break.
    second = check(engine, MONDAY + timedelta(days=1))
    assert second.checked == 3  # gone, missing, walled; busy waits out its Retry-After
    third = check(engine, MONDAY + timedelta(days=2))
    rows = link_rows(engine)
    assert rows[gone].state == rows[missing].state == "broken"
    assert rows[walled].state == "inconclusive"
    assert third.newly_broken == 2
    assert third.transitions["inconclusive → broken"] == 2
    assert {change["url"] for change in third.changes} == {gone, missing}


def test_a_dead_network_counts_no_strikes(engine):
    urls = [f"https://host{index}.invalid/page" for index in range(6)]
    insert_post(engine, "offline", external_id="1", urls=urls)
    summary = check(engine, MONDAY)
    assert summary.network_down_batches == 1
    rows = link_rows(engine)
    assert all(row.strikes == 0 and row.state == "inconclusive" for row in rows.values())
    assert all("DNS lookup" in row.last_error for row in rows.values())


def test_a_single_unknown_host_is_a_strike(engine, web):
    insert_post(engine, "x", external_id="1", urls=["https://gone.invalid/", web.route("/ok")])
    check(engine, MONDAY)
    assert link_rows(engine)["https://gone.invalid/"].strikes == 1


def test_link_health_asset_reports_changes_and_flags_a_jump(database_url, engine, web):
    dead = [web.route(f"/dead{index}", status=404) for index in range(10)]
    insert_post(engine, "many", external_id="1", urls=dead)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    summary = HealthSummary()
    register_citations(engine, *WINDOW, summary)
    with engine.begin() as connection:  # two strikes already, on earlier days
        connection.execute(
            links.update().values(
                state="inconclusive",
                strikes=2,
                last_strike_on=(yesterday - timedelta(days=1)).date(),
                last_checked_at=yesterday,
                next_check_at=yesterday,
            )
        )
    http = HttpResource(allow_private_hosts="127.0.0.1", per_host_interval=0)
    result = dg.materialize(
        [link_health],
        resources={"db": DatabaseResource(url=database_url), "http": http},
        partition_key="2024-05-01",
    )
    assert result.success
    metadata = result.asset_materializations_for_node("link_health")[0].metadata
    assert metadata["checked"].value == 10
    assert metadata["newly_broken"].value == 10
    assert metadata["transitions"].value == {"inconclusive → broken": 10}
    assert "/dead0" in metadata["changes"].value
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == LINK_HEALTH_JUMP_CHECK
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN


def test_a_link_no_longer_cited_is_withdrawn_and_not_checked(engine, web):
    kept, dropped = web.route("/kept"), web.route("/dropped")
    post_id = insert_post(engine, "x", external_id="1", urls=[kept, dropped])
    dataset_id = insert_dataset(engine, "kaggle", "a/b", url=dropped)
    check(engine, MONDAY)
    with engine.begin() as connection:  # the post is edited, the dataset moves
        connection.execute(posts.update().where(posts.c.id == post_id).values(urls=[kept]))
        connection.execute(datasets.update().where(datasets.c.id == dataset_id).values(url=None))
        connection.execute(links.update().values(next_check_at=None))
    summary = check(engine, MONDAY + timedelta(days=8))
    assert summary.withdrawn_citations == 2
    assert summary.checked == 1
    with engine.connect() as connection:
        cited = set(connection.execute(sa.select(link_citations.c.link_id)).scalars())
    assert cited == {link_rows(engine)[kept].id}
