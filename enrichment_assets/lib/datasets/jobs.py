"""The three catalog phases and the two feeds as plain functions: what an asset body calls."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from enrichment_assets.lib.datasets.feeds import FeedWalk, Window
from enrichment_assets.lib.datasets.kaggle_api import KaggleApiError, KaggleAuthError, KaggleCatalog
from enrichment_assets.lib.datasets.meta_kaggle import (
    QUARANTINE_SOURCE,
    CarefulReadNeeded,
    MetaKaggleReader,
)
from enrichment_assets.lib.datasets.meta_kaggle_arrow import open_fast
from enrichment_assets.lib.datasets.record_columns import RecordColumns, rebatch
from enrichment_assets.lib.datasets.records import DatasetRecord
from enrichment_assets.storage.datasets import (
    REFRESH,
    REPLACE,
    SEED,
    WRITE_BATCH,
    WriteSummary,
    save_records,
)
from enrichment_assets.storage.datasets_bookkeeping import (
    get_watermark,
    save_quarantined,
    set_watermark,
)
from enrichment_assets.storage.datasets_details import claim_for_details, mark_enriched, mark_error
from enrichment_assets.storage.datasets_seed import prepare_columns, save_prepared

HF_WATERMARK = "huggingface.last_modified"
KAGGLE_WATERMARK = "kaggle.last_updated"
FEED_BATCH = 100  # a listing is committed every 100 entries: a killed run keeps them


# -- feeds: Hugging Face, Kaggle latest ---------------------------------------------------------
@dataclass
class FeedResult:
    summary: WriteSummary
    walk: FeedWalk
    watermark_before: datetime | None
    watermark_after: datetime | None
    stopped_by: str | None
    gap: tuple[datetime | None, datetime] | None


def fetch_feed(
    engine: Engine,
    entries,
    *,
    watermark_name: str,
    window: Window,
    limit: int,
    max_scanned: int,
    mode: str,
    page_cap_hit: Callable[[], bool] = lambda: False,
) -> FeedResult:
    """Walk `entries` (newest first) over `window`, upsert in batches, then move the watermark.

    The watermark moves only after the walk ends without an exception, so a killed or failed
    run leaves it where it was and the next run walks the same window again (re-written rows
    come out unchanged). A walk cut short by `limit`, the scan budget or Kaggle's page cap
    reports the part of the window it did not reach as a gap, to backfill by partition."""
    before = get_watermark(engine, watermark_name)
    walk = FeedWalk(entries, window, limit=limit, max_scanned=max_scanned)
    summary = save_records(engine, walk.records(), mode=mode, batch_size=FEED_BATCH)
    if page_cap_hit() and walk.stopped_by == "end":
        walk.reached_lower, walk.stopped_by = False, "page cap"
    gap = walk.gap()
    set_watermark(
        engine,
        watermark_name,
        summary.newest_modified,
        {"stopped_by": walk.stopped_by, "gap": [g.isoformat() if g else None for g in gap or ()]},
    )
    return FeedResult(
        summary=summary,
        walk=walk,
        watermark_before=before,
        watermark_after=get_watermark(engine, watermark_name),
        stopped_by=walk.stopped_by,
        gap=gap,
    )


def fetch_hf_feed(engine: Engine, catalog, window: Window, limit: int) -> FeedResult:
    return fetch_feed(
        engine,
        catalog.iter_newest_first(),
        watermark_name=HF_WATERMARK,
        window=window,
        limit=limit,
        max_scanned=max(limit * 20, 10_000),
        mode=REPLACE,
    )


def fetch_kaggle_feed(
    engine: Engine, catalog: KaggleCatalog, window: Window, limit: int, max_pages: int
) -> FeedResult:
    return fetch_feed(
        engine,
        catalog.iter_latest(max_pages=max_pages),
        watermark_name=KAGGLE_WATERMARK,
        window=window,
        limit=limit,
        max_scanned=max(limit * 20, 10_000),
        mode=REFRESH,
        page_cap_hit=lambda: catalog.page_cap_hit,
    )


# -- Kaggle phase 1: the Meta Kaggle seed -------------------------------------------------------
@dataclass
class SeedResult:
    summary: WriteSummary
    counts: dict[str, int]
    quarantined: list
    reader: str  # "fast", "careful", or "careful after N datasets read fast (why)"


def seed_meta_kaggle(
    engine: Engine,
    directory: Path,
    batch_size: int = WRITE_BATCH,
    careful: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> SeedResult:
    """Seed `datasets` from the dump in `directory`, `batch_size` rows per transaction.

    The fast reader (`meta_kaggle_arrow`: columns, in C++) goes first, and a second thread
    writes each batch while the next is read (SQLite and psycopg let go of the GIL while the
    database works). At the first thing it cannot place by line (a malformed row, bytes that
    are not UTF-8…), or with `careful`, the careful reader (`MetaKaggleReader`) takes the
    whole dump: it quarantines each bad row with its line and lands every dataset the fast
    one had not written yet. Both make the same records, so the hand-over changes nothing."""
    summary, written = WriteSummary(), set()
    used = "careful"
    if not careful:
        try:
            reader = open_fast(directory)
            _save_overlapped(engine, rebatch(reader.batches(), batch_size), summary, written)
            used = "fast"
        except CarefulReadNeeded as why:
            used = f"careful after {len(written)} datasets read fast ({why})"
            log(f"Meta Kaggle dump read line by line: {used}")
            careful = True
    if careful:
        reader = MetaKaggleReader(directory)
        rest = (record for record in reader.records() if record.external_id not in written)
        save_records(engine, rest, mode=SEED, batch_size=batch_size, summary=summary)
    for row in reader.quarantined:
        row.file = str(Path(directory) / row.file)
    save_quarantined(engine, QUARANTINE_SOURCE, reader.quarantined)
    return SeedResult(summary, dict(reader.counts), reader.quarantined, used)


def _save_overlapped(
    engine: Engine, batches: Iterator[RecordColumns], summary: WriteSummary, written: set[str]
) -> None:
    """Write each batch in a second thread while the next is read. One batch in flight: memory
    stays at two batches, and a failed write stops the reading at once. `written` collects the
    ids of every batch handed to the writer (waited for, even when the reading fails)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-writer") as writer:
        in_flight = None
        try:
            for batch in batches:
                prepared = prepare_columns(engine, batch)  # while the previous batch is written
                if in_flight is not None:
                    in_flight.result()
                in_flight = writer.submit(save_prepared, engine, prepared, summary=summary)
                written.update(batch.external_id)
        finally:
            if in_flight is not None:
                in_flight.result()


