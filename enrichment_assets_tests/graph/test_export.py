"""The Neo4j export of the hand-made graph, read back with csv: headers, counts, every
relationship's ends among the exported nodes, one line per record; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from pathlib import Path

from enrichment_assets.lib.graph.export import ARRAY_DELIMITER, export_neo4j
from enrichment_assets.storage.tables import graph_edges
from enrichment_assets_tests.graph.handmade import build_handmade


def read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_export_writes_what_neo4j_admin_imports(engine, tmp_path):
    graph = build_handmade(engine)
    report = export_neo4j(engine, tmp_path / "neo4j")
    folder = tmp_path / "neo4j"

    assert report["nodes"] == {
        "channel": 3, "dataset": 1, "entity": 6, "link": 1, "post": 8, "tag": 2
    }  # fmt: skip
    assert report["relationships"] == graph.edges
    assert report["skipped_relationships"] == 0
    assert sorted(p.name for p in folder.iterdir()) == report["files"]

    ids: dict[str, str] = {}
    for kind, label in [("channel", "Channel"), ("post", "Post"), ("entity", "Entity"),
                        ("tag", "Tag"), ("link", "Link"), ("dataset", "Dataset")]:  # fmt: skip
        header, rows = read(folder / f"nodes_{kind}.csv")
        assert header[:3] == ["nodeId:ID", "key", "label"] and header[-1] == ":LABEL"
        assert {row[":LABEL"] for row in rows} == {label}
        for row in rows:
            assert row["nodeId:ID"] not in ids  # one id space for every kind
            ids[row["nodeId:ID"]] = kind
    _, entities = read(folder / "nodes_entity.csv")
    openai = next(row for row in entities if row["key"] == "ORG:openai")
    assert openai["entity_type"] == "ORG"
    assert openai["aliases:string[]"].split(ARRAY_DELIMITER) == ["OpenAI", "OpenAI;", "openai"]
    assert openai["first_seen:datetime"] == "2024-05-01T09:00:00.000000Z"
    header, posts = read(folder / "nodes_post.csv")
    assert "ref_id:long" in header
    by_key = {row["key"]: row for row in posts}
    assert by_key[str(graph.post["p2"])]["label"] == 'Altman on "OpenAI", says more, | and more'
    _, channels = read(folder / "nodes_channel.csv")
    assert {row["label"] for row in channels} == {"Kyiv Wire", "Odesa News", "techblog"}

    for kind, count in graph.edges.items():
        header, rows = read(folder / f"relationships_{kind}.csv")
        assert header == [":START_ID", ":END_ID", "weight:float", ":TYPE"]
        assert len(rows) == count
        assert {row[":TYPE"] for row in rows} == {kind}
        assert all(row[":START_ID"] in ids and row[":END_ID"] in ids for row in rows)
        assert all(float(row["weight:float"]) > 0 for row in rows)
    _, mentions = read(folder / "relationships_MENTIONS.csv")
    assert {(ids[r[":START_ID"]], ids[r[":END_ID"]]) for r in mentions} == {("post", "entity")}
    assert max(float(r["weight:float"]) for r in mentions) == 2.0  # Apple ORG twice in p8

    # One physical line per record: a label's line break was made a space.
    text = (folder / "nodes_post.csv").read_text(encoding="utf-8")
    assert len(text.splitlines()) == 1 + len(posts)

    command = report["command"]
    assert command.startswith("neo4j-admin database import full ")
    assert command.endswith(" neo4j") and "--array-delimiter=U+001F" in command
    assert f"--nodes={folder / 'nodes_entity.csv'}" in command
    assert f"--relationships={folder / 'relationships_CO_OCCURS.csv'}" in command


def test_a_second_export_replaces_the_first(engine, tmp_path):
    build_handmade(engine)
    export_neo4j(engine, tmp_path)
    (tmp_path / "notes.csv").write_text("mine")
    with engine.begin() as connection:
        connection.execute(graph_edges.delete().where(graph_edges.c.kind == "SAME_STORY"))
    report = export_neo4j(engine, tmp_path)
    assert "SAME_STORY" not in report["relationships"]
    assert not (tmp_path / "relationships_SAME_STORY.csv").exists()
    assert (tmp_path / "notes.csv").read_text() == "mine"  # not ours: left alone


def test_an_empty_graph_exports_no_files(engine, tmp_path):
    report = export_neo4j(engine, tmp_path / "empty")
    assert report["files"] == [] and report["nodes"] == {} and report["relationships"] == {}
    assert report["command"] == "neo4j-admin database import full --array-delimiter=U+001F neo4j"
