"""related / entity / trending on the hand-made graph (handmade.py), whose answers are worked
out here by hand; on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date

import pytest

from enrichment_assets.lib.graph import queries
from enrichment_assets.lib.graph.queries import (
    STORY_WEIGHT,
    UnknownPost,
    entity_report,
    related_posts,
    trending_entities,
)
from enrichment_assets_tests.graph.handmade import at, build_handmade

POSTS = 8  # post nodes: the idf's numerator
OPENAI = math.log1p(POSTS / 3)  # mentioned by p1, p2, p5
GPT5 = math.log1p(POSTS / 2)  # p1, p3
KYIV = math.log1p(POSTS / 3)  # p4, p5, p7
AI = 0.5 * math.log1p(POSTS / 4)  # tagged p1, p2, p3, p5; a tag weighs half an entity
POLITICS = 0.5 * math.log1p(POSTS / 2)  # p4, p7


@pytest.fixture
def graph(engine):
    return build_handmade(engine)


def test_related_ranks_the_story_first_then_shared_topics_by_idf(engine, graph):
    found = related_posts(engine, graph.post["p1"])
    ids = {value: name for name, value in graph.post.items()}
    # p3 is the same story and shares GPT-5 and ai; p6 only the story; p5 and p2 share OpenAI
    # and ai alike, so the newer (p5) comes first.
    assert [ids[r.post_id] for r in found] == ["p3", "p6", "p5", "p2"]
    assert [r.score for r in found] == pytest.approx(
        [STORY_WEIGHT + GPT5 + AI, STORY_WEIGHT, OPENAI + AI, OPENAI + AI]
    )
    assert found[0].why == ["same story", "entity GPT-5 (PRODUCT)", "tag ai"]
    assert found[2].why == ["entity OpenAI (ORG)", "tag ai"]
    assert found[0].channel == "Kyiv Wire"
    assert found[1].channel == "techblog"  # a channel without a title shows its handle
    assert found[0].published_at == at(2, 10)
    assert found[0].text == "GPT-5 first impressions"
    assert found[3].text == 'Altman on "OpenAI", says more, | and more'  # one line


def test_related_follows_the_story_through_its_first_telling(engine, graph):
    found = related_posts(engine, graph.post["p3"], limit=3)
    ids = {value: name for name, value in graph.post.items()}
    # p3 → p1 ← p6: p6 is two hops away and still the same story.
    assert [ids[r.post_id] for r in found] == ["p1", "p6", "p5"]
    assert [r.score for r in found] == pytest.approx([STORY_WEIGHT + GPT5 + AI, STORY_WEIGHT, AI])


def test_related_by_entity_and_tag(engine, graph):
    found = related_posts(engine, graph.post["p4"])
    ids = {value: name for name, value in graph.post.items()}
    assert [(ids[r.post_id], r.why) for r in found] == [
        ("p7", ["entity Kyiv (LOC)", "tag politics"]),
        ("p5", ["entity Kyiv (LOC)"]),
    ]
    assert [r.score for r in found] == pytest.approx([KYIV + POLITICS, KYIV])


def test_a_popular_topic_is_read_through_its_newest_posts(engine, graph, monkeypatch):
    monkeypatch.setattr(queries, "FANOUT", 1)
    found = related_posts(engine, graph.post["p1"])
    ids = {value: name for name, value in graph.post.items()}
    # One post per topic: OpenAI and ai reach p5 only (their newest), GPT-5 p3; p2 is cut.
    # The candidates' scores are still exact: p5 has OpenAI and ai.
    assert [ids[r.post_id] for r in found] == ["p3", "p6", "p5"]
    assert found[2].score == pytest.approx(OPENAI + AI)


def test_a_post_without_a_node_is_unknown(engine, graph):
    with pytest.raises(UnknownPost):
        related_posts(engine, graph.post["p9"])
    with pytest.raises(UnknownPost):
        related_posts(engine, 10_000)
    assert isinstance(UnknownPost("x"), ValueError)


def test_entity_report_by_any_spelling(engine, graph):
    report = entity_report(engine, "  OPENAI, ")
    assert report is not None
    assert report.name == "openai" and report.label == "OpenAI"
    assert [(m["key"], m["type"], m["posts"]) for m in report.matches] == [("ORG:openai", "ORG", 3)]
    assert report.matches[0]["aliases"] == ["OpenAI", "OpenAI;", "openai"]
    assert report.post_count == 3
    assert report.posts == [graph.post["p5"], graph.post["p2"], graph.post["p1"]]
    assert report.channels == [
        {"title": "Odesa News", "handle": "odesa_news", "posts": 2},
        {"title": "Kyiv Wire", "handle": "kyiv_wire", "posts": 1},
    ]
    assert report.posts_by_day == [(date(2024, 5, 1), 2), (date(2024, 5, 3), 1)]
    # Equal weights: the node made first (handmade.ENTITIES' order) first.
    assert report.co_occurring == [
        {"label": "GPT-5", "type": "PRODUCT", "weight": 1.0},
        {"label": "Sam Altman", "type": "PERSON", "weight": 1.0},
        {"label": "Kyiv", "type": "LOC", "weight": 1.0},
    ]


def test_entity_report_merges_types_unless_one_is_asked(engine, graph):
    report = entity_report(engine, "apple")
    assert [(m["type"], m["posts"]) for m in report.matches] == [("ORG", 2), ("PRODUCT", 1)]
    assert report.post_count == 2  # p8 mentions both, counted once
    assert report.posts == [graph.post["p8"], graph.post["p7"]]
    assert [c["title"] for c in report.channels] == ["Kyiv Wire", "techblog"]
    # Apple ORG with Apple PRODUCT is the match with itself: only Kyiv co-occurs.
    assert report.co_occurring == [{"label": "Kyiv", "type": "LOC", "weight": 1.0}]

    product = entity_report(engine, "Apple", entity_type="product")
    assert [m["key"] for m in product.matches] == ["PRODUCT:apple"]
    assert product.posts == [graph.post["p8"]]
    assert product.co_occurring == [{"label": "Apple", "type": "ORG", "weight": 1.0}]

    assert entity_report(engine, "Apple", entity_type="PERSON") is None
    assert entity_report(engine, "Microsoft") is None
    with pytest.raises(ValueError):
        entity_report(engine, " ,;")


def test_entity_report_limits_its_lists(engine, graph):
    report = entity_report(engine, "openai", limit=1)
    assert report.posts == [graph.post["p5"]]
    assert report.post_count == 3
    assert [c["label"] for c in report.co_occurring] == ["GPT-5"]


def test_trending_against_the_previous_window(engine, graph):
    # Window 05-03..05-04 (p4 at 05-03 00:00 is inside), previous 05-01..05-02. OpenAI fell
    # (2 → 1) and GPT-5 and Sam Altman vanished: only rises are listed.
    trends = trending_entities(engine, days=2, until=date(2024, 5, 4))
    assert [(t.label, t.entity_type, t.mentions, t.previous, t.rise, t.channels)
            for t in trends] == [
        ("Kyiv", "LOC", 3, 0, 3, 2),
        ("Apple", "ORG", 2, 0, 2, 2),
        ("Apple", "PRODUCT", 1, 0, 1, 1),
    ]  # fmt: skip
    assert trends[0].node_id == graph.node["LOC:kyiv"]
    # The default window ends with the day of the newest mention (p8, 05-04).
    assert trending_entities(engine, days=2) == trends
    assert trending_entities(engine, days=2, limit=1) == trends[:1]


def test_trending_ties_and_a_one_day_window(engine, graph):
    # 05-04 against 05-03: Kyiv 1 against 2 is no rise; Apple ORG +2, Apple PRODUCT +1.
    trends = trending_entities(engine, days=1, until=date(2024, 5, 4))
    assert [(t.label, t.entity_type, t.rise) for t in trends] == [
        ("Apple", "ORG", 2), ("Apple", "PRODUCT", 1)
    ]  # fmt: skip
    # 05-01 against 04-30: OpenAI and GPT-5 and Sam Altman rise alike: by mentions, then label.
    trends = trending_entities(engine, days=1, until=date(2024, 5, 1))
    assert [(t.label, t.mentions) for t in trends] == [
        ("OpenAI", 2), ("GPT-5", 1), ("Sam Altman", 1)
    ]  # fmt: skip
    assert trending_entities(engine, days=7, until=date(2023, 1, 1)) == []
    with pytest.raises(ValueError):
        trending_entities(engine, days=0)


def test_queries_on_an_empty_graph(engine):
    assert trending_entities(engine) == []
    assert entity_report(engine, "openai") is None
    with pytest.raises(UnknownPost):
        related_posts(engine, 1)


def test_the_demo_overview_most_mentioned_and_an_example_post(engine, graph):
    assert queries.most_mentioned_entities(engine, 3) == [
        {"label": "OpenAI", "type": "ORG", "posts": 3},
        {"label": "Kyiv", "type": "LOC", "posts": 3},
        {"label": "GPT-5", "type": "PRODUCT", "posts": 2},
    ]
    # The newest retelling is p6 (05-04), of p1's story.
    assert queries.example_post(engine) == graph.post["p6"]


def test_the_demo_overview_of_an_empty_graph(engine):
    assert queries.most_mentioned_entities(engine) == []
    assert queries.example_post(engine) is None
