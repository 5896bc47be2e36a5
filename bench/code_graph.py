"""bench/code_graph: indexing a real repository beside the raw tree-sitter parse of its files.

The repository is one nobody here wrote: the source tree of the installed `dagster` package
(about 800 Python files, 210,000 lines), copied as the folder `dagster/` of a temporary git
repository (so that `from dagster._core… import` resolves, as in a real checkout) and committed.
In the same process:
- raw: for each file the manifest keeps, read its bytes and `Parser.parse` them, nothing else;
- pipeline, full run into a fresh SQLite database: `register`, `index_manifest` (walk, hash,
  classify, record) and `index_graph` (parse and extract on a worker process per core, store
  the files in batches, resolve every edge, write the edges), with the progress rows written as
  a run writes them.
The two alternate over ROUNDS rounds (raw first in even rounds, pipeline first in odd ones, each
pipeline round into a new database) because the machine's two cores are shared: a burst of
someone else's load hits both sides alike. The figures are the sums over the rounds.
Then, on the last round's database:
- incremental: every 100th file gets a small function appended (1% of the files) and is
  committed; `index_manifest` + `index_graph` again. It must parse exactly the changed files;
- embeddings: `index_embeddings` with the packaged MiniLM, beside raw `SentenceTransformer.encode`
  of the same texts in one call and in the pipeline's calls of EMBED_BATCH (the model loaded and
  warmed up apart), over one folder of the package (EMBED_FOLDER, about 1,300 nodes) registered
  as a repository of its own: the whole package's 13,000 signatures and docstrings take four
  minutes a side. Reported, no goal.
Then the peak RSS (VmHWM) before the model is loaded, and at the end.
Goals: pipeline files/s >= 0.5 x raw files/s; the incremental run <= 10% of the full run's time.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from bench._memory import peak_rss_bytes
from enrichment_assets.lib.code_graph.indexing import (
    Repository,
    index_embeddings,
    index_graph,
    index_manifest,
)
from enrichment_assets.lib.code_graph.languages import grammar_for, parser_fingerprint, parser_for
from enrichment_assets.lib.code_graph.manifest import ManifestFile, build_manifest
from enrichment_assets.lib.code_graph.progress import ProgressLog
from enrichment_assets.lib.code_graph.records import CodeNode
from enrichment_assets.lib.code_graph.registry import register
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.settings import CodeGraphSettings
from enrichment_assets.storage import code_graph_status as status_store
from enrichment_assets.storage import create_database_engine, upgrade_to_head

ROUNDS = 2
CHANGE_EVERY = 100  # 1% of the files
TENANT, REPO = "bench", "dagster"
EMBED_FOLDER = "dagster/_core/execution"
EMBED_BATCH = 256  # index_embeddings' default: texts per encode call and per commit
MAX_FILE_BYTES = CodeGraphSettings.model_fields["code_graph_max_file_kb"].default * 1024
APPENDED = (
    '\n\ndef _bench_added_{n}(value):\n    """Added by bench/code_graph."""\n    return value\n'
)


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip


def _copy_package(name: str, destination: Path) -> Path:
    """The installed package's source, as the root of a new git repository with one commit."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, f"{name} is not installed"
    root = destination / "repository"  # the package a folder of it, so `import dagster.x` resolves
    shutil.copytree(
        Path(spec.origin).parent, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    _git(root, "init", "--quiet")
    _git(root, "add", "--all")
    _git(root, "commit", "--quiet", "--message", f"{name} as installed")
    return root


def _raw_parse(root: Path, files: list[ManifestFile]) -> float:
    started = time.perf_counter()
    for file in files:
        source = (root / file.path).read_bytes()
        parser_for(grammar_for(file.language, file.path)).parse(source)
    return time.perf_counter() - started


def _progress(engine, repository: Repository) -> ProgressLog:
    progress = ProgressLog(
        engine, repository.tenant, repository.repo, str(uuid.uuid4()), repository.label,
        log=lambda message: None,
    )  # fmt: skip
    progress.start_run()
    return progress


def _index(engine, repository: Repository) -> tuple[dict[str, float], object, object]:
    """Manifest + graph, as the two assets run them; seconds by phase."""
    progress = _progress(engine, repository)
    fingerprint = parser_fingerprint()
    manifest = index_manifest(engine, repository, MAX_FILE_BYTES, fingerprint, progress)
    graph = index_graph(engine, repository, fingerprint, progress)
    return {"manifest": manifest.seconds, **graph.seconds}, manifest, graph


def _fresh_engine(folder: Path, name: str):
    engine = create_database_engine(f"sqlite:///{folder / name}")
    upgrade_to_head(engine)
    return engine


def _embeddings(engine, root: Path, roots: list[Path]) -> dict[str, float]:
    repository = Repository(TENANT, "execution", root / EMBED_FOLDER)
    register(engine, repository.tenant, repository.repo, repository.root, roots)
    _index(engine, repository)
    embedder = EmbedderResource()
    started = time.perf_counter()
    embedder.sentence_transformer()
    todo = status_store.nodes_to_embed(engine, repository.tenant, repository.repo, embedder.model)
    texts = [CodeNode(**asdict(item.node)).embedding_text() for item in todo]
    embedder.encode(texts[:64])  # first-call warm-up, for both sides
    load = time.perf_counter() - started
    started = time.perf_counter()
    embedder.encode(texts)  # sentence-transformers, batch size EMBEDDING_BATCH_SIZE, normalised
    raw = time.perf_counter() - started
    report = index_embeddings(
        engine, repository, embedder.model, embedder.encode, _progress(engine, repository),
        batch=EMBED_BATCH,
    )  # fmt: skip
    assert report.embedded == len(texts), (report.embedded, len(texts))
    # The pipeline's own chunks: sentence-transformers sorts by length only within a call, so
    # smaller calls pad more; this separates that cost from the pipeline's reading and writing.
    started = time.perf_counter()
    for offset in range(0, len(texts), EMBED_BATCH):
        embedder.encode(texts[offset : offset + EMBED_BATCH])
    chunked = time.perf_counter() - started
    return {
        "texts": len(texts), "load": load, "raw": raw, "chunked": chunked,
        "pipeline": report.seconds,
    }  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary).resolve()
        started = time.perf_counter()
        root = _copy_package("dagster", folder)
        files = build_manifest(root, MAX_FILE_BYTES).files
        size = sum(file.size for file in files)
        lines = sum((root / file.path).read_bytes().count(b"\n") for file in files)
        print(f"dagster source: {len(files)} files, {lines:,} lines, {size / 1e6:.1f} MB "
              f"(copied and committed in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        for file in files[:: max(1, len(files) // 20)]:  # load each grammar before the clock
            parser_for(grammar_for(file.language, file.path))

        raw_seconds = 0.0
        phases: dict[str, float] = {}
        for round_ in range(ROUNDS):
            engine = _fresh_engine(folder, f"round-{round_}.db")
            register(engine, TENANT, REPO, root, [folder])
            repository = Repository(TENANT, REPO, root)
            for side in ("raw", "pipeline") if round_ % 2 == 0 else ("pipeline", "raw"):
                if side == "raw":
                    raw_round = _raw_parse(root, files)
                    raw_seconds += raw_round
                else:
                    seconds, manifest, graph = _index(engine, repository)
                    for phase, value in seconds.items():
                        phases[phase] = phases.get(phase, 0.0) + value
            assert manifest.files == len(files) and graph.parsed == len(files), (
                manifest.files, graph.parsed, len(files)
            )  # fmt: skip
            print(f"  round {round_ + 1}/{ROUNDS}: raw {raw_round:5.2f} s, pipeline "
                  f"{sum(seconds.values()):5.2f} s (" + ", ".join(
                      f"{phase} {value:.2f}" for phase, value in seconds.items()) + ")",
                  flush=True)  # fmt: skip
            if round_ < ROUNDS - 1:
                engine.dispose()
        counts = status_store.counts(engine, TENANT, REPO)
        nodes, edges = sum(counts["nodes"].values()), sum(counts["edges"].values())
        full_seconds = sum(phases.values()) / ROUNDS

        changed = files[::CHANGE_EVERY]
        for n, file in enumerate(changed):
            with (root / file.path).open("a", encoding="utf-8") as handle:
                handle.write(APPENDED.format(n=n))
        _git(root, "commit", "--quiet", "--all", "--message", "1% of the files changed")
        incremental_phases, incremental_manifest, incremental = _index(engine, repository)
        incremental_seconds = sum(incremental_phases.values())
        assert incremental.parsed == len(changed), (incremental.parsed, len(changed))
        after = status_store.counts(engine, TENANT, REPO)

        graph_peak = peak_rss_bytes()  # before torch and the model are loaded
        embedding = _embeddings(engine, root, [folder])
        engine.dispose()

    raw_rate = len(files) * ROUNDS / raw_seconds
    pipeline_seconds = sum(phases.values())
    pipeline_rate = len(files) * ROUNDS / pipeline_seconds
    ratio = pipeline_rate / raw_rate
    share = incremental_seconds / full_seconds
    print(
        f"graph: {counts['files']} files ({counts['errors']} with parse errors), {nodes:,} "
        f"nodes {counts['nodes']}, {edges:,} edges {counts['edges']}"
    )
    print(f"raw read + tree-sitter parse: {raw_rate:7.1f} files/s "
          f"({raw_seconds / ROUNDS:.2f} s a round)")  # fmt: skip
    print(
        f"pipeline (register, manifest, graph): {pipeline_rate:7.1f} files/s, "
        f"{nodes * ROUNDS / pipeline_seconds:,.0f} nodes/s ({full_seconds:.2f} s a round: "
        + ", ".join(f"{phase} {value / ROUNDS:.2f} s" for phase, value in phases.items())
        + ")"
    )
    print(f"ratio pipeline/raw: {ratio:.2f}x (goal >= 0.50x) {'OK' if ratio >= 0.5 else 'MISSED'}")
    print(
        f"incremental, {len(changed)} files changed ({len(changed) / len(files):.1%}): "
        f"{incremental_manifest.classification.counts()}, parsed {incremental.parsed}, edges "
        f"rewritten for {incremental.edges_rewritten} files, nodes {nodes:,} -> "
        f"{sum(after['nodes'].values()):,}; {incremental_seconds:.2f} s ("
        + ", ".join(f"{phase} {value:.2f}" for phase, value in incremental_phases.items())
        + f") = {share:.1%} of the full run (goal <= 10%) {'OK' if share <= 0.1 else 'MISSED'}"
    )
    print(
        f"embeddings, {EMBED_FOLDER}: {embedding['texts']:,} nodes (model load and warm-up "
        f"{embedding['load']:.1f} s apart): pipeline "
        f"{embedding['texts'] / embedding['pipeline']:.1f} nodes/s ({embedding['pipeline']:.1f} "
        f"s), raw SentenceTransformer.encode {embedding['texts'] / embedding['raw']:.1f} texts/s "
        f"({embedding['raw']:.1f} s), ratio {embedding['raw'] / embedding['pipeline']:.2f}x; "
        f"raw encode in the pipeline's calls of {EMBED_BATCH} "
        f"{embedding['texts'] / embedding['chunked']:.1f} texts/s ({embedding['chunked']:.1f} s)"
    )
    print(f"peak RSS: {graph_peak / 1e6:.0f} MB through the full and incremental runs, "
          f"{peak_rss_bytes() / 1e6:.0f} MB with the embedding model")  # fmt: skip


if __name__ == "__main__":
    main()
