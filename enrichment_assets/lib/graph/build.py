"""Building the post graph for a window of days, and removing what deleted posts left in it.

Posts go in batches (BATCH_POSTS), each one committed transaction: read the batch's evidence,
turn each post into records (lib/graph/records.py), merge the nodes with the stored ones, then
replace the batch's edges by comparison: an edge that is already right is not touched (its id
and `updated_at` stay), a changed one is rewritten, one the post no longer yields is deleted.
So a re-run changes no row, and a re-enriched post's edges are replaced, never added to. The
CO_OCCURS weights are adjusted in the same transaction by exactly the pairs whose posts'
mentions changed, so they always equal a recount.

On PostgreSQL the batch's post nodes are locked before their old edges are read: two runs of
the same days wait for each other instead of both adding what the other already added. On
SQLite every write transaction takes the write lock at BEGIN and the batches serialise.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.lib.graph.evidence import read_evidence
from enrichment_assets.lib.graph.records import (
    EdgeRecord,
    NodeId,
    NodeRecord,
    co_occurring_pairs,
    earlier,
    later,
    merge_node,
    merge_nodes,
    post_records,
)
from enrichment_assets.storage import graph as store
from enrichment_assets.storage import graph_evidence as evidence_store
from enrichment_assets.storage import graph_upkeep as upkeep

BATCH_POSTS = 2000  # posts per transaction: fewer commits, statements and CO_OCCURS rows
TOP_ENTITIES = 10
EdgeKey = tuple[str, int, int]  # (kind, source node id, target node id)


@dataclass
class GraphBuildReport:
    start: datetime
    end: datetime
    model: str
    posts: int = 0
    batches: int = 0
    nodes_by_kind: dict[str, int] = field(default_factory=dict)
    edges_by_kind: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    nodes_inserted: int = 0
    nodes_updated: int = 0
    co_occurs_adjusted: int = 0  # CO_OCCURS pairs whose weight moved
    co_occurs_removed: int = 0  # pairs that fell to 0 and were deleted
    top_entities: list[dict[str, Any]] = field(default_factory=list)  # label, type, posts
    data_version: str = ""
    seconds: float = 0.0

    @property
    def edges(self) -> int:
        return sum(self.edges_by_kind.values())


@dataclass
class EdgeChanges:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    co_occurs_adjusted: int = 0
    co_occurs_removed: int = 0


class _WindowTally:
    """What the report says about the window, gathered batch by batch without keeping the
    edges: counts, the nodes touched, mentions per entity, and an order-free hash."""

    def __init__(self) -> None:
        self.edges_by_kind: Counter[str] = Counter()
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.entity_posts: Counter[NodeId] = Counter()
        self.entities: dict[NodeId, NodeRecord] = {}
        self._hash_sum = 0

    def add(self, edges: Sequence[EdgeRecord], nodes: Mapping[NodeId, NodeRecord]) -> None:
        """One batch's edges. Each post's edges are hashed as one sorted text and the posts'
        hashes summed: the version depends neither on read order nor on batch size."""
        by_post: dict[int | None, list[str]] = defaultdict(list)
        texts: dict[NodeId, str] = {}  # a node's text, once per batch: nodes recur
        for edge in edges:
            kind, source, target = edge.kind, edge.source, edge.target
            self.edges_by_kind[kind] += 1
            self.nodes[source[0]].add(source[1])
            self.nodes[target[0]].add(target[1])
            if (source_text := texts.get(source)) is None:
                source_text = texts[source] = str(source)
            if (target_text := texts.get(target)) is None:
                target_text = texts[target] = str(target)
            by_post[edge.post_id].append(
                f"{kind}\x1f{source_text}\x1f{target_text}\x1f{edge.weight!r}"
            )
            if kind == "MENTIONS":
                self.entity_posts[target] += 1
                self.entities[target] = nodes[target]
        for natural in by_post.values():
            natural.sort()
            digest = hashlib.sha256("\n".join(natural).encode("utf-8")).digest()
            self._hash_sum = (self._hash_sum + int.from_bytes(digest, "big")) % (1 << 256)

    def data_version(self) -> str:
        total = sum(self.edges_by_kind.values())
        return hashlib.sha256(f"{total}:{self._hash_sum:064x}".encode()).hexdigest()[:32]

    def top(self, limit: int) -> list[dict[str, Any]]:
        ranked = sorted(
            self.entity_posts.items(), key=lambda item: (-item[1], self.entities[item[0]].label)
        )
        return [
            {
                "label": self.entities[node].label,
                "type": self.entities[node].entity_type,
                "posts": count,
            }
            for node, count in ranked[:limit]
        ]


# --- nodes ------------------------------------------------------------------------------------


def _record(row: Row) -> NodeRecord:
    """A stored node (a row of `store.read_nodes`: id, then NODE_COLUMNS) as a record."""
    _id, kind, key, label, entity_type, name_key, ref_id, aliases, first, last = row
    aliases = tuple(aliases) if aliases is not None else None
    return NodeRecord(kind, key, label, entity_type, name_key, ref_id, aliases, first, last)


def _values(record: NodeRecord) -> tuple:
    aliases = list(record.aliases) if record.aliases is not None else None
    return (record.kind, record.key, record.label, record.entity_type, record.name_key,
            record.ref_id, aliases, record.first_seen, record.last_seen)  # fmt: skip


def _same_but_seen(first: NodeRecord, second: NodeRecord) -> bool:
    return (
        first.label == second.label
        and first.aliases == second.aliases
        and first.ref_id == second.ref_id
        and first.entity_type == second.entity_type
        and first.name_key == second.name_key
    )


def write_nodes(
    connection: Connection,
    incoming: Mapping[NodeId, NodeRecord],
    lock_first: Sequence[NodeId],
    widen: dict[int, tuple[datetime | None, datetime | None]],
) -> tuple[dict[NodeId, int], dict[NodeId, NodeRecord], int, int]:
    """Store `incoming` (each merged onto its stored node). The nodes of `lock_first` (the
    batch's posts) are locked before anything else. Returns node ids, the nodes as stored,
    and how many were inserted and updated.

    A node whose only change is wider seen times (an entity named again in a later batch: in
    a long window, nearly every entity in every batch) is not rewritten here: its times go
    into `widen`, which the build writes once at its end, in SQL that only ever widens."""
    ids: dict[NodeId, int] = {}
    stored: dict[NodeId, NodeRecord] = {}

    def keep(rows: Iterable[Row]) -> None:
        for row in rows:
            node = (row[1], row[2])
            ids[node] = row[0]
            stored[node] = _record(row)

    keep(store.read_nodes(connection, _by_kind(incoming)))
    keep(store.lock_nodes(connection, [ids[node] for node in lock_first if node in ids]))

    ours: set[NodeId] = set()  # inserted by this batch: already as merged
    missing = [node for node in incoming if node not in ids]
    if missing:
        fresh = {node: merge_node(None, incoming[node]) for node in missing}
        for node_id, kind, key in store.insert_nodes(connection, map(_values, fresh.values())):
            ids[(kind, key)] = node_id
            stored[(kind, key)] = fresh[(kind, key)]
            ours.add((kind, key))
        if lost := [node for node in missing if node not in ours]:  # another batch was first
            keep(store.read_nodes(connection, _by_kind(lost)))
            first = set(lock_first)
            keep(store.lock_nodes(connection, [ids[node] for node in lost if node in first]))

    def changed(nodes: Iterable[NodeId]) -> dict[NodeId, NodeRecord]:
        found = {}
        for node in nodes:
            before = stored[node]
            if (after := merge_node(before, incoming[node])) != before:
                found[node] = after
        return found

    updates = {}
    for node, after in changed(node for node in incoming if node not in ours).items():
        if node[0] != "post" and _same_but_seen(stored[node], after):
            known = widen.get(ids[node], (None, None))
            widen[ids[node]] = (
                earlier(known[0], after.first_seen),
                later(known[1], after.last_seen),
            )
            stored[node] = after
        else:
            updates[node] = after
    if updates:
        # Re-read them locked: another day's batch may have widened them since.
        keep(store.lock_nodes(connection, [ids[node] for node in updates]))
        updates = changed(updates)
        store.update_nodes(
            connection, [(ids[node], *_values(after)[2:]) for node, after in updates.items()]
        )
        stored.update(updates)
    return ids, stored, len(ours), len(updates)


def _by_kind(nodes: Iterable[NodeId]) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = defaultdict(list)
    for kind, key in nodes:
        keys[kind].append(key)
    return keys


# --- edges ------------------------------------------------------------------------------------


def replace_edges(
    connection: Connection,
    post_ids: Sequence[int],
    desired: Mapping[EdgeKey, tuple[float, int, datetime | None]],
    extra_deletes: Iterable[int] = (),
) -> EdgeChanges:
    """Make the edges read from `post_ids` exactly `desired` (edge key -> weight, post id,
    seen at), writing only differences, and move CO_OCCURS by the pairs whose mentions
    changed. `extra_deletes`: other edge ids to delete (the cleanup's SAME_STORY edges into
    deleted posts)."""
    changes = EdgeChanges()
    old = store.edges_of_posts(connection, post_ids)
    old_by_key = {(row.kind, row.source_id, row.target_id): row for row in old}
    inserts, updates = [], []
    for key, (weight, post_id, seen_at) in desired.items():
        row = old_by_key.get(key)
        if row is None:
            inserts.append((*key, weight, post_id, seen_at))
        elif row.weight != weight or row.seen_at != seen_at:
            updates.append((row.id, weight, seen_at))
        else:
            changes.unchanged += 1
    deletes = [row.id for key, row in old_by_key.items() if key not in desired]
    deletes += list(extra_deletes)

    # CO_OCCURS: -1 for each pair a post no longer mentions together, +1 for each new one.
    before: dict[int, set[int]] = defaultdict(set)
    for row in old:
        if row.kind == "MENTIONS":
            before[row.post_id].add(row.target_id)
    after: dict[int, set[int]] = defaultdict(set)
    seen: dict[int, datetime | None] = {}
    for (kind, _source, target), (_weight, post_id, seen_at) in desired.items():
        if kind == "MENTIONS":
            after[post_id].add(target)
            seen[post_id] = seen_at
    delta: Counter[tuple[int, int]] = Counter()
    latest: dict[tuple[int, int], datetime | None] = {}
    for post_id in set(before) | set(after):
        if before.get(post_id, set()) == after.get(post_id, set()):
            continue
        for pair in co_occurring_pairs(sorted(before.get(post_id, ()))):
            delta[pair] -= 1
        for pair in co_occurring_pairs(sorted(after.get(post_id, ()))):
            delta[pair] += 1
            moment = seen.get(post_id)
            if moment is not None and (latest.get(pair) is None or moment > latest[pair]):
                latest[pair] = moment
    adjustments = [(a, b, n, latest.get((a, b)) if n > 0 else None)
                   for (a, b), n in delta.items() if n != 0]  # fmt: skip

    changes.deleted = store.delete_edges(connection, deletes)
    store.update_edges(connection, updates)
    store.insert_edges(connection, inserts)
    changes.co_occurs_removed = store.adjust_co_occurs(connection, adjustments)
    changes.co_occurs_adjusted = len(adjustments)
    changes.inserted, changes.updated = len(inserts), len(updates)
    return changes


# --- the build --------------------------------------------------------------------------------


def _build_batch(
    connection: Connection,
    post_ids: Sequence[int],
    model: str,
    tally: _WindowTally,
    widen: dict[int, tuple[datetime | None, datetime | None]],
) -> tuple[EdgeChanges, int, int, int]:
    evidence = read_evidence(connection, post_ids, model)
    node_records: list[NodeRecord] = []
    edge_records: list[EdgeRecord] = []
    for post in evidence:
        nodes, edges = post_records(post)
        node_records += nodes
        edge_records += edges
    incoming = merge_nodes(node_records)
    post_nodes = [("post", str(post.post_id)) for post in evidence]
    ids, final, inserted, updated = write_nodes(connection, incoming, post_nodes, widen)
    desired = {
        (edge.kind, ids[edge.source], ids[edge.target]): (edge.weight, edge.post_id, edge.seen_at)
        for edge in edge_records
    }
    # Posts deleted since the window was listed keep their edges until the cleanup.
    changes = replace_edges(connection, [post.post_id for post in evidence], desired)
    tally.add(edge_records, final)
    return changes, len(evidence), inserted, updated


def build_post_graph(
    engine: Engine,
    start: datetime,
    end: datetime,
    model: str,
    *,
    batch_size: int = BATCH_POSTS,
    top: int = TOP_ENTITIES,
    log: Callable[[str], None] = lambda message: None,
) -> GraphBuildReport:
    """Build the graph of the posts published in [start, end); SAME_STORY edges come from the
    `near_duplicate_posts` rows of embedding `model`."""
    began = time.perf_counter()
    report = GraphBuildReport(start=start, end=end, model=model)
    tally = _WindowTally()
    widen: dict[int, tuple[datetime | None, datetime | None]] = {}
    post_ids = evidence_store.window_post_ids(engine, start, end)
    for offset in range(0, len(post_ids), batch_size):
        chunk = post_ids[offset : offset + batch_size]
        with store.transaction(engine) as connection:
            changes, posts, inserted, updated = _build_batch(connection, chunk, model, tally, widen)
        report.batches += 1
        if report.batches & (report.batches - 1) == 0 and changes.inserted:
            store.refresh_statistics(engine)  # after batches 1, 2, 4, 8…: while tables grow
        report.posts += posts
        report.nodes_inserted += inserted
        report.nodes_updated += updated
        for name in ("inserted", "updated", "deleted", "unchanged"):
            setattr(report, name, getattr(report, name) + getattr(changes, name))
        report.co_occurs_adjusted += changes.co_occurs_adjusted
        report.co_occurs_removed += changes.co_occurs_removed
        log(f"graph: {report.posts}/{len(post_ids)} posts, {report.inserted} edges inserted")
    if widen:
        # Killed before this, a node's seen times may lag its edges until the next run.
        with store.transaction(engine) as connection:
            report.nodes_updated += store.widen_seen(
                connection, [(node_id, *times) for node_id, times in widen.items()]
            )
    report.edges_by_kind = dict(sorted(tally.edges_by_kind.items()))
    report.nodes_by_kind = {kind: len(keys) for kind, keys in sorted(tally.nodes.items())}
    report.top_entities = tally.top(top)
    report.data_version = tally.data_version()
    report.seconds = time.perf_counter() - began
    return report


# --- the cleanup ------------------------------------------------------------------------------


def remove_deleted_posts(
    engine: Engine,
    *,
    dry_run: bool = False,
    batch_size: int = BATCH_POSTS,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Edges of posts no longer in `posts` (and SAME_STORY edges into them) go through the
    build's replace, with nothing, so CO_OCCURS stays exact; then nodes left with no edge go.
    A dry run counts both and changes nothing."""
    gone = upkeep.deleted_post_ids(engine)
    if dry_run:
        return {
            "graph_edges_of_deleted_posts": upkeep.count_edges_of_posts(engine, gone),
            "graph_orphan_nodes": upkeep.count_orphan_nodes_after(engine),
        }
    removed = 0
    for offset in range(0, len(gone), batch_size):
        chunk = gone[offset : offset + batch_size]
        with store.transaction(engine) as connection:
            nodes = store.read_nodes(connection, {"post": [str(post_id) for post_id in chunk]})
            store.lock_nodes(connection, [row.id for row in nodes])
            into = upkeep.edges_into_nodes(connection, [row.id for row in nodes], chunk)
            removed += replace_edges(connection, chunk, {}, extra_deletes=into).deleted
    orphans = 0
    while found := upkeep.delete_orphan_nodes(engine, upkeep.ORPHAN_BATCH):
        orphans += found
    if removed or orphans:
        log(f"graph: {removed} edges of deleted posts and {orphans} orphan nodes removed")
    return {"graph_edges_of_deleted_posts": removed, "graph_orphan_nodes": orphans}
