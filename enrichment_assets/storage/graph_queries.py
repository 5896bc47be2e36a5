"""The post graph's questions: every SQL statement of `lib/graph/queries.py`, and the write of
the trending list (`entity_trends`). The export's reads are in storage/graph_export.py.

Each read is shaped for an index of `graph_edges` (tables.py): a node's in-edges of one kind
by target_id and kind (newest first, a range of the index once it holds seen_at after kind),
its out-edges by source_id, a window of MENTIONS by (kind, seen_at, target_id). Edges of a
popular entity or tag are read newest post first and capped (`fanout`), so `related` costs
about the same for a post about the most common entity as for any other; lists are counted
and cut before labels are joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.engine import reading
from enrichment_assets.storage.tables import entity_trends, graph_edges, graph_nodes
from enrichment_assets.storage.upsert import upsert

edges = graph_edges
nodes = graph_nodes

# The edges through which two posts are related by what they talk about.
TOPIC_EDGES = ("MENTIONS", "TAGGED")
STORY_DEPTH = 4
TREND_COLUMNS = ["rank", "label", "entity_type", "mentions", "previous", "channels"]


def _utc_day(connection: Connection, column) -> sa.ColumnElement:
    """`YYYY-MM-DD` of a timestamp in UTC: SQLite stores UTC text; PostgreSQL's `date()` would
    use the session's time zone."""
    if connection.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)


# --- related ----------------------------------------------------------------------------------


def post_node(connection: Connection, post_id: int) -> Row | None:
    return connection.execute(
        sa.select(nodes.c.id, nodes.c.label, nodes.c.first_seen).where(
            nodes.c.kind == "post", nodes.c.key == str(post_id)
        )
    ).first()


def count_nodes(connection: Connection, kind: str) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(nodes).where(nodes.c.kind == kind)
    ).scalar_one()


def topics_of(connection: Connection, node_id: int) -> list[Row]:
    """The entities and tags a post node points to: node id, edge kind, label, entity type,
    and degree (how many posts point to it, the idf's document frequency)."""
    own = edges.alias("own")
    others = edges.alias("others")
    degree = (
        sa.select(sa.func.count())
        .where(others.c.target_id == own.c.target_id, others.c.kind == own.c.kind)
        .scalar_subquery()
    )
    return connection.execute(
        sa.select(
            own.c.target_id, own.c.kind, nodes.c.label, nodes.c.entity_type, degree.label("degree")
        )
        .join_from(own, nodes, nodes.c.id == own.c.target_id)
        .where(own.c.source_id == node_id, own.c.kind.in_(TOPIC_EDGES))
        .order_by(own.c.target_id)
    ).all()


def best_sharing(
    connection: Connection,
    topics: Sequence[tuple[int, str, float]],
    exclude: int,
    fanout: int,
    limit: int,
) -> list[Row]:
    """(node id, score) of the `limit` post nodes with the highest sum of `gain` over the
    `topics` ((node id, edge kind, gain)) they point to, best first. Each topic is read
    through at most `fanout` of its posts, the newest first."""
    if not topics:
        return []
    parts = [
        sa.select(edges.c.source_id, sa.literal(gain, sa.Float).label("gain"))
        .where(edges.c.target_id == target, edges.c.kind == kind, edges.c.source_id != exclude)
        .order_by(edges.c.seen_at.desc(), edges.c.source_id.desc())
        .limit(fanout)
        .subquery()
        for target, kind, gain in topics
    ]
    shared = sa.union_all(*(sa.select(part.c.source_id, part.c.gain) for part in parts)).subquery()
    score = sa.func.sum(shared.c.gain)
    return connection.execute(
        sa.select(shared.c.source_id, score.label("score"))
        .group_by(shared.c.source_id)
        .order_by(score.desc(), shared.c.source_id.desc())
        .limit(limit)
    ).all()


def topic_edges(
    connection: Connection, node_ids: Sequence[int], topic_ids: Sequence[int]
) -> list[Row]:
    """(source_id, target_id) of the MENTIONS and TAGGED edges from `node_ids` to `topic_ids`."""
    if not node_ids or not topic_ids:
        return []
    return connection.execute(
        sa.select(edges.c.source_id, edges.c.target_id).where(
            edges.c.source_id.in_(list(node_ids)),
            edges.c.kind.in_(TOPIC_EDGES),
            edges.c.target_id.in_(list(topic_ids)),
        )
    ).all()


