"""One post's evidence as graph records: the nodes it names and the edges it was read from.

Pure: the build (lib/graph/build.py) reads the evidence, turns each post into records here,
merges the nodes with what is stored (`merge_node`) and writes only what differs. The rules of
a node's label, aliases and seen times live here, so a re-run computes the same rows and a
second writer of one node (another day's build) widens it instead of overwriting it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from enrichment_assets.lib.graph.keys import channel_key, dataset_key, entity_key, tag_key

# The same names recur in post after post: canonicalise each spelling once.
_entity_key = lru_cache(maxsize=1 << 16)(entity_key)
_tag_key = lru_cache(maxsize=1 << 16)(tag_key)

MAX_ALIASES = 50
POST_LABEL_CHARS = 120
MAX_NODE_KEY_CHARS = 1024  # graph_nodes.key: a longer URL is no link node

NodeId = tuple[str, str]  # (kind, key)


@dataclass(slots=True)
class NodeRecord:
    kind: str
    key: str
    label: str
    entity_type: str | None = None
    name_key: str | None = None
    ref_id: int | None = None
    aliases: tuple[str, ...] | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def node_id(self) -> NodeId:
        return (self.kind, self.key)


@dataclass(slots=True)
class EdgeRecord:
    kind: str
    source: NodeId
    target: NodeId
    weight: float
    post_id: int | None
    seen_at: datetime | None


@dataclass(frozen=True)
class ChannelEvidence:
    id: int
    source: str
    handle: str
    title: str | None


@dataclass(frozen=True)
class DatasetEvidence:
    id: int
    source: str
    external_id: str
    title: str | None


@dataclass(frozen=True)
class StoryEvidence:
    """The first telling of the post's story (`near_duplicate_posts.group_post_id`)."""

    post_id: int
    published_at: datetime
    text: str
    similarity: float


@dataclass(frozen=True)
class PostEvidence:
    """What the graph reads of one post: the row, its channel and its completed enrichments."""

    post_id: int
    published_at: datetime
    text: str
    urls: tuple[str, ...]
    channel: ChannelEvidence
    entities: tuple[tuple[str, str], ...] = ()  # (text as written, type) of the `llm` row
    tags: tuple[str, ...] = ()
    page_titles: Mapping[str, str] = field(default_factory=dict)  # url -> crawled title
    link_ids: Mapping[str, int] = field(default_factory=dict)  # url -> links.id
    datasets: Mapping[str, tuple[DatasetEvidence, ...]] = field(default_factory=dict)  # by url
    story: StoryEvidence | None = None


def post_label(post_id: int, text: str) -> str:
    flat = " ".join((text or "").split())
    return flat[:POST_LABEL_CHARS] or f"post {post_id}"


def surface_form(text: str) -> str:
    return " ".join(str(text).split())


def post_node(post_id: int, published_at: datetime, text: str) -> NodeRecord:
    return NodeRecord(
        kind="post",
        key=str(post_id),
        label=post_label(post_id, text),
        ref_id=post_id,
        first_seen=published_at,
        last_seen=published_at,
    )


def clean_urls(urls: object) -> tuple[str, ...]:
    """The post's distinct URLs as stored (stripped), in order; non-text and overlong dropped."""
    if not isinstance(urls, list | tuple):
        return ()
    seen: dict[str, None] = {}
    for url in urls:
        if isinstance(url, str) and (url := url.strip()) and len(url) <= MAX_NODE_KEY_CHARS:
            seen.setdefault(url, None)
    return tuple(seen)


