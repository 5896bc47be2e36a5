"""A generated post graph for benchmarks and index checks: plain rows, no database.

`synthetic_posts` makes the evidence a build reads (posts of a few channels, each with entities
drawn from a Zipf-like vocabulary, so a few entities are in many posts as in real news, tags,
and now and then a retelling of an earlier story). `synthetic_graph` makes the graph rows the
build would write from them, ids assigned from 1, for a direct bulk insert; CO_OCCURS is
counted exactly. Deterministic for a seed.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, combinations

from enrichment_assets.lib.graph.keys import canonical_name, channel_key, entity_key, tag_key

TYPES = ("PERSON", "ORG", "LOC", "PRODUCT", "EVENT")
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SyntheticPost:
    index: int  # 0-based, in publishing order
    channel: str  # handle (source "telegram")
    published_at: datetime
    text: str
    entities: list[dict]  # the llm payload's `entities`: [{"text", "type"}]
    tags: list[str]
    story_of: int | None  # index of the story's first post, for a retelling


@dataclass
class SyntheticGraph:
    """Rows in insert order. nodes: (id, kind, key, label, entity_type, name_key, ref_id,
    first_seen, last_seen); edges: (kind, source_id, target_id, weight, post_id, seen_at).
    `post_ids[i]` is the posts.id the graph assumes for post i (i + 1)."""

    nodes: list[tuple] = field(default_factory=list)
    edges: list[tuple] = field(default_factory=list)
    posts: list[SyntheticPost] = field(default_factory=list)

    def edge_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for edge in self.edges:
            counts[edge[0]] = counts.get(edge[0], 0) + 1
        return counts


def _zipf_picker(rng: random.Random, size: int, exponent: float):
    cumulative = list(accumulate(1.0 / (rank**exponent) for rank in range(1, size + 1)))
    total = cumulative[-1]

    def pick() -> int:
        return bisect.bisect_left(cumulative, rng.random() * total)

    return pick


def _distinct(pick, count: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < count:
        value = pick()
        if value not in chosen:
            chosen.append(value)
    return chosen


def synthetic_posts(
    posts: int = 100_000,
    *,
    entities_per_post: int = 5,
    tags_per_post: int = 3,
    vocabulary: int = 20_000,
    tag_vocabulary: int = 2_000,
    channels: int = 50,
    days: int = 365,
    story_every: int = 20,
    exponent: float = 1.0,
    seed: int = 14,
) -> Iterator[SyntheticPost]:
    """`posts` posts spread evenly over `days` days from 2024-01-01, oldest first. Entity `r`
    (0-based rank) is "Entity r" of type TYPES[r % 5], written now and then in capitals (one
    node all the same); every `story_every`-th post retells one of the 10 posts before it."""
    rng = random.Random(seed)
    pick_entity = _zipf_picker(rng, vocabulary, exponent)
    pick_tag = _zipf_picker(rng, tag_vocabulary, exponent)
    step = timedelta(days=days) / max(posts, 1)
    for index in range(posts):
        entities = []
        for rank in _distinct(pick_entity, min(entities_per_post, vocabulary)):
            text = f"Entity {rank}"
            entities.append({"text": text.upper() if rng.random() < 0.1 else text,
                             "type": TYPES[rank % len(TYPES)]})  # fmt: skip
        tags = [f"tag{rank}" for rank in _distinct(pick_tag, min(tags_per_post, tag_vocabulary))]
        story_of = None
        if story_every and index % story_every == story_every - 1:
            story_of = index - rng.randint(1, min(10, index))
        yield SyntheticPost(
            index=index,
            channel=f"channel{index % channels}"
            if index % 7
            else f"channel{rng.randrange(channels)}",
            published_at=START + step * index,
            text=f"Post {index} about " + ", ".join(e["text"] for e in entities),
            entities=entities,
            tags=tags,
            story_of=story_of,
        )


def synthetic_graph(posts: int = 100_000, **options) -> SyntheticGraph:
    """The graph rows of `synthetic_posts(posts, **options)` (posts.id of post i is i + 1)."""
    graph = SyntheticGraph(posts=list(synthetic_posts(posts, **options)))
    ids: dict[tuple[str, str], int] = {}
    spans: dict[int, list] = {}  # node id → [label, entity_type, name_key, first, last]
    post_node: dict[int, int] = {}
    pairs: dict[tuple[int, int], list] = {}

    def node(kind: str, key: str, label: str, entity_type=None, name_key=None, seen=None) -> int:
        node_id = ids.get((kind, key))
        if node_id is None:
            node_id = ids[(kind, key)] = len(ids) + 1
            spans[node_id] = [kind, key, label, entity_type, name_key, seen, seen]
        else:
            spans[node_id][6] = seen  # posts come oldest first
        return node_id

    for post in graph.posts:
        post_id, seen = post.index + 1, post.published_at
        here = post_node[post.index] = node("post", str(post_id), post.text[:120], seen=seen)
        channel = node("channel", channel_key("telegram", post.channel), post.channel, seen=seen)
        graph.edges.append(("PUBLISHED", channel, here, 1.0, post_id, seen))
        mentioned = []
        for entity in post.entities:
            key = entity_key(entity["text"], entity["type"])
            target = node("entity", key, entity["text"], key.split(":", 1)[0],
                          canonical_name(entity["text"]), seen)  # fmt: skip
            graph.edges.append(("MENTIONS", here, target, 1.0, post_id, seen))
            mentioned.append(target)
        for tag in post.tags:
            target = node("tag", tag_key(tag), tag, None, tag_key(tag), seen)
            graph.edges.append(("TAGGED", here, target, 1.0, post_id, seen))
        if post.story_of is not None:
            first = post_node[post.story_of]
            graph.edges.append(("SAME_STORY", here, first, 0.9, post_id, seen))
        for pair in combinations(sorted(mentioned), 2):
            counted = pairs.setdefault(pair, [0, seen])
            counted[0] += 1
            counted[1] = seen
    for (source, target), (weight, seen) in pairs.items():
        graph.edges.append(("CO_OCCURS", source, target, float(weight), None, seen))
    for node_id, (kind, key, label, entity_type, name_key, first, last) in spans.items():
        ref_id = int(key) if kind == "post" else None
        graph.nodes.append((node_id, kind, key, label, entity_type, name_key, ref_id, first, last))
    return graph
