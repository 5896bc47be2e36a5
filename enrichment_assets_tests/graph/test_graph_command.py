"""`python -m enrichment_assets.graph` on the hand-made graph: each command's --json parsed,
the plain output's first lines, and the exit status of bad input (2) and of nothing found (1);
on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from enrichment_assets.graph import main
from enrichment_assets_tests.graph.handmade import build_handmade


@pytest.fixture
def graph(engine):
    return build_handmade(engine)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_related_json_and_text(graph, database_url, capsys):
    p1 = str(graph.post["p1"])
    status, out, err = run(capsys, "related", p1, "--json", "--database-url", database_url)
    assert status == 0 and err == ""
    document = json.loads(out)
    assert document["post_id"] == graph.post["p1"]
    assert [r["post_id"] for r in document["related"]] == [
        graph.post[name] for name in ("p3", "p6", "p5", "p2")
    ]
    assert document["related"][0]["why"] == ["same story", "entity GPT-5 (PRODUCT)", "tag ai"]
    assert document["related"][0]["channel"] == "Kyiv Wire"
    assert document["related"][0]["published_at"] == "2024-05-02T10:00:00+00:00"

    status, out, _ = run(capsys, "related", p1, "--limit", "1", "--database-url", database_url)
    assert status == 0
    assert out.splitlines()[0] == f"1 posts related to post {p1}:"
    assert f"[{graph.post['p3']}] Kyiv Wire 2024-05-02  GPT-5 first impressions" in out
    assert "why: same story; entity GPT-5 (PRODUCT); tag ai" in out


def test_entity_json_lists_channel_titles_and_post_ids(graph, database_url, capsys):
    status, out, _ = run(capsys, "entity", "OpenAI,", "--json", "--database-url", database_url)
    assert status == 0
    document = json.loads(out)
    assert document["channels"] == ["Odesa News", "Kyiv Wire"]
    assert document["posts"] == [graph.post[name] for name in ("p5", "p2", "p1")]
    assert document["posts_by_day"] == [
        {"day": "2024-05-01", "posts": 2}, {"day": "2024-05-03", "posts": 1}
    ]  # fmt: skip
    assert document["matches"][0]["key"] == "ORG:openai"
    assert document["matches"][0]["first_seen"] == "2024-05-01T09:00:00+00:00"
    assert [c["label"] for c in document["co_occurring"]] == ["GPT-5", "Sam Altman", "Kyiv"]

    status, out, _ = run(
        capsys, "entity", "apple", "--type", "Product", "--json", "--database-url", database_url
    )
    assert status == 0 and json.loads(out)["channels"] == ["techblog"]
    status, out, _ = run(capsys, "entity", "apple", "--database-url", database_url)
    assert status == 0
    assert out.splitlines()[0] == "Apple: 2 posts; ORG:apple (2), PRODUCT:apple (1)"
    status, out, _ = run(capsys, "entity", "openai", "--limit", "1", "--database-url", database_url)
    assert out.splitlines()[1:4] == [
        "channels: Odesa News (2), and 1 more",
        "posts by day: (1 earlier days, see --json) 2024-05-03 1",
        f"newest posts: {graph.post['p5']}",
    ]


def test_trending_json_and_text(graph, database_url, capsys):
    argv = ["trending", "--days", "2", "--until", "2024-05-04", "--database-url", database_url]
    status, out, _ = run(capsys, *argv, "--json")
    assert status == 0
    document = json.loads(out)
    assert document["window"] == {"start": "2024-05-03", "end": "2024-05-04"}
    assert document["previous"] == {"start": "2024-05-01", "end": "2024-05-02"}
    assert [(t["label"], t["type"], t["rise"], t["channels"]) for t in document["trends"]] == [
        ("Kyiv", "LOC", 3, 2), ("Apple", "ORG", 2, 2), ("Apple", "PRODUCT", 1, 1)
    ]  # fmt: skip
    status, out, _ = run(capsys, "trending", "--days", "2", "--database-url", database_url)
    assert status == 0
    assert out.splitlines()[0] == (
        "entities in more posts in 2024-05-03..2024-05-04 than in 2024-05-01..2024-05-02:"
    )
    assert "Kyiv (LOC)  0 → 3 posts, 2 channels" in out.splitlines()[1]


def test_export_prints_the_import_command(graph, database_url, capsys, tmp_path):
    status, out, _ = run(capsys, "export", str(tmp_path / "out"), "--database-url", database_url)
    assert status == 0
    assert out.splitlines()[-1].startswith("neo4j-admin database import full ")
    status, out, _ = run(
        capsys, "export", str(tmp_path / "out"), "--json", "--database-url", database_url
    )
    assert status == 0 and json.loads(out)["nodes"]["post"] == 8


def test_nothing_found_exits_1_with_a_hint(graph, database_url, capsys):
    unbuilt = str(graph.post["p9"])
    for argv, hint in [
        (["related", unbuilt], "not in the graph"),
        (["entity", "Microsoft"], "materialize post_graph"),
        (["entity", "Apple", "--type", "PERSON"], "try without --type"),
        (["trending", "--until", "2023-01-01"], "try more --days"),
    ]:
        status, out, err = run(capsys, *argv, "--json", "--database-url", database_url)
        assert (status, out) == (1, ""), argv
        assert hint in err and len(err.strip().splitlines()) == 1, argv


def test_an_empty_graph_exits_1(database_url, capsys, tmp_path):
    for argv in (["trending"], ["export", str(tmp_path)]):
        status, _, err = run(capsys, *argv, "--database-url", database_url)
        assert status == 1 and "materialize post_graph" in err


def test_bad_input_exits_2_on_one_line(sqlite_url, capsys):
    for argv in (
        ["related", "abc"],
        ["trending", "--days", "0"],
        ["trending", "--until", "May 4"],
        ["entity", " ;, "],
        ["frobnicate"],
        [],
    ):
        status, out, err = run(capsys, *argv, "--database-url", sqlite_url)
        assert status == 2, argv
        assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("graph: ")

    status, _, err = run(
        capsys, "trending", "--database-url", "postgresql+psycopg://x@127.0.0.1:1/db"
    )
    assert status == 2 and err.startswith("graph: --database-url: cannot connect")
