"""Vectors for posts and datasets, and the stories several channels tell."""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.metadata import counts_table, table_of_dicts
from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.embeddings.similarity import (
    NEAR_DUPLICATE_MAX_GAP,
    NEAR_DUPLICATE_THRESHOLD,
    describe_entities,
    refresh_near_duplicates,
)
from enrichment_assets.lib.embeddings.sync import (
    DatasetSource,
    EmbeddingSource,
    PostSource,
    SyncReport,
    count_vectors,
    sync_embeddings,
)
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource

# Follow upstream changes on any day, not only the latest one (eager's default): posts land
# for past days too. Nothing runs while an upstream is in progress or missing.
_follow_any_day = dg.AutomationCondition.eager().without(
    dg.AutomationCondition.in_latest_time_window()
)
# A post's vector leads with its tags and the titles of the pages it links to, when they exist:
# a day whose tags or crawls are missing (a crawl that failed, tags not configured) still gets
# its vectors, which follow when tags or crawls arrive.
_OPTIONAL_FOR_VECTORS = dg.AssetSelection.assets("post_tags", "post_crawls")
_follow_posts_any_day = (
    _follow_any_day.without(~dg.AutomationCondition.any_deps_missing())
    & ~dg.AutomationCondition.any_deps_missing().ignore(_OPTIONAL_FOR_VECTORS)
).with_label("eager on any day; tags and crawls optional")
# The catalog assets may be partitioned (by source or day); one missing partition upstream
# must not hold the whole catalog's vectors back.
_follow_catalog = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())


class EmbeddingsConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="re-encode every text in scope even if unchanged (new weights, same name)",
    )
    prune_other_models: bool = Field(
        default=False,
        description="delete the vectors other embedding models hold for this entity type",
    )


class NearDuplicatesConfig(dg.Config):
    threshold: float = Field(
        default=NEAR_DUPLICATE_THRESHOLD,
        description="cosine at or above which two posts of different channels tell one story",
    )
    max_gap_hours: float = Field(
        default=NEAR_DUPLICATE_MAX_GAP.total_seconds() / 3600,
        description="posts further apart in time are never grouped",
    )


def _every_text_has_a_vector(
    db: DatabaseResource, source: EmbeddingSource, report: SyncReport
) -> dg.AssetCheckResult:
    """After a sync, each entity in scope with text has exactly one vector under the model."""
    expected = report.seen - report.no_text
    stored = count_vectors(db.engine, source, report.model)
    return dg.AssetCheckResult(
        check_name="every_text_has_a_vector",
        passed=stored == expected,
        metadata={"expected": expected, "stored": stored, "model": report.model},
    )


def _check(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "every_text_has_a_vector",
        asset=asset,
        description="every item in scope with text has a vector under the current model",
    )


