"""`build_post_graph` on a small fixture: the nodes and edges each post yields, an unchanged
re-run that touches no row, a re-enriched post whose edges are replaced with CO_OCCURS still
equal to a recount, stories, citations of links and datasets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import sqlalchemy as sa

from enrichment_assets.lib.graph.build import build_post_graph
from enrichment_assets.storage.tables import graph_nodes, post_enrichment
from enrichment_assets_tests.graph.evidence import (
    MODEL,
    crawl,
    edges_by_key,
    enrich,
    graph_rows,
    recounted_co_occurs,
    register_link,
    same_story,
    stored_co_occurs,
    tag,
)
from enrichment_assets_tests.support.factories import insert_dataset, insert_post

DAY = datetime(2024, 5, 1, tzinfo=UTC)
NEXT_DAY = datetime(2024, 5, 2, tzinfo=UTC)
PAPER = "https://huggingface.co/datasets/acme/news"
BLOG = "https://blog.example/openai"


def at(hour: int, day: int = 1) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


def fixture(engine) -> dict[str, int]:
    """Three posts on May 1st in two channels, one on May 2nd; entities, tags, links."""
    first = insert_post(
        engine,
        "OpenAI and Microsoft sign a deal. OpenAI says more soon.",
        external_id="1",
        channel="tech",
        published_at=at(8),
        urls=[BLOG, PAPER],
    )
    second = insert_post(
        engine,
        "Microsoft confirms the OpenAI deal, Sam Altman comments.",
        external_id="2",
        channel="news",
        published_at=at(10),
    )
    third = insert_post(
        engine, "Weather: rain.", external_id="3", channel="news", published_at=at(11)
    )
    later = insert_post(
        engine, "openai, again.", external_id="4", channel="tech", published_at=at(9, day=2)
    )
    enrich(engine, first, [("OpenAI", "org"), ("Microsoft", "org"), ("openai", "ORG")])
    enrich(engine, second, [("Microsoft", "org"), ("OpenAI,", "org"), ("Sam Altman", "person")])
    enrich(engine, third, [("Nobody", "person")], status="error")  # not completed: no edge
    enrich(engine, later, [("openai", "org")])
    tag(engine, first, ["AI", "deals"])
    tag(engine, second, ["ai"])
    crawl(engine, first, [(BLOG, "OpenAI's blog"), (PAPER, None)])
    register_link(engine, BLOG)
    insert_dataset(engine, "huggingface", "acme/news", title="Acme News", url=PAPER)
    same_story(engine, second, first, 0.83)
    same_story(engine, first, first, 0.83)  # the first telling points at itself: no edge
    return {"first": first, "second": second, "third": third, "later": later}


def test_a_day_becomes_nodes_and_edges(engine):
    posts = fixture(engine)
    report = build_post_graph(engine, DAY, NEXT_DAY, MODEL)

    first, second, third = (str(posts[name]) for name in ("first", "second", "third"))
    openai, microsoft, altman = "ORG:openai", "ORG:microsoft", "PERSON:sam altman"
    assert edges_by_key(engine) == {
        ("PUBLISHED", "telegram:tech", first): 1.0,
        ("PUBLISHED", "telegram:news", second): 1.0,
        ("PUBLISHED", "telegram:news", third): 1.0,
        ("MENTIONS", first, openai): 2.0,  # "OpenAI" and "openai": one entity, twice
        ("MENTIONS", first, microsoft): 1.0,
        ("MENTIONS", second, microsoft): 1.0,
        ("MENTIONS", second, openai): 1.0,
        ("MENTIONS", second, altman): 1.0,
        ("TAGGED", first, "ai"): 1.0,
        ("TAGGED", first, "deals"): 1.0,
        ("TAGGED", second, "ai"): 1.0,
        ("CITES", first, BLOG): 1.0,
        ("CITES", first, PAPER): 1.0,
        ("CITES", first, "huggingface:acme/news"): 1.0,
        ("SAME_STORY", second, first): 0.83,
    }
    assert (
        stored_co_occurs(engine)
        == recounted_co_occurs(engine)
        == {
            (microsoft, openai): 2.0,
            (microsoft, altman): 1.0,
            (openai, altman): 1.0,
        }
    )

    with engine.connect() as connection:
        nodes = {
            (row.kind, row.key): row for row in connection.execute(sa.select(graph_nodes)).all()
        }
    entity = nodes[("entity", openai)]
    assert (entity.label, entity.entity_type, entity.name_key) == ("OpenAI", "ORG", "openai")
    assert entity.aliases == ["OpenAI", "OpenAI,", "openai"]
    assert (entity.first_seen, entity.last_seen) == (at(8), at(10))
    assert nodes[("tag", "ai")].label == "AI" and nodes[("tag", "ai")].aliases == ["AI", "ai"]
    assert nodes[("link", BLOG)].label == "OpenAI's blog" and nodes[("link", BLOG)].ref_id
    assert nodes[("link", PAPER)].label == PAPER and nodes[("link", PAPER)].ref_id is None
    assert nodes[("dataset", "huggingface:acme/news")].label == "Acme News"
    assert nodes[("channel", "telegram:news")].first_seen == at(10)
    assert nodes[("channel", "telegram:news")].last_seen == at(11)
    post = nodes[("post", first)]
    assert (post.ref_id, post.first_seen, post.last_seen) == (posts["first"], at(8), at(8))
    assert post.label.startswith("OpenAI and Microsoft sign a deal.")
    assert ("post", str(posts["later"])) not in nodes  # another day

    assert report.posts == 3
    assert report.edges_by_kind == {
        "CITES": 3, "MENTIONS": 5, "PUBLISHED": 3, "SAME_STORY": 1, "TAGGED": 3,
    }  # fmt: skip
    assert report.nodes_by_kind == {
        "channel": 2, "dataset": 1, "entity": 3, "link": 2, "post": 3, "tag": 2,
    }  # fmt: skip
    assert report.inserted == 15 and report.unchanged == 0
    assert report.top_entities[:2] == [
        {"label": "Microsoft", "type": "ORG", "posts": 2},
        {"label": "OpenAI", "type": "ORG", "posts": 2},
    ]


def test_a_rerun_changes_no_row(engine):
    fixture(engine)
    first = build_post_graph(engine, DAY, NEXT_DAY, MODEL)
    build_post_graph(engine, NEXT_DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    before = graph_rows(engine)

    again = build_post_graph(engine, DAY, NEXT_DAY, MODEL, batch_size=2)
    assert graph_rows(engine) == before  # same ids, same updated_at
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.inserted
    assert (again.nodes_inserted, again.nodes_updated, again.co_occurs_adjusted) == (0, 0, 0)
    assert again.data_version == first.data_version


def test_batches_of_one_post_build_the_same_graph(engine):
    fixture(engine)
    report = build_post_graph(engine, DAY, NEXT_DAY, MODEL, batch_size=1)
    whole = edges_by_key(engine)
    assert report.batches == 3
    nodes, _edges = graph_rows(engine)
    openai = next(row for row in nodes if row.key == "ORG:openai")
    assert openai.aliases == ["OpenAI", "OpenAI,", "openai"] and openai.label == "OpenAI"
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    assert len(whole) == 15 and len(stored_co_occurs(engine)) == 3


def test_a_re_enriched_post_replaces_its_edges(engine):
    posts = fixture(engine)
    build_post_graph(engine, DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    published = edges_by_key(engine, "PUBLISHED")
    kept_ids = {row.id for row in graph_rows(engine)[1] if row.kind == "PUBLISHED"}

    enrich(engine, posts["second"], [("Microsoft", "org"), ("Satya Nadella", "person")])
    tag(engine, posts["second"], [])
    report = build_post_graph(engine, DAY, NEXT_DAY, MODEL)

    second = str(posts["second"])
    mentions = {t for (_k, s, t) in edges_by_key(engine, "MENTIONS") if s == second}
    assert mentions == {"ORG:microsoft", "PERSON:satya nadella"}
    assert not [key for key in edges_by_key(engine, "TAGGED") if key[1] == second]
    assert (report.inserted, report.deleted) == (1, 3)  # + Nadella; - OpenAI, Altman, tag ai
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    assert stored_co_occurs(engine)[("ORG:microsoft", "ORG:openai")] == 1.0
    assert edges_by_key(engine, "PUBLISHED") == published
    assert kept_ids == {row.id for row in graph_rows(engine)[1] if row.kind == "PUBLISHED"}

    # Its enrichment fails: its mentions go, the pairs it made with them too.
    enrich(engine, posts["second"], [], status="error")
    build_post_graph(engine, DAY, NEXT_DAY, MODEL)
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    assert ("ORG:microsoft", "PERSON:satya nadella") not in stored_co_occurs(engine)


def test_stories_of_another_model_are_not_read(engine):
    posts = fixture(engine)
    same_story(engine, posts["third"], posts["first"], 0.9, model="another-model")
    build_post_graph(engine, DAY, NEXT_DAY, MODEL)
    stories = edges_by_key(engine, "SAME_STORY")
    assert stories == {("SAME_STORY", str(posts["second"]), str(posts["first"])): 0.83}


def test_a_story_told_first_on_another_day_gets_that_post_node(engine):
    posts = fixture(engine)
    same_story(engine, posts["later"], posts["second"], 0.75)
    build_post_graph(engine, NEXT_DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    assert edges_by_key(engine, "SAME_STORY") == {
        ("SAME_STORY", str(posts["later"]), str(posts["second"])): 0.75
    }
    before = graph_rows(engine)[0]
    build_post_graph(engine, DAY, NEXT_DAY, MODEL)
    second = [row for row in graph_rows(engine)[0] if row.key == str(posts["second"])]
    assert second == [row for row in before if row.key == str(posts["second"])]


def test_two_builds_of_the_same_days_at_once_end_as_one(engine):
    """On PostgreSQL the batches lock their post nodes and wait for each other; on SQLite the
    write lock serialises them. Either way: no edge twice, CO_OCCURS counted once."""
    posts = fixture(engine)
    for n in range(40):
        post = insert_post(engine, f"More news {n}", external_id=f"m{n}", published_at=at(12))
        enrich(
            engine, post, [("OpenAI", "org"), (f"Person {n % 7}", "person"), ("Microsoft", "org")]
        )
    enrich(engine, posts["later"], [("OpenAI", "org"), ("Microsoft", "org")])

    def build(start: datetime) -> None:
        build_post_graph(engine, start, datetime(2024, 5, 3, tzinfo=UTC), MODEL, batch_size=7)

    with ThreadPoolExecutor(max_workers=3) as pool:
        for future in [
            pool.submit(build, DAY),
            pool.submit(build, DAY),
            pool.submit(build, NEXT_DAY),
        ]:
            future.result()
    together = edges_by_key(engine)
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    assert stored_co_occurs(engine)[("ORG:microsoft", "ORG:openai")] == 43.0

    again = build_post_graph(engine, DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    assert (again.inserted, again.updated, again.deleted, again.nodes_updated) == (0, 0, 0, 0)
    assert edges_by_key(engine) == together


def test_a_link_keeps_its_crawled_title_and_bad_payloads_yield_nothing(engine):
    titled = insert_post(engine, "See this", external_id="a", published_at=at(8), urls=[BLOG])
    bare = insert_post(engine, "And this", external_id="b", published_at=at(9), urls=[BLOG])
    crawl(engine, titled, [(BLOG, "The  blog\n title")])
    retitled = insert_post(engine, "Again", external_id="c", published_at=at(7, day=2), urls=[BLOG])
    crawl(engine, retitled, [(BLOG, "Its title a day later")])
    enrich(engine, bare, [])
    with engine.begin() as connection:  # answers of an older, looser shape
        connection.execute(
            post_enrichment.update()
            .where(post_enrichment.c.post_id == bare)
            .values(payload={"entities": ["OpenAI", {"type": "org"}, {"text": 3}]})
        )
    tag(engine, bare, ["ok", 7, None])
    build_post_graph(engine, DAY, NEXT_DAY, MODEL, batch_size=1)
    nodes = {(row.kind, row.key): row for row in graph_rows(engine)[0]}
    assert nodes[("link", BLOG)].label == "The blog title"  # the second post had no crawl
    # The next day's crawl titled the page otherwise: the first title stays, run after run.
    build_post_graph(engine, NEXT_DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    before = graph_rows(engine)
    build_post_graph(engine, DAY, NEXT_DAY, MODEL)
    build_post_graph(engine, NEXT_DAY, datetime(2024, 5, 3, tzinfo=UTC), MODEL)
    assert graph_rows(engine) == before
    assert [row.label for row in before[0] if row.key == BLOG] == ["The blog title"]
    assert not [key for key in nodes if key[0] == "entity"]
    assert [key for key in nodes if key[0] == "tag"] == [("tag", "ok")]
