"""One repository's indexing, phase by phase: manifest (walk, hash), graph (parse, resolve,
write) and embeddings (embed). The Dagster assets and the benchmark call these; each returns a
report the caller turns into metadata.

What makes an incremental run equal a full rebuild: a file's nodes and its unresolved
references are stored when it is parsed, and only new or changed files (or every file, after a
parser change) are parsed again; the edges are then resolved for the whole repository from
what is stored — in memory, without reading a file — and a file's edges are rewritten only when
they differ. An edge into a changed or deleted file therefore follows that file, whoever owns
it, and parsing stays proportional to what changed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from enrichment_assets.lib.code_graph.manifest import (
    Classification,
    StoredState,
    classify,
    hash_files,
    walk_repository,
)
from enrichment_assets.lib.code_graph.parsing import parse_file
from enrichment_assets.lib.code_graph.progress import ProgressLog
from enrichment_assets.lib.code_graph.records import CodeNode, Reference
from enrichment_assets.lib.code_graph.resolution import ResolvableFile, resolve_edges_counted
from enrichment_assets.storage import code_graph as store
from enrichment_assets.storage import code_graph_nodes as node_store
from enrichment_assets.storage import code_graph_status as status_store


@dataclass(frozen=True, slots=True)
class Repository:
    tenant: str
    repo: str
    root: Path

    @property
    def label(self) -> str:
        """The context every log line carries."""
        return f"[tenant={self.tenant} repo={self.repo}]"


@dataclass(slots=True)
class ManifestReport:
    files: int
    other_files: int
    skipped: list[tuple[str, str]]
    classification: Classification
    seconds: float


@dataclass(slots=True)
class GraphReport:
    to_parse: int
    parsed: int
    errors: list[tuple[str, str]] = field(default_factory=list)
    deadline_reached: bool = False
    files_resolved: int = 0
    unresolved: int = 0  # references with no target inside the repository (library calls)
    edges_rewritten: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class EmbeddingReport:
    model: str
    embedded: int
    seconds: float


def index_manifest(
    engine: Engine, repository: Repository, max_file_bytes: int, fingerprint: str,
    progress: ProgressLog,
) -> ManifestReport:  # fmt: skip
    """Walk and hash the tree, record what is there, and drop from the graph what is gone."""
    started = time.perf_counter()
    tenant, repo = repository.tenant, repository.repo
    manifest, candidates = walk_repository(repository.root, max_file_bytes)
    progress.update("walk", len(candidates), len(candidates), final=True)
    hash_files(
        repository.root, candidates, max_file_bytes, manifest,
        on_file=lambda done: progress.update("hash", done, len(candidates)),
    )  # fmt: skip
    progress.update("hash", len(candidates), len(candidates), final=True)
    stored = {
        path: StoredState(row.parsed_sha256, row.parser_fingerprint, row.status)
        for path, row in store.stored_files(engine, tenant, repo).items()
    }
    classification = classify(manifest, stored, fingerprint)
    store.record_manifest(
        engine, tenant, repo, manifest.files, [(s.path, s.reason) for s in manifest.skipped],
        fingerprint=fingerprint,
    )  # fmt: skip
    store.delete_files(engine, tenant, repo, classification.deleted)
    return ManifestReport(
        files=len(manifest.files),
        other_files=manifest.other_files,
        skipped=[(s.path, s.reason) for s in manifest.skipped],
        classification=classification,
        seconds=time.perf_counter() - started,
    )


def index_graph(
    engine: Engine, repository: Repository, fingerprint: str, progress: ProgressLog,
    deadline: float | None = None, clock: Callable[[], float] = time.monotonic,
) -> GraphReport:  # fmt: skip
    """Parse what the manifest found new or changed (each file replaced in one transaction),
    then resolve every file's edges and rewrite those that differ. At `deadline` (a `clock`
    value) parsing stops; what was parsed is resolved and kept, and the next run goes on."""
    tenant, repo = repository.tenant, repository.repo
    pending = store.files_to_parse(engine, tenant, repo, fingerprint)
    report = GraphReport(to_parse=len(pending), parsed=0)
    started = time.perf_counter()
    for done, (path, language, _) in enumerate(pending, start=1):
        # At least one file a run, so a repository always moves on.
        if deadline is not None and done > 1 and clock() >= deadline:
            report.deadline_reached = True
            progress.log(f"soft time limit reached after {report.parsed} files; the next run "
                         f"parses the other {len(pending) - report.parsed}")  # fmt: skip
            break
        source = _read(repository.root / path)
        if source is None:  # gone since the manifest: the next manifest drops it
            continue
        graph = parse_file(path, source, language)
        digest = hashlib.sha256(source).hexdigest()
        node_store.replace_file_graph(
            engine, tenant, repo, path, sha256=digest, fingerprint=fingerprint,
            language=language, nodes=graph.nodes,
            refs=[reference.to_json() for reference in graph.references], error=graph.error,
        )  # fmt: skip
        report.parsed += 1
        if graph.error:
            report.errors.append((path, graph.error))
        progress.update("parse", done, len(pending))
    progress.update("parse", report.parsed, len(pending), final=not report.deadline_reached)
    report.seconds["parse"] = time.perf_counter() - started

    started = time.perf_counter()
    files = {
        path: ResolvableFile(
            stored.language,
            [CodeNode(**asdict(node)) for node in stored.nodes],
            [Reference.from_json(value) for value in stored.refs],
        )
        for path, stored in node_store.resolution_input(engine, tenant, repo).items()
    }
    edges, report.unresolved = resolve_edges_counted(files)
    report.files_resolved = len(files)
    progress.update("resolve", len(files), len(files), final=True)
    report.seconds["resolve"] = time.perf_counter() - started

    started = time.perf_counter()
    stored_hashes = node_store.edge_hashes(engine, tenant, repo)
    # A file that stopped parsing (now an error) keeps no outgoing edge either.
    wanted = {path: edges.get(path, frozenset()) for path in {*files, *stored_hashes}}
    changed = [
        path for path in sorted(wanted) if edge_set_hash(wanted[path]) != stored_hashes.get(path)
    ]
    for done, path in enumerate(changed, start=1):
        file_edges = wanted[path]
        node_store.replace_file_edges(
            engine, tenant, repo, path, sorted(file_edges), edge_set_hash(file_edges)
        )
        progress.update("write", done, len(changed))
    progress.update("write", len(changed), len(changed), final=True)
    report.edges_rewritten = len(changed)
    report.seconds["write"] = time.perf_counter() - started
    return report


def index_embeddings(
    engine: Engine, repository: Repository, model: str,
    encode: Callable[[Sequence[str]], np.ndarray], progress: ProgressLog, batch: int = 256,
) -> EmbeddingReport:  # fmt: skip
    """Encode the signature and docstring of each node whose text changed (or that has no
    vector under `model`), in batches committed one by one."""
    started = time.perf_counter()
    tenant, repo = repository.tenant, repository.repo
    todo = status_store.nodes_to_embed(engine, tenant, repo, model)
    progress.update("embed", 0, len(todo))
    for offset in range(0, len(todo), batch):
        chunk = todo[offset : offset + batch]
        vectors = encode([CodeNode(**asdict(item.node)).embedding_text() for item in chunk])
        status_store.store_embeddings(
            engine, tenant, repo, model,
            [(item.id, vector.astype("<f4").tobytes(), item.text_hash)
             for item, vector in zip(chunk, vectors, strict=True)],
        )  # fmt: skip
        progress.update("embed", offset + len(chunk), len(todo))
    progress.update("embed", len(todo), len(todo), final=True)
    return EmbeddingReport(model, len(todo), time.perf_counter() - started)


def edge_set_hash(edges: frozenset | set) -> str:
    """The identity of a file's outgoing edges (order-free)."""
    digest = hashlib.sha256()
    for edge in sorted(edges):
        digest.update(f"{edge.kind}\0{edge.source}\0{edge.target}\n".encode())
    return digest.hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        # O_NOFOLLOW: a file swapped for a symlink since the manifest is not followed out.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            return handle.read()
    except OSError:
        return None
