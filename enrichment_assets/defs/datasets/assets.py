"""The dataset catalog: Hugging Face and Kaggle, into the `datasets` table.

Kaggle comes in three phases, as in the legacy system: a seed from the Meta Kaggle dump, the
details of pending datasets from the API, and the newest datasets by update time. The two
feeds (Hugging Face, Kaggle latest) are partitioned by fetch day and walk down to a watermark.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.freshness import DAILY_FRESHNESS, HOURLY_FRESHNESS
from enrichment_assets.defs.metadata import counts_table, table
from enrichment_assets.defs.partitions import datasets_backfill_policy, datasets_daily
from enrichment_assets.defs.retries import DATABASE_RETRY, NETWORK_RETRY
from enrichment_assets.lib.datasets.feeds import window_for
from enrichment_assets.lib.datasets.huggingface import HfAuthError
from enrichment_assets.lib.datasets.jobs import (
    HF_WATERMARK,
    KAGGLE_WATERMARK,
    FeedResult,
    enrich_kaggle_details,
    fetch_hf_feed,
    fetch_kaggle_feed,
    seed_meta_kaggle,
)
from enrichment_assets.lib.datasets.kaggle_api import KAGGLE_PAGE_CAP, KaggleApiError
from enrichment_assets.lib.datasets.meta_kaggle import MetaKaggleError
from enrichment_assets.lib.datasets.records import HUGGINGFACE, KAGGLE, DatasetRecord
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.huggingface import HuggingFaceResource
from enrichment_assets.resources.kaggle import KaggleCredentialsError, KaggleResource
from enrichment_assets.storage import datasets as store
from enrichment_assets.storage.datasets_bookkeeping import get_watermark

GROUP = "datasets"
KAGGLE_AUTH_HINT = (
    "check KAGGLE_USERNAME and KAGGLE_KEY (an API key from kaggle.com → Settings → API)"
)


class HfDatasetsConfig(dg.Config):
    limit: int = Field(default=1000, description="most datasets written per run (legacy: 1000)")


class KaggleLatestConfig(dg.Config):
    limit: int = Field(default=100, description="most datasets written per run (legacy: 100)")
    max_pages: int = Field(
        default=KAGGLE_PAGE_CAP, description="list pages walked at most (Kaggle stops at ~500)"
    )


class KaggleDetailsConfig(dg.Config):
    batch_size: int = Field(default=50, description="datasets enriched per run (legacy: 50)")
    max_attempts: int = Field(
        default=3, description="tries for a dataset whose calls failed on 429/5xx/timeouts"
    )


class MetaKaggleConfig(dg.Config):
    batch_size: int = Field(default=store.WRITE_BATCH, description="rows per transaction")
    careful: bool = Field(
        default=False,
        description="read the dump line by line even if it looks clean (a dump with a bad row "
        "is always read so, to quarantine each bad row with its line)",
    )


def _preview(records: Sequence[DatasetRecord]) -> dg.MetadataValue:
    """What a run wrote, a few rows: sortable by downloads, likes or time."""
    return table(
        ["id", "title", "owner", "modified", "downloads", "likes"],
        [
            (
                record.external_id,
                record.title,
                record.owner,
                record.source_modified_at.isoformat() if record.source_modified_at else None,
                record.downloads,
                record.likes,
            )
            for record in records
        ],
        max_width=60,
    )


def _feed_metadata(result: FeedResult, engine, source: str, origin: str) -> dict:
    counts = store.status_counts(engine, source)
    metadata = {
        "dagster/row_count": sum(counts.values()),
        **result.summary.as_metadata(),
        "scanned": result.walk.scanned,
        "skipped_newer_than_window": result.walk.skipped_newer,
        "stopped_by": result.stopped_by or "",
        "watermark_before": result.watermark_before.isoformat() if result.watermark_before else "",
        "watermark": result.watermark_after.isoformat() if result.watermark_after else "",
        "status_counts": counts_table(counts, "status", "datasets"),
        "origin": origin,
        "preview": _preview(result.summary.preview),
    }
    if result.gap:
        lower, upper = result.gap
        metadata["gap"] = f"{lower.isoformat() if lower else '…'} → {upper.isoformat()}"
    return metadata


def _warn_gap(context: dg.AssetExecutionContext, result: FeedResult) -> None:
    if result.gap:
        lower, upper = result.gap
        context.log.warning(
            f"stopped by {result.stopped_by}: entries modified between {lower} and {upper} were "
            "not fetched; backfill the partitions of those days to fill the gap"
        )


@contextmanager
def _kaggle_catalog(kaggle: KaggleResource, refused: str) -> Iterator:
    """The Kaggle client for one step. Missing or refused credentials fail the step at once,
    without retries, naming the settings to fix (never their values)."""
    try:
        catalog = kaggle.catalog()
    except KaggleCredentialsError as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    try:
        yield catalog
    except KaggleCredentialsError as error:
        raise dg.Failure(str(error), allow_retries=False) from None
    except KaggleApiError as error:
        if error.status in (401, 403):
            raise dg.Failure(
                f"the Kaggle API refused {refused} ({error.status}): {KAGGLE_AUTH_HINT}",
                allow_retries=False,
            ) from None
        raise
    finally:
        catalog.close()


@dg.asset(
    group_name=GROUP,
    kinds={"huggingface", "sqlite", "postgres"},
    partitions_def=datasets_daily,
    backfill_policy=datasets_backfill_policy,
    freshness_policy=DAILY_FRESHNESS,
    retry_policy=NETWORK_RETRY,
)
def hf_datasets(
    context: dg.AssetExecutionContext,
    config: HfDatasetsConfig,
    db: DatabaseResource,
    hf: HuggingFaceResource,
) -> dg.MaterializeResult:
    """Hugging Face Hub datasets modified in the partition's day(s), newest first, down to the
    last-modified watermark (a missed day is caught up); upserted into `datasets` with source
    `huggingface`: id, owner, card excerpt, tags, license, downloads, likes, gated/private/
    disabled, created and modified times, and the dataset page as `url`."""
    time_window = context.partition_time_window
    window = window_for(time_window.start, time_window.end, get_watermark(db.engine, HF_WATERMARK))
    try:
        result = fetch_hf_feed(db.engine, hf.catalog(), window, config.limit)
    except HfAuthError as error:
        raise dg.Failure(
            f"{error}: set HF_TOKEN to a valid token (or unset it for an anonymous listing)",
            allow_retries=False,
        ) from None
    _warn_gap(context, result)
    return dg.MaterializeResult(
        metadata=_feed_metadata(result, db.engine, HUGGINGFACE, hf.describe())
    )


@dg.asset(
    group_name=GROUP,
    kinds={"kaggle", "sqlite", "postgres"},
    retry_policy=DATABASE_RETRY,
)
def meta_kaggle_datasets(
    context: dg.AssetExecutionContext,
    config: MetaKaggleConfig,
    db: DatabaseResource,
    kaggle: KaggleResource,
) -> dg.MaterializeResult:
    """Kaggle phase 1, the seed: Meta Kaggle's `Datasets.csv` joined to `DatasetVersions.csv`
    (`META_KAGGLE_DIR`; owner slugs from `Users.csv`/`Organizations.csv` when present), streamed
    into `datasets` with source `kaggle` and status `seeded`. Rows an API has filled since are
    kept; malformed CSV rows are quarantined in `quarantined_rows` with their line numbers."""
    directory = kaggle.meta_kaggle_path()
    try:
        result = seed_meta_kaggle(
            db.engine,
            directory,
            batch_size=config.batch_size,
            careful=config.careful,
            log=context.log.info,
        )

    except MetaKaggleError as error:
        raise dg.Failure(
            f"cannot read the Meta Kaggle dump: {error}", allow_retries=False
        ) from None
    for row in result.quarantined[:20]:
        context.log.warning(f"quarantined {row.file} line {row.line}: {row.reason}")
    quarantine_table = table(
        ["file", "line", "reason"],
        [(row.file, row.line, row.reason) for row in result.quarantined[:20]],
    )
    counts = store.status_counts(db.engine, KAGGLE)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts.values()),
            **result.summary.as_metadata(),
            **result.counts,
            "reader": result.reader,
            "quarantined": len(result.quarantined),
            "quarantined_rows": quarantine_table,
            "status_counts": counts_table(counts, "status", "datasets"),
            "meta_kaggle_dir": str(directory),
            "preview": _preview(result.summary.preview),
        }
    )


@dg.asset(
    group_name=GROUP,
    kinds={"kaggle", "sqlite", "postgres"},
    partitions_def=datasets_daily,
    backfill_policy=datasets_backfill_policy,
    freshness_policy=DAILY_FRESHNESS,
    retry_policy=NETWORK_RETRY,
)
def kaggle_latest_datasets(
    context: dg.AssetExecutionContext,
    config: KaggleLatestConfig,
    db: DatabaseResource,
    kaggle: KaggleResource,
) -> dg.MaterializeResult:
    """Kaggle phase 3, the newest datasets: the API's list sorted by update time, newest first,
    down to the last-updated watermark and within Kaggle's page cap. A new or newer dataset is
    written with what the list carries and set back to `seeded`, so `kaggle_dataset_details`
    fetches the rest."""
    time_window = context.partition_time_window
    window = window_for(
        time_window.start, time_window.end, get_watermark(db.engine, KAGGLE_WATERMARK)
    )
    with _kaggle_catalog(kaggle, refused="the dataset list") as catalog:
        result = fetch_kaggle_feed(db.engine, catalog, window, config.limit, config.max_pages)
    _warn_gap(context, result)
    metadata = _feed_metadata(result, db.engine, KAGGLE, kaggle.describe())
    metadata["pages_read"] = catalog.pages_read
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    group_name=GROUP,
    kinds={"kaggle", "sqlite", "postgres"},
    deps=[meta_kaggle_datasets, kaggle_latest_datasets],
    freshness_policy=HOURLY_FRESHNESS,
    retry_policy=NETWORK_RETRY,
)
def kaggle_dataset_details(
    context: dg.AssetExecutionContext,
    config: KaggleDetailsConfig,
    db: DatabaseResource,
    kaggle: KaggleResource,
) -> dg.MaterializeResult:
    """Kaggle phase 2, the details: up to `batch_size` datasets still `seeded` (or left
    `pending` by a killed run, or in a transient `error`) get their full record from the Kaggle
    API, each committed at once as `enriched` or `error` with the reason. A 401/403/404 for one
    dataset is recorded and the batch goes on; refused credentials stop the run."""
    with _kaggle_catalog(kaggle, refused="the credentials") as catalog:
        result = enrich_kaggle_details(
            db.engine,
            catalog,
            batch_size=config.batch_size,
            max_attempts=config.max_attempts,
            log=context.log.warning,
        )
    counts = store.status_counts(db.engine, KAGGLE)
    errors = table(["dataset", "reason"], result.errors[:20])
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts.values()),
            "enriched": result.counts.get("enriched", 0),
            "error": result.counts.get("error", 0),
            "updated": result.counts.get("updated", 0),
            "unchanged": result.counts.get("unchanged", 0),
            "still_to_enrich": counts.get(store.SEEDED, 0) + counts.get(store.PENDING, 0),
            "status_counts": counts_table(counts, "status", "datasets"),
            "origin": kaggle.describe(),
            "errors": errors,
            "preview": _preview(result.preview),
        }
    )
