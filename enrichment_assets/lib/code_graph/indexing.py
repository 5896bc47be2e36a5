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
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine

from enrichment_assets.lib.code_graph.ids import BadRepository, check_path
from enrichment_assets.lib.code_graph.manifest import (
    Classification,
    StoredState,
    classify,
    hash_files,
    walk_repository,
)
from enrichment_assets.lib.code_graph.parsing import parse_path
from enrichment_assets.lib.code_graph.progress import ProgressLog
from enrichment_assets.lib.code_graph.records import CodeNode, FileGraph, Reference
from enrichment_assets.lib.code_graph.registry import current_revision
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


def open_repository(engine: Engine, tenant: str, repo: str, roots: list[Path]) -> Repository:
    """The registered repository, its folder checked against `roots` again (the setting may
    have changed since it was registered)."""
    row = store.get_repository(engine, tenant, repo)
    if row is None:
        raise BadRepository(f"repository {tenant}.{repo} is not registered")
    return Repository(tenant, repo, check_path(row.path, roots))


def begin_run(engine: Engine, repository: Repository, run_id: str, progress: ProgressLog) -> None:
    """A run starts: every phase waits again, and the revision it indexes is recorded."""
    progress.start_run()
    row = store.get_repository(engine, repository.tenant, repository.repo)
    store.update_repository(
        engine, repository.tenant, repository.repo, state="indexing", last_run_id=run_id,
        revision=current_revision(repository.root, row.source_kind),
    )  # fmt: skip


