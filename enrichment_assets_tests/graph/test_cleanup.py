"""The graph's part of `storage_cleanup`: edges of deleted posts go through the build's replace
(CO_OCCURS stays a recount), then nodes left without an edge; a dry run counts the same."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.web.assets import storage_cleanup
from enrichment_assets.lib.graph.build import build_post_graph, remove_deleted_posts
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage.tables import graph_nodes, posts
from enrichment_assets_tests.graph.evidence import (
    MODEL,
    enrich,
    graph_rows,
    recounted_co_occurs,
    stored_co_occurs,
)
from enrichment_assets_tests.graph.test_build import DAY, NEXT_DAY, fixture

END = datetime(2024, 5, 3, tzinfo=UTC)


def _delete_post(engine, post_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(posts).where(posts.c.id == post_id))


def _node_keys(engine) -> set[tuple[str, str]]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(graph_nodes.c.kind, graph_nodes.c.key)).all())


def test_storage_cleanup_removes_a_deleted_posts_edges_and_orphans(database_url, engine):
    ids = fixture(engine)
    build_post_graph(engine, DAY, END, MODEL)
    _delete_post(engine, ids["second"])

    def run(dry_run: bool):
        result = dg.materialize(
            [storage_cleanup],
            resources={"db": DatabaseResource(url=database_url)},
            run_config={"ops": {"storage_cleanup": {"config": {"dry_run": dry_run}}}},
        )
        assert result.success
        return result.asset_materializations_for_node("storage_cleanup")[0].metadata

    before = graph_rows(engine)
    dry = run(dry_run=True)
    # PUBLISHED, three MENTIONS, TAGGED and SAME_STORY; then its node and Sam Altman's.
    assert dry["graph_edges_of_deleted_posts"].value == 6
    assert dry["graph_orphan_nodes"].value == 2
    assert graph_rows(engine) == before

    done = run(dry_run=False)
    assert done["graph_edges_of_deleted_posts"].value == 6
    assert done["graph_orphan_nodes"].value == 2
    keys = _node_keys(engine)
    assert ("post", str(ids["second"])) not in keys
    assert ("entity", "PERSON:sam altman") not in keys
    assert ("channel", "telegram:news") in keys  # the third post is still there
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    assert stored_co_occurs(engine) == {("ORG:microsoft", "ORG:openai"): 1.0}

    again = run(dry_run=False)
    assert again["graph_edges_of_deleted_posts"].value == 0
    assert again["graph_orphan_nodes"].value == 0
    # What is left is what a build makes: rebuilding changes nothing.
    report = build_post_graph(engine, DAY, END, MODEL)
    assert (report.inserted, report.updated, report.deleted) == (0, 0, 0)


def test_deleting_a_storys_first_telling_removes_the_edges_into_it(engine):
    ids = fixture(engine)
    build_post_graph(engine, DAY, END, MODEL)
    enrich(engine, ids["later"], [("Anthropic", "org")])
    build_post_graph(engine, NEXT_DAY, END, MODEL)  # leaves no node without an edge
    _delete_post(engine, ids["first"])

    # Its PUBLISHED, 2 MENTIONS, 2 TAGGED, 3 CITES, and the second post's SAME_STORY into it;
    # then its node, the tag "deals", both links and the dataset (the second post still
    # mentions OpenAI and Microsoft, and is tagged "ai").
    counted = remove_deleted_posts(engine, dry_run=True)
    assert counted == {"graph_edges_of_deleted_posts": 9, "graph_orphan_nodes": 5}
    assert remove_deleted_posts(engine) == counted
    assert stored_co_occurs(engine) == recounted_co_occurs(engine)
    keys = _node_keys(engine)
    assert ("entity", "ORG:openai") in keys and ("entity", "ORG:anthropic") in keys
    assert not {key for key in keys if key[0] in ("link", "dataset")}
    assert remove_deleted_posts(engine) == {
        "graph_edges_of_deleted_posts": 0,
        "graph_orphan_nodes": 0,
    }


def test_a_story_and_its_first_telling_both_deleted_count_once(engine):
    ids = fixture(engine)
    build_post_graph(engine, DAY, END, MODEL)
    _delete_post(engine, ids["first"])
    _delete_post(engine, ids["second"])

    counted = remove_deleted_posts(engine, dry_run=True)
    # 8 + 6 edges (the SAME_STORY between them once); the two post nodes, Sam Altman,
    # Microsoft, the tags "ai" and "deals", both links and the dataset.
    assert counted == {"graph_edges_of_deleted_posts": 14, "graph_orphan_nodes": 9}
    assert remove_deleted_posts(engine, batch_size=1) == counted
    assert stored_co_occurs(engine) == recounted_co_occurs(engine) == {}