def _sync_metadata(report: SyncReport, embedder: EmbedderResource) -> dict:
    return {
        "dagster/row_count": report.seen - report.no_text,
        "model": report.model,
        "dim": report.dim or 0,
        "batch_size": embedder.resolved_batch_size(),
        "device": embedder.resolved_device(),
        "pgvector": report.pgvector,
        "encode_seconds": round(report.encode_seconds, 3),
        "texts_per_second": round(report.encoded / report.encode_seconds, 1)
        if report.encode_seconds
        else 0.0,
        **report.counts(),
        "counts": counts_table(report.counts(), "what"),
    }


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    deps=["posts", "post_enrichments", "post_tags", "post_crawls"],
    group_name="embeddings",
    kinds={"python", "sentence_transformers"},
    automation_condition=_follow_posts_any_day,
    check_specs=[_check("post_embeddings")],
    retry_policy=DATABASE_RETRY,
)
def post_embeddings(
    context: dg.AssetExecutionContext,
    config: EmbeddingsConfig,
    db: DatabaseResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """One vector per post published in the partition's days, under EMBEDDING_MODEL: the post
    text led by its LLM keywords, its tags and the titles of the pages it links to, where they
    exist. Only texts whose hash changed
    under this model are encoded; vectors of deleted posts are removed."""
    window = context.partition_time_window
    source = PostSource(window.start, window.end)
    return _sync(context, config, db, embedder, source, ["id", "channel", "published_at", "title"])


@dg.asset(
    deps=[
        "hf_datasets",
        "meta_kaggle_datasets",
        "kaggle_dataset_details",
        "kaggle_latest_datasets",
    ],
    group_name="embeddings",
    kinds={"python", "sentence_transformers"},
    automation_condition=_follow_catalog,
    check_specs=[_check("dataset_embeddings")],
    retry_policy=DATABASE_RETRY,
)
def dataset_embeddings(
    context: dg.AssetExecutionContext,
    config: EmbeddingsConfig,
    db: DatabaseResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """One vector per catalog dataset (Hugging Face and Kaggle) under EMBEDDING_MODEL, from its
    title, tags and description. Only changed texts are encoded; vectors of datasets that left
    the catalog are removed."""
    source = DatasetSource()
    return _sync(context, config, db, embedder, source, ["id", "source", "external_id", "title"])


def _sync(context, config, db, embedder, source, preview_columns: list[str]):
    """The body both embedding assets share: sync, then metadata, preview and the check."""
    report = sync_embeddings(
        db.engine,
        source,
        embedder.model,
        embedder.encode,
        force=config.force,
        prune_other_models=config.prune_other_models,
        log=context.log.debug,
    )
    context.log.info(f"{source.entity_type} embeddings {report.counts()} under {report.model}")
    metadata = _sync_metadata(report, embedder)
    preview = list(describe_entities(db.engine, source.entity_type, report.preview_ids).values())
    if preview:
        metadata["preview"] = table_of_dicts(preview, preview_columns)
    return dg.MaterializeResult(
        metadata=metadata, check_results=[_every_text_has_a_vector(db, source, report)]
    )


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    deps=["post_embeddings"],
    group_name="embeddings",
    kinds={"python", "numpy"},
    automation_condition=_follow_any_day,
    retry_policy=DATABASE_RETRY,
)
def near_duplicate_posts(
    context: dg.AssetExecutionContext,
    config: NearDuplicatesConfig,
    db: DatabaseResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    """Groups of posts from different channels that tell the same story: cosine of their
    vectors at or above the threshold (default 0.70, all-MiniLM-L6-v2), figures that agree
    (when both state numbers), at most 48 h apart, joined transitively. Stored in the
    `near_duplicate_posts` table, one row per grouped post and model; the groups are shown in
    the metadata."""
    window = context.partition_time_window
    report = refresh_near_duplicates(
        db.engine,
        embedder.model,
        window.start,
        window.end,
        threshold=config.threshold,
        max_gap=timedelta(hours=config.max_gap_hours),
    )
    if report.posts_without_vector:
        context.log.warning(
            f"{report.posts_without_vector} posts of the window have no vector under "
            f"{embedder.model}: materialize post_embeddings for these days"
        )
    shown = report.groups[:20]
    described = describe_entities(db.engine, "post", [i for g in shown for i in g.post_ids])
    lines = []
    for group in shown:
        lines.append(
            f"**group {group.group_post_id}**: {len(group.post_ids)} posts, "
            f"{group.channel_count} channels"
        )
        for post_id in group.post_ids:
            item = described.get(post_id, {})
            lines.append(
                f"- {post_id} · {item.get('channel', '?')} · {item.get('published_at', '?')} · "
                f"cos {group.similarity[post_id]:.2f} · {item.get('title', '')}"
            )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.rows_written,
            "groups": len(report.groups),
            "posts_in_window": report.posts_in_window,
            "posts_compared": report.posts_compared,
            "posts_without_vector": report.posts_without_vector,
            "model": embedder.model,
            "threshold": config.threshold,
            "max_gap_hours": config.max_gap_hours,
            "preview": dg.MetadataValue.md("\n".join(lines) or "_no story told by two channels_"),
        }
    )
