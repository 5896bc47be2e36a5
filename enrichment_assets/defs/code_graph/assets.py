"""The code graph of each registered repository (one dynamic partition per `<tenant>.<repo>`):
manifest (walk, hash) → graph (parse, resolve, write) → embeddings, with the graph's checks.

A storage or connection error retries the step as the legacy task did (about 60, 120, 240 s,
jittered, never more than 600 s); a bad tenant, repository or path fails at once; any other
error fails the step without a retry (another attempt would meet the same bug). A file that does
not parse is recorded with its reason and the rest of the repository lands.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import sqlalchemy.exc

from enrichment_assets.defs.metadata import counts_table, table
from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph.ids import BadRepository, split_key
from enrichment_assets.lib.code_graph.indexing import (
    Repository,
    begin_run,
    end_graph,
    graph_health,
    index_embeddings,
    index_graph,
    index_manifest,
    open_repository,
)
from enrichment_assets.lib.code_graph.languages import parser_fingerprint
from enrichment_assets.lib.code_graph.progress import ProgressLog
from enrichment_assets.lib.common.retry import jittered_backoff
from enrichment_assets.resources.code_graph import CodeGraphResource
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage import code_graph_status as status_store

GROUP = "code_graph"
# The legacy task's retries: 3, after 60 → 120 → 240 s, capped at 600 s, with jitter.
STORAGE_RETRIES = 3
STORAGE_RETRY_BASE_SECONDS = 60
STORAGE_RETRY_CAP_SECONDS = 600
STORAGE_ERRORS = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    ConnectionError,
    TimeoutError,
)
PARSE_ERROR_RATE_WARN = 0.05


def storage_retry_wait(retry_number: int) -> float:
    """Seconds before retry `retry_number + 1`: 60, 120, 240 (± 25 %), at most 600."""
    return min(
        STORAGE_RETRY_CAP_SECONDS,
        jittered_backoff(retry_number, STORAGE_RETRY_BASE_SECONDS, cap=STORAGE_RETRY_CAP_SECONDS),
    )


@contextmanager
def legacy_retries(context: dg.AssetExecutionContext) -> Iterator[None]:
    """Storage errors ask for another attempt after the legacy's wait; validation fails now."""
    try:
        yield
    except BadRepository as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    except STORAGE_ERRORS as error:
        wait = storage_retry_wait(context.retry_number)
        tenant, _, repo = context.partition_key.partition(".")
        context.log.warning(
            f"[tenant={tenant} repo={repo}] storage error ({type(error).__name__}); attempt "
            f"{context.retry_number + 1} of {STORAGE_RETRIES + 1}, next in {wait:.0f} s"
        )
        raise dg.RetryRequested(max_retries=STORAGE_RETRIES, seconds_to_wait=wait) from error


def _repository(
    context: dg.AssetExecutionContext, db: DatabaseResource, code_graph_settings: CodeGraphResource
) -> Repository:
    tenant, repo = split_key(context.partition_key)
    return open_repository(db.engine, tenant, repo, code_graph_settings.roots())


def _progress(
    context: dg.AssetExecutionContext, db: DatabaseResource, repository: Repository
) -> ProgressLog:
    return ProgressLog(
        db.engine, repository.tenant, repository.repo, context.run.run_id,
        label=repository.label, log=context.log.info,
    )  # fmt: skip


_COMMON = dict(partitions_def=code_repositories, group_name=GROUP)


@dg.asset(
    **_COMMON,
    kinds={"git"},
    description="The repository's files: walked honouring .gitignore; vendored, nested-"
    "repository, minified, binary, symlinked and oversized files skipped with a reason; each "
    "kept file hashed and sorted into new, changed, unchanged and deleted against the graph. "
    "Deleted files leave the graph here.",
)
def code_graph_manifest(
    context: dg.AssetExecutionContext, db: DatabaseResource, code_graph_settings: CodeGraphResource
) -> dg.MaterializeResult:
    with legacy_retries(context):
        repository = _repository(context, db, code_graph_settings)
        progress = _progress(context, db, repository)
        begin_run(db.engine, repository, context.run.run_id, progress)
        report = index_manifest(
            db.engine,
            repository,
            code_graph_settings.max_file_bytes(),
            parser_fingerprint(),
            progress,
        )
    counts = report.classification.counts()
    progress.log(
        f"manifest: {report.files} files, " + ", ".join(f"{n} {k}" for k, n in counts.items())
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.files,
            **counts,
            "skipped": len(report.skipped),
            "other_files": report.other_files,
            "files": counts_table(counts, "class", "files"),
            "skipped_files": table(["path", "reason"], report.skipped[:50]),
            "seconds": round(report.seconds, 2),
        },
        data_version=dg.DataVersion(
            status_store.manifest_version(db.engine, repository.tenant, repository.repo)
        ),
    )


