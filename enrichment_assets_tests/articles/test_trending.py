"""`trending_topics`: a `pending` request for each story several channels tell (from
`near_duplicate_posts`), proposed once, never approved; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
from sqlalchemy.engine import Engine

from enrichment_assets.defs.articles.trending import trending_topics
from enrichment_assets.lib.articles.requests import TRENDING_BY, decide, headline
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading
from enrichment_assets.storage.tables import near_duplicate_posts, post_enrichment
from enrichment_assets_tests.support.factories import insert_post

MAY = datetime(2024, 5, 12, tzinfo=UTC)


def group(engine: Engine, model: str, members: list[int], channel_count: int) -> None:
    """A near-duplicate group as `near_duplicate_posts` writes it (the group is its first id)."""
    with engine.begin() as connection:
        connection.execute(
            near_duplicate_posts.insert(),
            [
                {
                    "post_id": post_id,
                    "model": model,
                    "group_post_id": min(members),
                    "group_size": len(members),
                    "channel_count": channel_count,
                    "similarity": 0.93,
                }
                for post_id in members
            ],
        )


def keywords(engine: Engine, post_id: int, words: list[str], status: str = "completed") -> None:
    with engine.begin() as connection:
        connection.execute(
            post_enrichment.insert().values(
                post_id=post_id, kind="llm", status=status, payload={"keywords": words}
            )
        )


def post(engine: Engine, text: str, channel: str, hour: int) -> int:
    return insert_post(
        engine, text, external_id=f"{channel}-{hour}", channel=channel,
        published_at=MAY.replace(hour=hour),
    )  # fmt: skip


def materialize(database_url: str) -> dict:
    result = dg.materialize(
        [trending_topics],
        resources={"db": DatabaseResource(url=database_url), "embedder": EmbedderResource()},
    )
    [materialization] = result.asset_materializations_for_node("trending_topics")
    return {name: value.value for name, value in materialization.metadata.items()}


def test_stories_several_channels_tell_become_pending_requests_once(engine, database_url):
    model = EmbedderResource().model
    # Told by two channels; the later telling was stored first, the topic comes from the first.
    later = post(engine, "Floods: roads closed near the river\nSchools shut.", "odesa_news", 15)
    first = post(engine, "Floods displace 80,000 in Kyiv\nRescue teams said so.", "kyiv_wire", 9)
    again = post(engine, "Floods displace 80,000 in Kyiv, update", "kyiv_wire", 18)
    group(engine, model, [later, first, again], channel_count=2)
    keywords(engine, first, ["floods", "Kyiv", "shelters"])
    keywords(engine, later, ["Floods", "roads"])
    keywords(engine, again, ["ignored"], status="error")
    # Told twice by one channel: not a trending story.
    solo = [
        post(engine, f"Museum returns paintings, part {i}", "kyiv_wire", 10 + i) for i in (1, 2)
    ]
    group(engine, model, solo, channel_count=1)
    # Two channels, but grouped under another model: not this project's vectors.
    other = [post(engine, "Bread prices rose", channel, 11) for channel in ("a_news", "b_news")]
    group(engine, "another-model", other, channel_count=2)

    first_run = materialize(database_url)
    counts = ("stories", "proposed_now", "pending_requests")
    assert [first_run[name] for name in counts] == [1, 1, 1]
    with reading(engine) as connection:
        [proposed] = repository.list_requests(connection)
    assert proposed.status == "pending" and proposed.decided_at is None
    assert proposed.requested_by == TRENDING_BY
    assert proposed.topic == "Floods displace 80,000 in Kyiv"
    assert proposed.keywords[0] == "floods"
    assert set(proposed.keywords) == {"floods", "kyiv", "shelters", "roads"}
    assert proposed.reason == "told by 2 channels: kyiv_wire, odesa_news"
    assert proposed.story_key == f"{model}:{min(later, first, again)}"
    [shown] = first_run["proposals"].records
    assert shown.data["request"] == proposed.partition_key
    assert shown.data["keywords"] == ", ".join(proposed.keywords)

    second_run = materialize(database_url)
    assert [second_run[name] for name in counts] == [1, 0, 1]
    assert second_run["proposals"].records == []
    # A story someone rejected is not proposed again either.
    decide(engine, proposed.partition_key, approve=False, reason="old news")
    third_run = materialize(database_url)
    assert [third_run[name] for name in counts] == [1, 0, 0]
    with reading(engine) as connection:
        assert [r.status for r in repository.list_requests(connection)] == ["rejected"]


def test_a_headline_is_the_first_line_or_its_first_sentence_kept_short():
    assert headline("\n  Floods in Kyiv.  \nMore text") == "Floods in Kyiv"
    long_line = "Rescue teams said 80,000 people were displaced by the floods. " + "More. " * 30
    assert headline(long_line) == "Rescue teams said 80,000 people were displaced by the floods"
    endless = " ".join(["word"] * 40)
    short = headline(endless)
    assert len(short) <= 90 and short.endswith("…") and " wor…" not in short
