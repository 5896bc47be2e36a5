"""The generated graph (lib/graph/synthetic.py) is a well-formed graph, and on it the queries
agree with a brute-force recount in Python; on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import combinations

import pytest

from enrichment_assets.lib.graph.queries import (
    KIND_WEIGHTS,
    STORY_WEIGHT,
    entity_report,
    related_posts,
    trending_entities,
)
from enrichment_assets.lib.graph.synthetic import synthetic_graph
from enrichment_assets.storage.tables import graph_edges, graph_nodes

NODE_COLUMNS = ["id", "kind", "key", "label", "entity_type", "name_key", "ref_id",
                "first_seen", "last_seen"]  # fmt: skip
EDGE_COLUMNS = ["kind", "source_id", "target_id", "weight", "post_id", "seen_at"]


@pytest.fixture(scope="module")
def graph():
    return synthetic_graph(300, vocabulary=60, tag_vocabulary=15, channels=4, days=30)


def test_the_generated_graph_is_well_formed(graph):
    ids = {node[0] for node in graph.nodes}
    assert len(ids) == len(graph.nodes) == len({(n[1], n[2]) for n in graph.nodes})
    assert all(edge[1] in ids and edge[2] in ids for edge in graph.edges)
    assert len({edge[:3] for edge in graph.edges}) == len(graph.edges)
    counts = graph.edge_counts()
    assert counts["PUBLISHED"] == 300 and counts["MENTIONS"] == 1500 and counts["TAGGED"] == 900
    assert counts["SAME_STORY"] == 15
    # CO_OCCURS: one edge per pair of entities mentioned together, weight = such posts.
    mentions = defaultdict(list)
    for kind, source, target, *_ in graph.edges:
        if kind == "MENTIONS":
            mentions[source].append(target)
    pairs = Counter(pair for ts in mentions.values() for pair in combinations(sorted(ts), 2))
    assert {(e[1], e[2]): e[3] for e in graph.edges if e[0] == "CO_OCCURS"} == pairs
    assert synthetic_graph(300, vocabulary=60, tag_vocabulary=15, channels=4, days=30).edges == (
        graph.edges
    )  # deterministic


def load(engine, graph) -> None:
    with engine.begin() as connection:
        nodes = [dict(zip(NODE_COLUMNS, node, strict=True)) for node in graph.nodes]
        edges = [dict(zip(EDGE_COLUMNS, edge, strict=True)) for edge in graph.edges]
        connection.execute(graph_nodes.insert(), nodes)
        connection.execute(graph_edges.insert(), edges)


def test_the_queries_agree_with_a_recount(engine, graph):
    load(engine, graph)
    post_of = {n[0]: n[6] for n in graph.nodes if n[1] == "post"}
    posted = {n[6]: n[0] for n in graph.nodes if n[1] == "post"}
    topics = defaultdict(set)
    degree = Counter()
    story = defaultdict(set)
    for kind, source, target, *_ in graph.edges:
        if kind in KIND_WEIGHTS:
            topics[source].add((target, kind))
            degree[target] += 1
        elif kind == "SAME_STORY":
            story[source].add(target)
            story[target].add(source)

    for post_id in (7, 150, 299, 300):
        here = posted[post_id]
        reach, frontier = {here}, {here}
        for _ in range(4):
            frontier = {other for node in frontier for other in story[node]} - reach
            reach |= frontier
        scores = {}
        for other in post_of:
            if other == here:
                continue
            score = sum(
                KIND_WEIGHTS[kind] * math.log1p(300 / degree[target])
                for target, kind in topics[here] & topics[other]
            ) + (STORY_WEIGHT if other in reach else 0)
            if score:
                scores[post_of[other]] = score
        best = sorted(scores.values(), reverse=True)[:10]
        found = related_posts(engine, post_id)
        assert [r.score for r in found] == pytest.approx(best), post_id
        assert all(scores[r.post_id] == pytest.approx(r.score) for r in found)

    # Trending over the last 7 days of the 30 against the 7 before.
    seen = {n[0]: n for n in graph.nodes}
    last = max(e[5] for e in graph.edges if e[0] == "MENTIONS").date()
    counts = defaultdict(lambda: [0, 0])
    for kind, _, target, _, _, at in graph.edges:
        if kind == "MENTIONS":
            ago = (last - at.date()).days
            if ago < 7:
                counts[target][0] += 1
            elif ago < 14:
                counts[target][1] += 1
    rising = sorted(
        ((now - before, now, seen[t][3], t) for t, (now, before) in counts.items() if now > before),
        key=lambda r: (-r[0], -r[1]),
    )
    trends = trending_entities(engine, days=7, limit=10)
    assert [(t.rise, t.mentions) for t in trends] == [(r[0], r[1]) for r in rising[:10]]
    assert trends == trending_entities(engine, days=7, until=last, limit=10)
    assert trending_entities(engine, days=7, until=last + timedelta(days=30)) == []

    # The most mentioned entity: every post that mentions it, newest first.
    top = Counter(e[2] for e in graph.edges if e[0] == "MENTIONS").most_common(1)[0][0]
    report = entity_report(engine, seen[top][5], limit=1000)
    merged = [n[0] for n in graph.nodes if n[1] == "entity" and n[5] == seen[top][5]]
    mentioning = {e[1] for e in graph.edges if e[0] == "MENTIONS" and e[2] in merged}
    assert sorted(report.posts) == sorted(post_of[node] for node in mentioning)
    assert report.post_count == len(mentioning)
    assert sum(n for _, n in report.posts_by_day) == len(mentioning)