@dg.asset(
    **_COMMON,
    deps=[code_graph_manifest],
    kinds={"tree-sitter"},
    description="Modules, classes, functions and methods (qualified name, path, lines, "
    "signature, docstring) and their CONTAINS, IMPORTS, INHERITS and CALLS edges, resolved "
    "across files. Only new and changed files are parsed (all of them once after a parser "
    "change); every file's edges are resolved again from what is stored, so the result always "
    "equals a full rebuild. At the soft time limit the run keeps what it parsed and the "
    "sensor's next run goes on.",
    check_specs=[
        dg.AssetCheckSpec(
            "no_dangling_edges",
            asset="code_graph",
            blocking=True,
            description="every edge's two ends are nodes of the repository",
        ),
        dg.AssetCheckSpec(
            "tenant_isolation",
            asset="code_graph",
            blocking=True,
            description="the tenant's transaction sees no row of another tenant "
            "(on PostgreSQL, row-level security under the application role)",
        ),
        dg.AssetCheckSpec(
            "parse_error_rate",
            asset="code_graph",
            description=f"at most {PARSE_ERROR_RATE_WARN:.0%} of the code files fail to parse",
        ),
    ],
)
def code_graph(
    context: dg.AssetExecutionContext, db: DatabaseResource, code_graph_settings: CodeGraphResource
) -> Iterator:
    with legacy_retries(context):
        repository = _repository(context, db, code_graph_settings)
        progress = _progress(context, db, repository)
        deadline = _deadline(context, code_graph_settings)
        report = index_graph(db.engine, repository, parser_fingerprint(), progress, deadline)
        end_graph(db.engine, repository, report, context.run.run_id)
        health = graph_health(db.engine, repository)
        version = status_store.graph_version(db.engine, repository.tenant, repository.repo)
    counts, foreign = health.counts, health.foreign_rows
    progress.log(f"graph: parsed {report.parsed} of {report.to_parse}, {len(report.errors)} "
                 f"errors, edges rewritten for {report.edges_rewritten} files")  # fmt: skip
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts["nodes"].values()),
            "parsed": report.parsed,
            "to_parse": report.to_parse,
            "parse_errors": len(report.errors),
            "complete": not report.deadline_reached,
            "files_resolved": report.files_resolved,
            "unresolved_references": report.unresolved,
            "edges_rewritten_files": report.edges_rewritten,
            "nodes": counts_table(counts["nodes"], "kind", "nodes"),
            "edges": counts_table(counts["edges"], "kind", "edges"),
            "errors": table(["path", "reason"], report.errors[:50]),
            **{f"{phase}_seconds": round(s, 2) for phase, s in report.seconds.items()},
        },
        data_version=dg.DataVersion(version),
    )
    yield dg.AssetCheckResult(
        check_name="no_dangling_edges", passed=health.dangling_edges == 0,
        metadata={"dangling_edges": health.dangling_edges},
    )  # fmt: skip
    # Two questions: does another tenant's reading see this repository (the repository layer's
    # filter, on both databases), and, on PostgreSQL, does this tenant's transaction see any
    # row of another tenant (row-level security; SQLite has none to ask).
    yield dg.AssetCheckResult(
        check_name="tenant_isolation",
        passed=health.rows_seen_by_another_tenant == 0 and foreign in (0, None),
        metadata={
            "rows_seen_by_another_tenant": health.rows_seen_by_another_tenant,
            "other_tenants_rows_visible": foreign if foreign is not None else "no RLS on SQLite",
            "enforced_by": "row-level security (FORCE) under code_graph_app"
            if foreign is not None else "the repository layer's tenant filter",
            "database": db.engine.dialect.name,
        },
    )  # fmt: skip
    code_files = counts["files"]
    rate = counts["errors"] / code_files if code_files else 0.0
    yield dg.AssetCheckResult(
        check_name="parse_error_rate", passed=rate <= PARSE_ERROR_RATE_WARN,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"error_files": counts["errors"], "code_files": code_files,
                  "rate": round(rate, 4)},
    )  # fmt: skip


def _deadline(
    context: dg.AssetExecutionContext, code_graph_settings: CodeGraphResource
) -> float | None:
    """When parsing stops: the soft limit, counted from the run's start (not the step's)."""
    limit = code_graph_settings.soft_limit_seconds()
    if not limit:
        return None
    stats = context.instance.get_run_stats(context.run.run_id)
    started = stats.start_time or time.time()
    return time.monotonic() + max(0.0, started + limit - time.time())


@dg.asset(
    **_COMMON,
    deps=[code_graph],
    kinds={"sentence-transformers"},
    description="A vector per code node (its signature and docstring) with the embedding "
    "model, for `python -m enrichment_assets.search TEXT --kind code --tenant T`. Only nodes "
    "whose text changed are encoded.",
)
def code_embeddings(
    context: dg.AssetExecutionContext, db: DatabaseResource, code_graph_settings: CodeGraphResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:  # fmt: skip
    with legacy_retries(context):
        repository = _repository(context, db, code_graph_settings)
        progress = _progress(context, db, repository)
        report = index_embeddings(db.engine, repository, embedder.model, embedder.encode, progress)
        vectors = status_store.vector_count(
            db.engine, repository.tenant, repository.repo, report.model
        )
    progress.log(f"embeddings: {report.embedded} encoded, {vectors} stored")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": vectors,
            "encoded": report.embedded,
            "model": report.model,
            "seconds": round(report.seconds, 2),
        }
    )
