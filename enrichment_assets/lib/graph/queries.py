"""Questions to the post graph: what relates to a post, what is known of an entity, which
entities are rising. Plain functions on an Engine (SQL in storage/graph_queries.py), used by the
command (`python -m enrichment_assets.graph`) and by the `entity_trends` asset.

`related_posts` scores another post by what it shares with this one: each shared entity or tag
adds its kind's weight times its idf, log(1 + posts / posts carrying it), so a rare entity
counts far more than "ai"; being told as the same story (SAME_STORY, the whole story within
four hops) adds STORY_WEIGHT, more than any plausible sum of shared topics. Candidates are
found through each topic's FANOUT newest posts only, then scored exactly: a post sharing only
topics carried by more than FANOUT posts, and not among their newest, is missed. Such topics
have a small idf (≤ log(1 + posts / FANOUT)), and reading all of their posts would make one
question about the most common entity cost as much as all others together.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.engine import Engine

from enrichment_assets.lib.graph.keys import canonical_name, canonical_type
from enrichment_assets.storage import graph_queries as repository
from enrichment_assets.storage.engine import reading

KIND_WEIGHTS = {"MENTIONS": 1.0, "TAGGED": 0.5}  # a tag is a coarser topic than a named entity
STORY_WEIGHT = 100.0
FANOUT = 2000
TEXT_CHARS = 120


class UnknownPost(ValueError):
    """The post has no node in the graph (not built yet, or no such post)."""


@dataclass(frozen=True)
class RelatedPost:
    post_id: int
    score: float
    channel: str | None
    published_at: datetime | None
    text: str
    why: list[str]


@dataclass(frozen=True)
class EntityReport:
    name: str  # the canonical name asked for
    label: str  # the surface form of the match with most posts
    matches: list[dict]  # each matched node: key, label, type, posts, aliases, first/last seen
    post_count: int
    channels: list[dict]  # {title, handle, posts}, most posts first
    posts: list[int]  # post ids, newest first (at most `limit`)
    posts_by_day: list[tuple[date, int]]
    co_occurring: list[dict] = field(default_factory=list)  # {label, type, weight}


@dataclass(frozen=True)
class Trend:
    node_id: int
    label: str
    entity_type: str | None
    mentions: int  # posts mentioning it in the window
    previous: int  # ... in the window before
    rise: int
    channels: int  # channels that published the window's mentions


def _one_line(text: str | None, limit: int = TEXT_CHARS) -> str:
    return " ".join((text or "").split())[:limit]


def _topic_name(kind: str, label: str, entity_type: str | None) -> str:
    if kind == "MENTIONS":
        return f"entity {label} ({entity_type})" if entity_type else f"entity {label}"
    return f"tag {label}"


def related_posts(engine: Engine, post_id: int, limit: int = 10) -> list[RelatedPost]:
    """The posts sharing the most weighted entities, tags and stories with `post_id`, best
    first (ties: newest first); raises UnknownPost when the post has no node."""
    with reading(engine) as connection:
        node = repository.post_node(connection, post_id)
        if node is None:
            raise UnknownPost(f"post {post_id} is not in the graph (materialize post_graph)")
        total = max(repository.count_nodes(connection, "post"), 1)
        rows = repository.topics_of(connection, node.id)
        topics = {
            topic.target_id: (
                KIND_WEIGHTS[topic.kind] * math.log1p(total / max(topic.degree, 1)),
                _topic_name(topic.kind, topic.label, topic.entity_type),
            )
            for topic in rows
        }
        # A deleted post's node (before the cleanup) has no card: take a few spare.
        spare = limit * 2 + 10
        best = repository.best_sharing(
            connection,
            [(t.target_id, t.kind, topics[t.target_id][0]) for t in rows],
            node.id,
            FANOUT,
            spare,
        )
        story = set(repository.story_of(connection, node.id))
        candidates = sorted({row.source_id for row in best} | story)
        # Scores and reasons from the candidates' own edges: exact even where a topic's
        # fan-out was cut.
        reasons: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for source, target in repository.topic_edges(connection, candidates, list(topics)):
            reasons[source].append(topics[target])
        for other in story:
            reasons[other].append((STORY_WEIGHT, "same story"))
        cards = {card.id: card for card in repository.post_cards(connection, candidates)}
    found = []
    for other in candidates:
        card = cards.get(other)
        if card is None or not reasons[other]:
            continue
        ordered = sorted(reasons[other], key=lambda reason: (-reason[0], reason[1]))
        found.append(
            RelatedPost(
                post_id=card.ref_id if card.ref_id is not None else int(card.key),
                score=round(sum(gain for gain, _ in ordered), 6),
                channel=card.channel,
                published_at=card.first_seen,
                text=_one_line(card.label),
                why=[text for _, text in ordered],
            )
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda r: (-r.score, -(r.published_at or epoch).timestamp(), r.post_id))
    return found[:limit]


def entity_report(
    engine: Engine, name: str, entity_type: str | None = None, limit: int = 20
) -> EntityReport | None:
    """What the graph knows of the entities named `name` (canonical match, any type unless
    `entity_type`); None when none is in the graph. ValueError for a name with no letters."""
    name_key = canonical_name(name)
    if not name_key:
        raise ValueError(f"{name!r} has nothing left to look up once spaces and punctuation go")
    wanted_type = canonical_type(entity_type) if entity_type else None
    with reading(engine) as connection:
        matched = repository.entity_nodes(connection, name_key, wanted_type)
        if not matched:
            return None
        ids = [row.id for row in matched]
        counts = repository.mention_counts(connection, ids)
        post_count = (
            repository.count_mentioning_posts(connection, ids)
            if len(ids) > 1
            else counts.get(ids[0], 0)
        )
        posts = repository.mentioning_posts(connection, ids, limit)
        by_day = repository.mentions_by_day(connection, ids)
        channels = repository.mentioning_channels(connection, ids)
        together = repository.co_occurring(connection, ids, limit)
    matches = sorted(
        (
            {
                "key": row.key,
                "label": row.label,
                "type": row.entity_type,
                "posts": counts.get(row.id, 0),
                "aliases": list(row.aliases or []),
                "first_seen": row.first_seen,
                "last_seen": row.last_seen,
            }
            for row in matched
        ),
        key=lambda match: (-match["posts"], match["key"]),
    )
    return EntityReport(
        name=name_key,
        label=matches[0]["label"],
        matches=matches,
        post_count=post_count,
        channels=[
            {"title": label, "handle": key.split(":", 1)[-1], "posts": posts}
            for label, key, posts in channels
        ],
        posts=[row.ref_id for row in posts],
        posts_by_day=[(date.fromisoformat(day), count) for day, count in by_day],
        co_occurring=[
            {"label": row.label, "type": row.entity_type, "weight": float(row.weight)}
            for row in together
        ],
    )


def latest_mention_day(engine: Engine) -> date | None:
    """The UTC day of the newest MENTIONS edge: the default end of a trending window."""
    with reading(engine) as connection:
        latest = repository.latest_mention(connection)
    return latest.astimezone(UTC).date() if latest is not None else None


def trend_windows(until: date, days: int) -> tuple[datetime, datetime, datetime]:
    """(previous window's start, window's start, window's end): the `days` days ending with
    `until` inclusive, and the `days` before them, as UTC instants."""
    end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
    start = end - timedelta(days=days)
    return start - timedelta(days=days), start, end


def trending_entities(
    engine: Engine, days: int = 7, until: date | None = None, limit: int = 20
) -> list[Trend]:
    """Entities mentioned by more posts in the `days` days ending with `until` (default: the
    day of the newest mention) than in the `days` before; by rise, mentions, label."""
    if days < 1 or limit < 1:
        raise ValueError("days and limit must be at least 1")
    until = until or latest_mention_day(engine)
    if until is None:
        return []
    before, start, end = trend_windows(until, days)
    with reading(engine) as connection:
        rising = repository.rising_entities(connection, before, start, end, limit)
        channels = repository.channels_in_window(connection, [r.id for r in rising], start, end)
    return [
        Trend(
            node_id=row.id,
            label=row.label,
            entity_type=row.entity_type,
            mentions=int(row.mentions),
            previous=int(row.previous),
            rise=int(row.mentions) - int(row.previous),
            channels=channels.get(row.id, 0),
        )
        for row in rising
    ]


def record_trends(engine: Engine, day: date, days: int = 7, limit: int = 20) -> list[Trend]:
    """The trending list of the window ending with `day`, stored in `entity_trends` (the day's
    previous list for that window replaced)."""
    trends = trending_entities(engine, days=days, until=day, limit=limit)
    rows = [
        {
            "rank": rank,
            "node_id": trend.node_id,
            "label": trend.label,
            "entity_type": trend.entity_type,
            "mentions": trend.mentions,
            "previous": trend.previous,
            "channels": trend.channels,
        }
        for rank, trend in enumerate(trends, start=1)
    ]
    repository.replace_trends(engine, day, days, rows)
    return trends


def most_mentioned_entities(engine: Engine, limit: int = 5) -> list[dict]:
    """The entities most posts mention: {label, type, posts}, most first."""
    with reading(engine) as connection:
        rows = repository.most_mentioned(connection, limit)
    return [{"label": row.label, "type": row.entity_type, "posts": row.posts} for row in rows]


def example_post(engine: Engine) -> int | None:
    """A post worth asking `related` about: the newest one told again as the same story."""
    with reading(engine) as connection:
        return repository.newest_retold_post(connection)