def story_of(connection: Connection, node_id: int) -> list[int]:
    """Post nodes of the story `node_id` belongs to: SAME_STORY edges followed either way,
    at most STORY_DEPTH hops (a recursive query: a story is a star around its first telling,
    and an older build may have chained two)."""
    start = sa.select(
        sa.literal(node_id, sa.BigInteger).label("node_id"), sa.literal(0).label("depth")
    ).cte("story", recursive=True)
    other = sa.case(
        (edges.c.source_id == start.c.node_id, edges.c.target_id), else_=edges.c.source_id
    )
    step = sa.select(other, start.c.depth + 1).where(
        edges.c.kind == "SAME_STORY",
        sa.or_(edges.c.source_id == start.c.node_id, edges.c.target_id == start.c.node_id),
        start.c.depth < STORY_DEPTH,
    )
    story = start.union(step)
    found = connection.execute(sa.select(story.c.node_id).distinct()).scalars().all()
    return sorted(set(found) - {node_id})


def post_cards(connection: Connection, node_ids: Sequence[int]) -> list[Row]:
    """What a listing shows of post nodes: node id, post id, text, published_at, channel."""
    if not node_ids:
        return []
    channel = nodes.alias("channel")
    published = edges.alias("published")
    return connection.execute(
        sa.select(
            nodes.c.id,
            nodes.c.ref_id,
            nodes.c.key,
            nodes.c.label,
            nodes.c.first_seen,
            channel.c.label.label("channel"),
        )
        .select_from(
            nodes.outerjoin(
                published,
                sa.and_(published.c.target_id == nodes.c.id, published.c.kind == "PUBLISHED"),
            ).outerjoin(channel, channel.c.id == published.c.source_id)
        )
        .where(nodes.c.id.in_(list(node_ids)))
    ).all()


# --- entity -----------------------------------------------------------------------------------


def entity_nodes(connection: Connection, name_key: str, entity_type: str | None) -> list[Row]:
    query = sa.select(
        nodes.c.id,
        nodes.c.key,
        nodes.c.label,
        nodes.c.entity_type,
        nodes.c.aliases,
        nodes.c.first_seen,
        nodes.c.last_seen,
    ).where(nodes.c.kind == "entity", nodes.c.name_key == name_key)
    if entity_type is not None:
        query = query.where(nodes.c.entity_type == entity_type)
    return connection.execute(query.order_by(nodes.c.id)).all()


def _mentions_of(node_ids: Sequence[int]):
    return edges.c.kind == "MENTIONS", edges.c.target_id.in_(list(node_ids))


def mention_counts(connection: Connection, node_ids: Sequence[int]) -> dict[int, int]:
    rows = connection.execute(
        sa.select(edges.c.target_id, sa.func.count())
        .where(*_mentions_of(node_ids))
        .group_by(edges.c.target_id)
    ).all()
    return {target: count for target, count in rows}


def mentioning_posts(connection: Connection, node_ids: Sequence[int], limit: int) -> list[Row]:
    """(post id, published_at) of the `limit` newest posts mentioning any of `node_ids`: the
    newest `limit` edges of each node first (an index range each), then merged."""
    parts = [
        sa.select(edges.c.source_id, edges.c.seen_at)
        .where(edges.c.target_id == node_id, edges.c.kind == "MENTIONS")
        .order_by(edges.c.seen_at.desc(), edges.c.source_id.desc())
        .limit(limit)
        .subquery()
        for node_id in node_ids
    ]
    newest = sa.union_all(*(sa.select(p.c.source_id, p.c.seen_at) for p in parts)).subquery()
    latest = sa.func.max(newest.c.seen_at)
    return connection.execute(
        sa.select(nodes.c.ref_id, latest.label("seen_at"))
        .join_from(newest, nodes, nodes.c.id == newest.c.source_id)
        .group_by(nodes.c.ref_id)
        .order_by(latest.desc(), nodes.c.ref_id.desc())
        .limit(limit)
    ).all()


