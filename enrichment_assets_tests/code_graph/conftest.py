"""Fixtures for the code graph: a small repository to edit, and a way to run the
`index_repository` job for a tenant exactly as the repositories sensor's run would."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy.engine import Engine

from enrichment_assets.definitions import defs
from enrichment_assets.defs.code_graph.jobs import INDEX_ASSETS
from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph import registry
from enrichment_assets.resources.code_graph import CodeGraphResource
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import code_graph_status as status_store

# A project whose files call each other: the graph has edges across every file.
SMALL_PROJECT = {
    "geo/__init__.py": "",
    "geo/shapes.py": '''"""Shapes."""


class Shape:
    def area(self):
        return 0

    def describe(self):
        """Name and area."""
        return f"{type(self).__name__}: {self.area()}"


class Square(Shape):
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side
''',
    "geo/units.py": """def to_cm(metres):
    return metres * 100


def to_m(cm):
    return cm / 100
""",
    "geo/report.py": '''from geo.shapes import Square
from geo import units


def report(side_m):
    """A square's area, described."""
    square = Square(units.to_cm(side_m))
    return square.describe()
''',
    "cli.py": """from geo.report import report


def main():
    print(report(2))
""",
    "tool/main.go": """package main

// Run prints the total.
func Run() int {
	return Add(1, 2)
}
""",
    "tool/add.go": """package main

func Add(a int, b int) int {
	return a + b
}
""",
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "repos" / "small"
    write_tree(root, SMALL_PROJECT)
    return root


@pytest.fixture
def sqlite_engine(sqlite_url) -> Iterator[Engine]:
    from enrichment_assets.storage import create_database_engine, upgrade_to_head

    engine = create_database_engine(sqlite_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@dataclass
class Indexed:
    result: dg.ExecuteInProcessResult
    key: str

    def metadata(self, asset: str) -> dict:
        for event in self.result.get_asset_materialization_events():
            if event.asset_key.to_user_string() == asset:
                return {k: v.value for k, v in event.materialization.metadata.items()}
        raise KeyError(asset)

    def check(self, name: str) -> bool:
        return {e.check_name: e.passed for e in self.result.get_asset_check_evaluations()}[name]


def roots_for(path: Path) -> list[Path]:
    return [path.resolve().parent]


def index(
    instance: dg.DagsterInstance, engine: Engine, database_url: str, tenant: str, repo: str,
    path: Path, *, assets=INDEX_ASSETS[:2], resources: dict | None = None,
    raise_on_error: bool = True,
) -> Indexed:  # fmt: skip
    """Register (again) and run the index job's assets for one repository."""
    key = registry.register(engine, tenant, repo, path, roots_for(path))
    if not instance.has_dynamic_partition(code_repositories.name, key):
        instance.add_dynamic_partitions(code_repositories.name, [key])
    definitions = defs()
    result = dg.materialize(
        # The code graph's own assets only: building a job of every asset costs seconds a run.
        [definitions.get_assets_def(name) for name in INDEX_ASSETS],
        selection=dg.AssetSelection.assets(*assets),
        instance=instance,
        partition_key=key,
        resources={
            **definitions.resources,
            "db": DatabaseResource(url=database_url),
            "code_graph_settings": CodeGraphResource(),
            **(resources or {}),
        },
        raise_on_error=raise_on_error,
    )
    return Indexed(result, key)


@pytest.fixture
def code_roots(monkeypatch, tmp_path) -> Path:
    """CODE_GRAPH_ROOTS: the test's `repos` folder only."""
    repos = tmp_path / "repos"
    repos.mkdir(exist_ok=True)
    monkeypatch.setenv("CODE_GRAPH_ROOTS", str(repos))
    return repos


def snapshot(engine: Engine, tenant: str, repo: str) -> tuple[set, set]:
    """The graph as sets of node and edge tuples (no ids, no tenant): comparable across tenants."""
    return status_store.graph_snapshot(engine, tenant, repo)


def copy_sample(destination: Path) -> Path:
    from enrichment_assets.settings import SAMPLE_CODE_REPOSITORY

    shutil.copytree(SAMPLE_CODE_REPOSITORY, destination, symlinks=True)
    return destination