# -- Kaggle phase 2: details of pending datasets ------------------------------------------------
@dataclass
class DetailsResult:
    counts: Counter = field(default_factory=Counter)
    errors: list[tuple[str, str]] = field(default_factory=list)
    preview: list[DatasetRecord] = field(default_factory=list)


def enrich_kaggle_details(
    engine: Engine,
    catalog: KaggleCatalog,
    *,
    batch_size: int,
    max_attempts: int = 3,
    log: Callable[[str], None] = lambda message: None,
) -> DetailsResult:
    """Claim up to `batch_size` rows (`seeded` → `pending`), fetch each one's details and commit
    it at once as `enriched` or `error`. A 401/403/404 for one dataset is recorded and the batch
    goes on; if the credentials themselves are refused, KaggleAuthError stops the run and the
    unfinished rows stay `pending`, first in line for the next run."""
    result = DetailsResult()
    credentials_checked = False
    for pending in claim_for_details(engine, batch_size, max_attempts):
        if not pending.ref:
            reason = "no owner/slug known for this dataset (was Users.csv in the Meta Kaggle dump?)"
            mark_error(engine, pending, reason, retryable=False)
            result.counts["error"] += 1
            result.errors.append((pending.external_id, reason))
            continue
        try:
            record = catalog.get_dataset(pending.ref)
        except KaggleApiError as error:
            if error.status in (401, 403) and not credentials_checked:
                credentials_checked = True
                if not catalog.credentials_valid():
                    raise KaggleAuthError(
                        "the Kaggle API refused the credentials", status=error.status
                    ) from None
            mark_error(engine, pending, str(error), retryable=error.retryable)
            result.counts["error"] += 1
            result.errors.append((pending.ref, str(error)))
            log(f"kaggle {pending.ref}: {error}")
            continue
        outcome = mark_enriched(engine, pending, record)
        result.counts["enriched"] += 1
        result.counts[outcome] += 1
        if len(result.preview) < 10:
            result.preview.append(record)
    return result
