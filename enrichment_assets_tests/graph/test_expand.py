"""Search hits expanded by one hop of the post graph (`search --expand`), on the hand-made graph."""

from __future__ import annotations

import pytest

from enrichment_assets.lib.graph.expand import expand_hits
from enrichment_assets_tests.graph.handmade import build_handmade


@pytest.fixture
def graph(engine):
    return build_handmade(engine)


def test_each_hit_brings_its_related_posts_once_and_says_which_hit(engine, graph):
    names = {value: name for name, value in graph.post.items()}
    added = expand_hits(engine, [graph.post["p1"], graph.post["p4"]], per_hit=2)
    # p1's related are p3, p6, p5, p2 (the story first), two taken; p4's are p7 and p5.
    assert [(names[item.post_id], item.via_rank) for item in added] == [
        ("p3", 1),
        ("p6", 1),
        ("p7", 2),
        ("p5", 2),
    ]
    assert added[0].why == ["same story", "entity GPT-5 (PRODUCT)", "tag ai"]


def test_a_hit_is_never_added_again(engine, graph):
    names = {value: name for name, value in graph.post.items()}
    added = expand_hits(engine, [graph.post["p1"], graph.post["p3"]], per_hit=1)
    assert [names[item.post_id] for item in added] == ["p6", "p5"]


def test_hits_outside_the_graph(engine, graph):
    # p9's day was never built: nothing to expand, and the caller is told so (None).
    assert expand_hits(engine, [graph.post["p9"]], per_hit=3) is None
    assert expand_hits(engine, [], per_hit=3) is None