def post_records(post: PostEvidence) -> tuple[list[NodeRecord], list[EdgeRecord]]:
    """The nodes (one record per mention: merge them with `merge_nodes`) and the edges of one
    post. Edges come out unique on (kind, source, target)."""
    when = post.published_at
    node = post_node(post.post_id, when, post.text)
    channel = post.channel
    channel_node = NodeRecord(
        kind="channel",
        key=channel_key(channel.source, channel.handle),
        label=channel.title or channel.handle,
        ref_id=channel.id,
        first_seen=when,
        last_seen=when,
    )
    nodes = [node, channel_node]
    source = ("post", node.key)
    edges = [
        EdgeRecord("PUBLISHED", ("channel", channel_node.key), source, 1.0, post.post_id, when)
    ]

    def edge(kind: str, target: NodeRecord, weight: float = 1.0) -> EdgeRecord:
        return EdgeRecord(kind, source, (target.kind, target.key), weight, post.post_id, when)

    mentions: Counter[str] = Counter()
    for text, entity_type in post.entities:
        key = _entity_key(text, entity_type)
        if key is None:
            continue
        entity_type_key, name = key.split(":", 1)
        form = surface_form(text)
        nodes.append(
            NodeRecord(
                kind="entity",
                key=key,
                label=form,
                entity_type=entity_type_key,
                name_key=name,
                aliases=(form,),
                first_seen=when,
                last_seen=when,
            )
        )
        mentions[key] += 1
    edges += [EdgeRecord("MENTIONS", source, ("entity", key), float(n), post.post_id, when)
              for key, n in mentions.items()]  # fmt: skip

    tagged: dict[str, None] = {}
    for text in post.tags:
        key = _tag_key(text)
        if key is None:
            continue
        form = surface_form(text)
        nodes.append(
            NodeRecord(
                kind="tag",
                key=key,
                label=form,
                name_key=key,
                aliases=(form,),
                first_seen=when,
                last_seen=when,
            )
        )
        tagged.setdefault(key, None)
    edges += [EdgeRecord("TAGGED", source, ("tag", key), 1.0, post.post_id, when) for key in tagged]

    cited_datasets: dict[str, None] = {}
    for url in post.urls:
        link = NodeRecord(
            kind="link",
            key=url,
            label=post.page_titles.get(url) or url,
            ref_id=post.link_ids.get(url),
            first_seen=when,
            last_seen=when,
        )
        nodes.append(link)
        edges.append(edge("CITES", link))
        for dataset in post.datasets.get(url, ()):
            dataset_node = NodeRecord(
                kind="dataset",
                key=dataset_key(dataset.source, dataset.external_id),
                label=dataset.title or dataset.external_id,
                ref_id=dataset.id,
                first_seen=when,
                last_seen=when,
            )
            nodes.append(dataset_node)
            if dataset_node.key not in cited_datasets:
                cited_datasets[dataset_node.key] = None
                edges.append(edge("CITES", dataset_node))

    story = post.story
    if story is not None and story.post_id != post.post_id:
        first = post_node(story.post_id, story.published_at, story.text)
        nodes.append(first)
        edges.append(edge("SAME_STORY", first, float(story.similarity)))
    return nodes, edges


def earlier(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None:
        return second
    return first if second is None or first <= second else second


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None:
        return second
    return first if second is None or first >= second else second


def _aliases(known: tuple[str, ...] | None, seen: Iterable[str] | None) -> tuple[str, ...]:
    if known is not None and seen is not None and all(alias in known for alias in seen):
        return known  # the usual case: nothing new, and no sort
    return tuple(sorted({*(known or ()), *(seen or ())}))[:MAX_ALIASES]


def merge_node(existing: NodeRecord | None, incoming: NodeRecord) -> NodeRecord:
    """The node after `incoming` was seen, given what was known (`existing`, or None).

    Seen times only widen, except a post's (its publish time, exactly). A post's, channel's and
    dataset's label follows its row; a link keeps the first crawled title over its URL; an entity
    or tag keeps the first surface form seen as its label and gathers the others as aliases.
    (Written out field by field: the build merges every node of every batch.)
    """
    kind = incoming.kind
    if existing is None:
        if incoming.aliases is None:
            return incoming
        aliases = _aliases(None, incoming.aliases)
        return NodeRecord(kind, incoming.key, incoming.label, incoming.entity_type,
                          incoming.name_key, incoming.ref_id, aliases, incoming.first_seen,
                          incoming.last_seen)  # fmt: skip
    if kind == "post":
        label, ref_id, aliases = incoming.label, incoming.ref_id, existing.aliases
        first, last = incoming.first_seen, incoming.last_seen
    else:
        first = earlier(existing.first_seen, incoming.first_seen)
        last = later(existing.last_seen, incoming.last_seen)
        aliases = existing.aliases
        if kind in ("channel", "dataset"):
            label, ref_id = incoming.label, incoming.ref_id
        elif kind == "link":  # the first crawled title stays: two crawls may differ
            titled = existing.label and existing.label != existing.key
            label = existing.label if titled else incoming.label
            ref_id = incoming.ref_id if incoming.ref_id is not None else existing.ref_id
        else:
            label, ref_id = existing.label or incoming.label, existing.ref_id
            aliases = _aliases(existing.aliases, incoming.aliases)
    entity_type = incoming.entity_type if kind in ("entity", "tag") else existing.entity_type
    name_key = incoming.name_key if kind in ("entity", "tag") else existing.name_key
    return NodeRecord(kind, incoming.key, label, entity_type, name_key, ref_id, aliases, first,
                      last)  # fmt: skip


def merge_nodes(records: Iterable[NodeRecord]) -> dict[NodeId, NodeRecord]:
    """Every node of `records` merged, in order: the nodes of a batch, before the stored state
    is merged in."""
    merged: dict[NodeId, NodeRecord] = {}
    for record in records:
        node = (record.kind, record.key)
        merged[node] = merge_node(merged.get(node), record)
    return merged


def co_occurring_pairs(entity_ids: Sequence[int]) -> list[tuple[int, int]]:
    """The CO_OCCURS pairs of one post's entity node ids, lower id first."""
    distinct = sorted(set(entity_ids))
    return [(a, b) for i, a in enumerate(distinct) for b in distinct[i + 1 :]]
