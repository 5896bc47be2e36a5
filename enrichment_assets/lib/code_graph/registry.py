"""Registered repositories: register, unregister, read their status, and decide which need a
run. The command and the UI's jobs both come through here.

The list of repositories is the Dagster instance's `code_repositories` partitions (one key per
`<tenant>.<repo>`), not a query over the table: on PostgreSQL every code table answers one tenant
at a time, and nothing here ever reads across tenants.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from enrichment_assets.lib.code_graph.ids import (
    BadRepository,
    check_id,
    check_path,
    git_head,
    partition_key,
    source_kind,
    split_key,
)
from enrichment_assets.lib.code_graph.manifest import folder_fingerprint
from enrichment_assets.lib.code_graph.progress import PHASES, overall_percent
from enrichment_assets.storage import code_graph as store
from enrichment_assets.storage import code_graph_status as status_store

# The legacy's hard limit: one hour a run (Dagster stops the run past it).
MAX_RUNTIME_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class RunToRequest:
    partition_key: str
    run_key: str
    revision: str
    tags: dict[str, str]


def register(engine: Engine, tenant: str, repo: str, path: str | Path, roots: list[Path]) -> str:
    """Record a repository under a tenant (again: its path is updated); returns its key."""
    check_id(tenant, "tenant")
    check_id(repo, "repository")
    root = check_path(path, roots)
    store.register_repository(engine, tenant, repo, str(root), source_kind(root))
    return partition_key(tenant, repo)


def is_registered(engine: Engine, tenant: str, repo: str) -> bool:
    return store.get_repository(engine, tenant, repo) is not None


def unregister(engine: Engine, tenant: str, repo: str) -> dict[str, int]:
    """Remove a repository and every row of its graph; the rows removed, by table."""
    check_id(tenant, "tenant")
    check_id(repo, "repository")
    if store.get_repository(engine, tenant, repo) is None:
        raise BadRepository(f"no repository {repo!r} for tenant {tenant!r}")
    return store.unregister_repository(engine, tenant, repo)


def current_revision(root: Path, kind: str) -> str:
    """What a new run is for: the HEAD commit of a git working tree, else (a plain folder, or a
    repository with no commit yet) a fingerprint of its code files' names, sizes and times."""
    head = git_head(root) if kind == "git" else None
    return head or f"folder-{folder_fingerprint(root)[:16]}"


def status(engine: Engine, tenant: str, repo: str) -> dict[str, Any]:
    """Progress and counts, as the `status` command prints them (readable while a run goes)."""
    check_id(tenant, "tenant")
    check_id(repo, "repository")
    row = store.get_repository(engine, tenant, repo)
    if row is None:
        raise BadRepository(f"no repository {repo!r} for tenant {tenant!r}")
    counts = status_store.counts(engine, tenant, repo)
    phases = status_store.progress(engine, tenant, repo)
    return {
        "key": partition_key(tenant, repo),
        "tenant": tenant,
        "repository": repo,
        "path": row.path,
        "source_kind": row.source_kind,
        "state": row.state,
        "revision": row.revision,
        "indexed_revision": row.indexed_revision,
        "last_run_id": row.last_run_id,
        "files": counts["files"],
        "skipped": counts["skipped"],
        "parse_errors": counts["errors"],
        "nodes": counts["nodes"],
        "edges": counts["edges"],
        "parsed_last_run": row.parsed_last_run,
        "progress": max(row.progress or 0, overall_percent(phases)) if phases else 0,
        "phases": {phase: phases[phase] for phase in PHASES if phase in phases},
    }


def runs_to_request(engine: Engine, keys: list[str]) -> list[RunToRequest]:
    """A run for each repository whose revision moved since it was last indexed, or whose last
    run stopped at the soft time limit (its run key then names that run, so it goes on once)."""
    wanted = []
    for key in sorted(keys):
        try:
            tenant, repo = split_key(key)
        except BadRepository:
            continue
        row = store.get_repository(engine, tenant, repo)
        if row is None:
            continue
        root = Path(row.path)
        if not root.is_dir():
            continue
        revision = current_revision(root, row.source_kind)
        if row.state == "partial" and row.last_run_id:
            run_key = f"{key}:{revision}:after-{row.last_run_id[:8]}"
        elif revision != row.indexed_revision:
            run_key = f"{key}:{revision}"
        else:
            continue
        tags = {
            "dagster/max_runtime": str(MAX_RUNTIME_SECONDS),
            "code_graph/tenant": tenant,
            "code_graph/repository": repo,
            "code_graph/revision": revision,
        }
        wanted.append(RunToRequest(key, run_key, revision, tags))
    return wanted