def mentions_by_day(connection: Connection, node_ids: Sequence[int]) -> list[tuple[str, int]]:
    """(YYYY-MM-DD, posts) of the posts mentioning `node_ids`, by UTC day, oldest first."""
    day = _utc_day(connection, edges.c.seen_at)
    # One node's MENTIONS are one per post: counting rows is counting posts.
    posts = sa.func.count() if len(node_ids) == 1 else sa.func.count(sa.distinct(edges.c.source_id))
    rows = connection.execute(
        sa.select(day.label("day"), posts)
        .where(*_mentions_of(node_ids))
        .group_by(day)
        .order_by(day)
    ).all()
    return [(str(day_text), count) for day_text, count in rows]


def count_mentioning_posts(connection: Connection, node_ids: Sequence[int]) -> int:
    return connection.execute(
        sa.select(sa.func.count(sa.distinct(edges.c.source_id))).where(*_mentions_of(node_ids))
    ).scalar_one()


def mentioning_channels(
    connection: Connection, node_ids: Sequence[int]
) -> list[tuple[str, str, int]]:
    """(label, key, posts) of the channels that published posts mentioning `node_ids`, most
    posts first (channels are few: all of them). Counted per channel node before the labels
    are joined, so a popular entity's posts meet the PUBLISHED edges in one hash join."""
    mentioning = sa.select(edges.c.source_id).where(*_mentions_of(node_ids)).distinct().subquery()
    published = edges.alias("published")
    per_channel = (
        sa.select(published.c.source_id.label("channel_id"), sa.func.count().label("posts"))
        .join_from(
            mentioning,
            published,
            sa.and_(
                published.c.target_id == mentioning.c.source_id, published.c.kind == "PUBLISHED"
            ),
        )
        .group_by(published.c.source_id)
        .subquery()
    )
    counts = connection.execute(sa.select(per_channel)).all()
    # Labels in a second read by primary key: joined, PostgreSQL expects a row per post (it
    # reads every node, or compiles the query) for the few channels there are.
    labels = {
        row.id: row
        for row in connection.execute(
            sa.select(nodes.c.id, nodes.c.label, nodes.c.key).where(
                nodes.c.id.in_([row.channel_id for row in counts])
            )
        )
    }
    found = [
        (labels[row.channel_id].label, labels[row.channel_id].key, row.posts) for row in counts
    ]
    return sorted(found, key=lambda row: (-row[2], row[0], row[1]))


def co_occurring(connection: Connection, node_ids: Sequence[int], limit: int) -> list[Row]:
    """(label, entity_type, weight) of the entities sharing posts with `node_ids` (CO_OCCURS in
    either direction, summed over the matched nodes), heaviest first, ties by node id (first
    seen first); summed and cut before the labels are joined."""
    ids = list(node_ids)
    outgoing = sa.select(edges.c.target_id.label("other"), edges.c.weight).where(
        edges.c.kind == "CO_OCCURS", edges.c.source_id.in_(ids)
    )
    incoming = sa.select(edges.c.source_id.label("other"), edges.c.weight).where(
        edges.c.kind == "CO_OCCURS", edges.c.target_id.in_(ids)
    )
    pairs = sa.union_all(outgoing, incoming).subquery()
    weight = sa.func.sum(pairs.c.weight)
    best = (
        sa.select(pairs.c.other, weight.label("weight"))
        .where(pairs.c.other.not_in(ids))
        .group_by(pairs.c.other)
        .order_by(weight.desc(), pairs.c.other)
        .limit(limit)
        .subquery()
    )
    return connection.execute(
        sa.select(nodes.c.label, nodes.c.entity_type, best.c.weight)
        .join_from(best, nodes, nodes.c.id == best.c.other)
        .order_by(best.c.weight.desc(), best.c.other)
    ).all()


# --- trending ---------------------------------------------------------------------------------


def latest_mention(connection: Connection) -> datetime | None:
    return connection.execute(
        sa.select(sa.func.max(edges.c.seen_at)).where(edges.c.kind == "MENTIONS")
    ).scalar()


