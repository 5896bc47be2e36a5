"""Checks on the catalog: one row per (source, id), and few datasets in `error`."""

import dagster as dg

from enrichment_assets.defs.datasets.assets import (
    hf_datasets,
    kaggle_dataset_details,
    kaggle_latest_datasets,
    meta_kaggle_datasets,
)
from enrichment_assets.lib.datasets.records import HUGGINGFACE, KAGGLE
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import datasets as store

# Above this share of attempted Kaggle datasets in `error`, something is wrong beyond a few
# private or deleted datasets (expired credentials, an API change, a throttled account).
ERROR_SHARE_THRESHOLD = 0.10


def _no_duplicates_check(asset, source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name="no_duplicate_ids",
        description=f"Every ({source}, external id) appears once in `datasets`.",
    )
    def _check(db: DatabaseResource) -> dg.AssetCheckResult:
        duplicates = store.duplicate_keys(db.engine, source)
        return dg.AssetCheckResult(
            passed=not duplicates,
            metadata={"duplicates": len(duplicates), "examples": ", ".join(duplicates[:10])},
        )

    return _check


hf_datasets_no_duplicates = _no_duplicates_check(hf_datasets, HUGGINGFACE)
meta_kaggle_no_duplicates = _no_duplicates_check(meta_kaggle_datasets, KAGGLE)
kaggle_latest_no_duplicates = _no_duplicates_check(kaggle_latest_datasets, KAGGLE)


@dg.asset_check(
    asset=kaggle_dataset_details,
    description=f"Of the Kaggle datasets the API was asked about, under "
    f"{ERROR_SHARE_THRESHOLD:.0%} are in `error`.",
)
def error_share_below_threshold(db: DatabaseResource) -> dg.AssetCheckResult:
    rows = store.status_counts(db.engine, KAGGLE)
    attempted = rows.get(store.ENRICHED, 0) + rows.get(store.ERROR, 0)
    share = rows.get(store.ERROR, 0) / attempted if attempted else 0.0
    return dg.AssetCheckResult(
        passed=share < ERROR_SHARE_THRESHOLD,
        metadata={
            "error_share": round(share, 4),
            "threshold": ERROR_SHARE_THRESHOLD,
            "errors": rows.get(store.ERROR, 0),
            "attempted": attempted,
        },
    )
