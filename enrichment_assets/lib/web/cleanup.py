"""The janitor for stored leftovers (legacy `cleanup.remove_old_cache` and the orphan sweep).

Removes expired HTTP cache rows, vectors and enrichment rows whose post or dataset is gone,
citations of deleted entities, and links nothing cites any more. Deletes go in batches, each
committed, so a killed run resumes; a dry run only counts. What each kind of garbage is, as
SQL, lives in `storage/web.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from enrichment_assets.storage import web as repository

BATCH = 1000


def clean_up(
    engine: Engine,
    now: datetime,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Rows removed (or, in a dry run, that would be removed), by kind."""
    counts: dict[str, int] = {}
    for name in repository.GARBAGE_KINDS:
        if dry_run:
            counts[name] = repository.count_garbage(engine, name, now)
            continue
        removed = 0
        while batch := repository.delete_garbage_batch(engine, name, now, BATCH):
            removed += batch
        counts[name] = removed
        if removed:
            log(f"{name}: {removed} removed")
    return counts