def end_graph(engine: Engine, repository: Repository, report: GraphReport, run_id: str) -> None:
    """The graph phase ends: `indexed` at the revision the run began with, or `partial` (the
    soft limit stopped it; the sensor's next run goes on)."""
    tenant, repo = repository.tenant, repository.repo
    row = store.get_repository(engine, tenant, repo)
    done = {} if report.deadline_reached else {"indexed_revision": row.revision}
    store.update_repository(
        engine, tenant, repo, state="partial" if report.deadline_reached else "indexed",
        parsed_last_run=report.parsed, last_run_id=run_id, **done,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class GraphHealth:
    counts: dict
    dangling_edges: int
    foreign_rows: int | None  # None on SQLite: no row-level security to ask
    rows_seen_by_another_tenant: int


def graph_health(engine: Engine, repository: Repository) -> GraphHealth:
    """What the graph's checks judge: counts, dangling edges, and two isolation probes."""
    tenant, repo = repository.tenant, repository.repo
    return GraphHealth(
        status_store.counts(engine, tenant, repo),
        status_store.dangling_edges(engine, tenant, repo),
        status_store.foreign_rows(engine, tenant, repo),
        status_store.rows_seen_by_another_tenant(engine, tenant, repo),
    )


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


# Below this many files the parse runs in this process: starting workers costs more.
POOL_MIN_FILES = 64
# Files per write transaction (one transaction a file costs a commit and a statement build
# each); a kill loses at most the batch being parsed, and a batch is written at least every
# WRITE_EVERY_SECONDS.
WRITE_BATCH = 64
WRITE_EVERY_SECONDS = 2.0
EDGE_BATCH = 256


def index_graph(
    engine: Engine, repository: Repository, fingerprint: str, progress: ProgressLog,
    deadline: float | None = None, clock: Callable[[], float] = time.monotonic,
    workers: int | None = None,
) -> GraphReport:  # fmt: skip
    """Parse what the manifest found new or changed (on `workers` processes, default one per
    core; files written in batches, each file replaced whole in one transaction), then, if any
    file's nodes changed, resolve every file's edges and rewrite those that differ. At
    `deadline` (a `clock` value) parsing stops; what was parsed is resolved and kept, and the
    next run goes on."""
    tenant, repo = repository.tenant, repository.repo
    pending = store.files_to_parse(engine, tenant, repo, fingerprint)
    report = GraphReport(to_parse=len(pending), parsed=0)
    started = time.perf_counter()
    batch: list[node_store.FileParse] = []
    last_write = clock()
    # What this run parsed, kept for resolution: read back only the files it did not parse.
    fresh: dict[str, ResolvableFile] = {}

    def flush() -> None:
        nonlocal last_write
        node_store.replace_file_graphs(engine, tenant, repo, batch)
        batch.clear()
        last_write = clock()

    jobs = [(str(repository.root), path, language) for path, language, _ in pending]
    with _parsed_files(jobs, workers) as parsed:
        for done, item in enumerate(parsed, start=1):
            if item is not None:
                path, language, digest, graph = item
                refs = [reference.to_json() for reference in graph.references]
                batch.append(node_store.FileParse(path, digest, fingerprint, language,
                                                  graph.nodes, refs, graph.error))  # fmt: skip
                report.parsed += 1
                if graph.error:
                    report.errors.append((path, graph.error))
                else:
                    fresh[path] = ResolvableFile(language, graph.nodes, graph.references)
            if len(batch) >= WRITE_BATCH or clock() - last_write >= WRITE_EVERY_SECONDS:
                flush()
            progress.update("parse", done, len(pending))
            # At least one file a run, so a repository always moves on.
            if deadline is not None and clock() >= deadline and done < len(pending):
                report.deadline_reached = True
                progress.log(f"soft time limit reached after {done} files; the next run "
                             f"parses the other {len(pending) - done}")  # fmt: skip
                break
        flush()
    progress.update("parse", report.parsed, len(pending), final=not report.deadline_reached)
    report.seconds["parse"] = time.perf_counter() - started

    row = store.get_repository(engine, tenant, repo)
    if not row.edges_stale:  # no node changed since every file's edges were written
        progress.update("resolve", 0, 0, final=True)
        progress.update("write", 0, 0, final=True)
        return report
    started = time.perf_counter()
    files = {
        path: ResolvableFile(
            # Stored nodes carry CodeNode's fields and key: resolution reads nothing else.
            stored.language,
            stored.nodes,
            [Reference.from_json(value) for value in stored.refs],
        )
        for path, stored in node_store.resolution_input(engine, tenant, repo, fresh).items()
    }
    files.update(fresh)
    edges, report.unresolved = resolve_edges_counted(files)
    report.files_resolved = len(files)
    progress.update("resolve", len(files), len(files), final=True)
    report.seconds["resolve"] = time.perf_counter() - started

    started = time.perf_counter()
    stored_hashes = node_store.edge_hashes(engine, tenant, repo)
    # A file that stopped parsing (now an error) keeps no outgoing edge either.
    wanted = {path: edges.get(path, frozenset()) for path in {*files, *stored_hashes}}
    hashes = {path: edge_set_hash(found) for path, found in wanted.items()}
    changed = sorted(path for path in wanted if hashes[path] != stored_hashes.get(path))
    for offset in range(0, len(changed), EDGE_BATCH):
        chunk = changed[offset : offset + EDGE_BATCH]
        node_store.replace_edges(
            engine, tenant, repo, {path: (wanted[path], hashes[path]) for path in chunk}
        )
        progress.update("write", offset + len(chunk), len(changed))
    if not report.deadline_reached:
        store.update_repository(engine, tenant, repo, edges_stale=False)
    progress.update("write", len(changed), len(changed), final=True)
    report.edges_rewritten = len(changed)
    report.seconds["write"] = time.perf_counter() - started
    return report


@contextmanager
def _parsed_files(
    jobs: list[tuple[str, str, str]], workers: int | None
) -> Iterator[Iterator[tuple[str, str, str, FileGraph] | None]]:
    """Each job's parse, in order: in this process for a few files, else on worker processes
    (tree-sitter holds the GIL while it parses; processes use every core). Leaving the block
    early (the soft time limit) cancels what has not started."""
    workers = workers or len(os.sched_getaffinity(0))
    if workers < 2 or len(jobs) < POOL_MIN_FILES:
        yield (parse_path(job) for job in jobs)
        return
    # fork: the workers start in milliseconds with the parser already imported, and never run
    # the caller's main module again (spawn and forkserver do, which breaks a script without a
    # main guard and costs a run's process a second of imports). A worker only reads a file,
    # parses it and returns the result: it takes no lock another thread of the parent may have
    # held at the fork (no logging, no database, no import).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        try:
            yield pool.map(parse_path, jobs, chunksize=16)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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
        vectors = encode([_embedding_text(item.node) for item in chunk])
        status_store.store_embeddings(
            engine, tenant, repo, model,
            [(item.id, vector.astype("<f4").tobytes(), item.text_hash)
             for item, vector in zip(chunk, vectors, strict=True)],
        )  # fmt: skip
        progress.update("embed", offset + len(chunk), len(todo))
    progress.update("embed", len(todo), len(todo), final=True)
    return EmbeddingReport(model, len(todo), time.perf_counter() - started)


def _embedding_text(node) -> str:
    fields = (node.kind, node.qualified_name, node.name, node.path, node.start_line,
              node.end_line, node.signature, node.docstring, node.parent)  # fmt: skip
    return CodeNode(*fields).embedding_text()


def edge_set_hash(edges: frozenset | set) -> str:
    """The identity of a file's outgoing edges (order-free)."""
    digest = hashlib.sha256()
    for edge in sorted(edges):
        digest.update(f"{edge.kind}\0{edge.source}\0{edge.target}\n".encode())
    return digest.hexdigest()
