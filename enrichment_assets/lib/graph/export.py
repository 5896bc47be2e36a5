"""The post graph as CSV files that `neo4j-admin database import full` reads.

One file per node kind (`nodes_<kind>.csv`, header `nodeId:ID,key,label,…,:LABEL`) and per
edge kind (`relationships_<KIND>.csv`, header `:START_ID,:END_ID,weight:float,:TYPE`). A node's
id is its `graph_nodes.id`, one id space for all kinds. Fields never hold a line break (each
is made one line) and are quoted where the CSV needs it (quotes doubled, as the importer
expects); an empty field is an absent property. Aliases are a `string[]` whose elements are
separated by U+001F, a character no text uses, so an alias with ";" stays whole. Both tables
are read a page at a time: nothing is held in memory but one page.

Edges whose ends were not exported (a build that added them after the nodes were read) are
left out and counted, so the files always import without dangling relationships.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from enrichment_assets.storage import graph_export as repository

LABELS = {
    "channel": "Channel",
    "post": "Post",
    "entity": "Entity",
    "tag": "Tag",
    "link": "Link",
    "dataset": "Dataset",
}
EDGE_KINDS = ("PUBLISHED", "MENTIONS", "TAGGED", "CITES", "SAME_STORY", "CO_OCCURS")
ARRAY_DELIMITER = "\x1f"
SEEN = ["first_seen:datetime", "last_seen:datetime"]
# Properties after nodeId, key and label, per kind: `column` or `column:type` (the row's
# attribute is the part before the colon).
PROPERTIES = {
    "entity": ["entity_type", "name_key", "aliases:string[]", *SEEN],
    "tag": ["name_key", "aliases:string[]", *SEEN],
}
DEFAULT_PROPERTIES = ["ref_id:long", *SEEN]
RELATIONSHIP_HEADER = [":START_ID", ":END_ID", "weight:float", ":TYPE"]


def _line(value: object) -> str:
    return " ".join(str(value).replace(ARRAY_DELIMITER, " ").split())


def _field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, list | tuple):
        return ARRAY_DELIMITER.join(_line(item) for item in value if _line(item))
    if isinstance(value, float):
        return repr(value)
    return _line(value)


def _label(kind: str) -> str:
    return LABELS.get(kind, kind.capitalize())


class _Files:
    """One CSV writer per file name, opened with its header on first use."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.handles: dict[str, tuple] = {}
        self.counts: dict[str, int] = {}

    def write(self, name: str, header: list[str], row: list[str]) -> None:
        if name not in self.handles:
            handle = (self.directory / name).open("w", newline="", encoding="utf-8")
            writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            writer.writerow(header)
            self.handles[name] = (handle, writer)
            self.counts[name] = 0
        self.handles[name][1].writerow(row)
        self.counts[name] += 1

    def close(self) -> None:
        for handle, _ in self.handles.values():
            handle.close()


def import_command(directory: Path, files: list[str], database: str = "neo4j") -> str:
    """The `neo4j-admin` call that imports the written files into a new database."""
    options = ["--array-delimiter=U+001F"]
    options += [f"--nodes={directory / name}" for name in files if name.startswith("nodes_")]
    options += [
        f"--relationships={directory / name}" for name in files if name.startswith("relationships_")
    ]
    return " ".join(["neo4j-admin database import full", *options, database])


def export_neo4j(engine: Engine, directory: str | Path) -> dict:
    """Write the graph's CSV files into `directory` (made if missing; earlier export files of
    kinds now absent removed); return what was written and the import command."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    files = _Files(directory)
    exported: set[int] = set()
    skipped = 0
    try:
        for page in repository.node_pages(engine):
            for row in page:
                columns = PROPERTIES.get(row.kind, DEFAULT_PROPERTIES)
                header = ["nodeId:ID", "key", "label", *columns, ":LABEL"]
                values = [getattr(row, column.split(":")[0]) for column in columns]
                fields = [row.id, row.key, row.label, *values, _label(row.kind)]
                files.write(f"nodes_{row.kind}.csv", header, [_field(v) for v in fields])
                exported.add(row.id)
        for page in repository.edge_pages(engine):
            for row in page:
                if row.source_id not in exported or row.target_id not in exported:
                    skipped += 1
                    continue
                files.write(
                    f"relationships_{row.kind}.csv",
                    RELATIONSHIP_HEADER,
                    [_field(row.source_id), _field(row.target_id), _field(float(row.weight)),
                     row.kind],
                )  # fmt: skip
    finally:
        files.close()
    written = sorted(files.counts)
    ours = [f"nodes_{kind}.csv" for kind in LABELS] + [
        f"relationships_{kind}.csv" for kind in EDGE_KINDS
    ]
    for name in ours:
        if name not in files.counts:
            (directory / name).unlink(missing_ok=True)
    return {
        "directory": str(directory),
        "nodes": {
            name[len("nodes_") : -len(".csv")]: count
            for name, count in sorted(files.counts.items())
            if name.startswith("nodes_")
        },
        "relationships": {
            name[len("relationships_") : -len(".csv")]: count
            for name, count in sorted(files.counts.items())
            if name.startswith("relationships_")
        },
        "skipped_relationships": skipped,
        "files": written,
        "command": import_command(directory, written),
    }
