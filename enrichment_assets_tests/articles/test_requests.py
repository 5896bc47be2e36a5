"""Article requests as the command, the UI's job and `trending_topics` make them: what a bad
request is told, and partition keys that stay unique, URL-safe and short whatever the topic,
on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from enrichment_assets.lib.articles.requests import (
    MAX_KEYWORDS,
    MAX_TOPIC_CHARS,
    BadRequest,
    clean_request,
    decide,
    make_request,
)
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading
from enrichment_assets.storage.tables import article_requests

# Dagster refuses these in a partition key; a URL path segment wants none of "/?#%" either.
URL_SAFE_KEY = re.compile(r"^r[0-9]+-[a-z0-9]+(-[a-z0-9]+)*$")

HOSTILE_TOPICS = [
    "Повінь у Києві: 80 000 людей евакуйовано",
    "🌊🌊🌊 floods 🌊",
    "?!... /// %%% ###",
    "x" * MAX_TOPIC_CHARS,
    " ".join(["word"] * 60)[:MAX_TOPIC_CHARS],
    "'; DROP TABLE article_requests; --",
    "Robert'); DELETE FROM articles WHERE ('1'='1",
    "a/b\\c?d#e%20f&g=h",
    "line one\nline two\ttabbed\r\n",
    "zero\u200bwidth \u202eright-to-left\u202c",
    "nul\x00byte and bell\x07",
    "bytes the shell could not decode \udcff\udcfe",
    "Café Ñandú naïve façade",
]


@pytest.mark.parametrize(
    ("topic", "keywords", "priority", "message"),
    [
        ("", [], "normal", "topic is empty"),
        ("   \n\t ", [], "normal", "topic is empty"),
        ("\x00\x01", [], "normal", "topic is empty"),
        ("x" * (MAX_TOPIC_CHARS + 1), [], "normal", f"at most {MAX_TOPIC_CHARS}"),
        ("Floods", [], "urgent", "priority must be one of low, normal, high, got 'urgent'"),
        ("Floods", [f"k{i}" for i in range(MAX_KEYWORDS + 1)], "normal", f"at most {MAX_KEYWORDS}"),
    ],
)
def test_a_bad_request_is_refused_with_a_message_naming_the_field(
    topic, keywords, priority, message
):
    with pytest.raises(BadRequest) as raised:
        clean_request(topic, keywords, priority)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_request_is_cleaned_to_one_line_with_unique_keywords():
    topic, keywords, priority = clean_request(
        "  Floods\n in   Kyiv ", " floods, shelters,,floods ,  ", " HIGH "
    )
    assert (topic, keywords, priority) == ("Floods in Kyiv", ["floods", "shelters"], "high")
    # Twelve distinct keywords are allowed, repeats do not count.
    assert len(clean_request("t", [f"k{i % 12}" for i in range(30)], "low")[1]) == MAX_KEYWORDS
    assert clean_request("t", None, "")[1:] == ([], "normal")


def test_hostile_topics_get_unique_url_safe_short_partition_keys(engine):
    rows = [make_request(engine, topic, ["k\x00w", "kw"]) for topic in HOSTILE_TOPICS]
    again = make_request(engine, HOSTILE_TOPICS[0])
    keys = [row.partition_key for row in [*rows, again]]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert URL_SAFE_KEY.match(key), key
        assert len(key) <= 64
        assert key.isascii()
    # The text is kept as asked (one line, no control characters), not the slug.
    by_key = {row.partition_key: row for row in rows}
    with reading(engine) as connection:
        stored = {r.partition_key: r for r in repository.list_requests(connection)}
    assert set(stored) == set(keys)
    assert stored[rows[0].partition_key].topic == HOSTILE_TOPICS[0]
    assert stored[rows[5].partition_key].topic == HOSTILE_TOPICS[5]
    assert len(stored[rows[3].partition_key].topic) == MAX_TOPIC_CHARS
    assert stored[rows[8].partition_key].topic == "line one line two tabbed"
    assert stored[rows[10].partition_key].topic == "nul byte and bell"
    assert stored[rows[11].partition_key].topic == "bytes the shell could not decode"
    assert all(r.keywords == ["k w", "kw"] for r in by_key.values())
    assert all(r.status == "pending" and r.version == 1 for r in rows)
    # The SQL-looking topics were data: every table is still there with every row.
    with reading(engine) as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(article_requests))
        assert count.scalar_one() == len(keys)
    # A topic with words keeps them in its key; one with none readable gets "topic".
    assert keys[5].endswith("-drop-table-article-requests")
    assert keys[2].endswith("-topic") and keys[1].endswith("-floods")
    assert keys[12].endswith("-cafe-nandu-naive-facade")


def test_approve_at_once_and_who_asked_are_recorded(engine):
    row = make_request(
        engine, "Floods", "floods", priority="high", requested_by="ui:abc", approve=True
    )
    assert (row.status, row.priority, row.requested_by) == ("approved", "high", "ui:abc")
    assert row.decided_at is not None and row.created_at is not None


def test_decide_approves_rejects_and_names_an_unknown_key(engine):
    first = make_request(engine, "Floods").partition_key
    second = make_request(engine, "Museum").partition_key
    decide(engine, first, approve=True)
    decide(engine, second, approve=False, reason="one channel only")
    with reading(engine) as connection:
        approved = repository.get_request(connection, first)
        rejected = repository.get_request(connection, second)
    assert approved.status == "approved" and approved.decided_at is not None
    assert (rejected.status, rejected.reason) == ("rejected", "one channel only")
    with pytest.raises(BadRequest, match=r"no article request 'r999-nothing'"):
        decide(engine, "r999-nothing", approve=True)
    with reading(engine) as connection:
        assert [r.status for r in repository.list_requests(connection)] == [
            "approved",
            "rejected",
        ]