def rising_entities(
    connection: Connection, before: datetime, start: datetime, end: datetime, limit: int
) -> list[Row]:
    """Entities mentioned by more posts in [start, end) than in [before, start): node id,
    label, entity type, mentions, previous; by rise, then mentions, then label."""
    current = sa.func.sum(sa.case((edges.c.seen_at >= start, 1), else_=0))
    previous = sa.func.sum(sa.case((edges.c.seen_at < start, 1), else_=0))
    counts = (
        sa.select(
            edges.c.target_id,
            current.label("mentions"),
            previous.label("previous"),
        )
        .where(edges.c.kind == "MENTIONS", edges.c.seen_at >= before, edges.c.seen_at < end)
        .group_by(edges.c.target_id)
        .having(current > previous)
        .subquery()
    )
    rise = counts.c.mentions - counts.c.previous
    return connection.execute(
        sa.select(
            nodes.c.id,
            nodes.c.label,
            nodes.c.entity_type,
            counts.c.mentions,
            counts.c.previous,
        )
        .join_from(counts, nodes, nodes.c.id == counts.c.target_id)
        .order_by(rise.desc(), counts.c.mentions.desc(), nodes.c.label, nodes.c.id)
        .limit(limit)
    ).all()


def channels_in_window(
    connection: Connection, node_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    """How many channels published the posts mentioning each of `node_ids` in [start, end)."""
    if not node_ids:
        return {}
    published = edges.alias("published")
    rows = connection.execute(
        sa.select(edges.c.target_id, sa.func.count(sa.distinct(published.c.source_id)))
        .join_from(
            edges,
            published,
            sa.and_(published.c.target_id == edges.c.source_id, published.c.kind == "PUBLISHED"),
        )
        .where(
            *_mentions_of(node_ids),
            edges.c.seen_at >= start,
            edges.c.seen_at < end,
        )
        .group_by(edges.c.target_id)
    ).all()
    return {target: count for target, count in rows}


def replace_trends(engine: Engine, day: date, window_days: int, rows: Sequence[dict]) -> int:
    """The trending list of (day, window_days) becomes `rows`: upserted (an unchanged row is not
    rewritten) and the day's other rows deleted, in one transaction. Returns rows deleted."""
    with engine.begin() as connection:
        if rows:
            upsert(
                connection,
                entity_trends,
                [{"day": day, "window_days": window_days, **row} for row in rows],
                key=["day", "window_days", "node_id"],
                only_if_changed=TREND_COLUMNS,
            )
        stale = sa.delete(entity_trends).where(
            entity_trends.c.day == day, entity_trends.c.window_days == window_days
        )
        if rows:
            stale = stale.where(entity_trends.c.node_id.not_in([row["node_id"] for row in rows]))
        return connection.execute(stale).rowcount


def stored_trends(engine: Engine, day: date, window_days: int) -> list[Row]:
    with reading(engine) as connection:
        return connection.execute(
            sa.select(entity_trends)
            .where(entity_trends.c.day == day, entity_trends.c.window_days == window_days)
            .order_by(entity_trends.c.rank)
        ).all()


# --- the demo's overview -------------------------------------------------------------------


def most_mentioned(connection: Connection, limit: int) -> list[Row]:
    """(label, entity_type, posts) of the `limit` entities most posts mention."""
    counted = (
        sa.select(edges.c.target_id, sa.func.count().label("posts"))
        .where(edges.c.kind == "MENTIONS")
        .group_by(edges.c.target_id)
        .order_by(sa.func.count().desc(), edges.c.target_id)
        .limit(limit)
        .subquery()
    )
    return connection.execute(
        sa.select(nodes.c.label, nodes.c.entity_type, counted.c.posts)
        .join_from(counted, nodes, nodes.c.id == counted.c.target_id)
        .order_by(counted.c.posts.desc(), nodes.c.id)
    ).all()


def newest_retold_post(connection: Connection) -> int | None:
    """The posts.id of the newest post told again as the same story, if any."""
    return connection.execute(
        sa.select(nodes.c.ref_id)
        .join_from(edges, nodes, nodes.c.id == edges.c.source_id)
        .where(edges.c.kind == "SAME_STORY")
        .order_by(edges.c.seen_at.desc(), nodes.c.ref_id.desc())
        .limit(1)
    ).scalar()
