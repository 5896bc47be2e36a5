"""`trending_topics`: stories several channels tell, proposed as article requests for a person
to approve (the legacy's approved keywords, found rather than typed)."""

import dagster as dg

from enrichment_assets.defs.metadata import table
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.articles.requests import propose_trending
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading


class TrendingConfig(dg.Config):
    min_channels: int = 2


# Whenever near-duplicate groups change for any day, once nothing upstream is still running.
after_near_duplicates = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("when near-duplicate groups change")


@dg.asset(
    group_name="articles",
    deps=["near_duplicate_posts"],
    kinds={"python", "sql"},
    retry_policy=DATABASE_RETRY,
    automation_condition=after_near_duplicates,
    description="Proposes a `pending` article request for each story told by several channels "
    "(from `near_duplicate_posts`), once per story. It never approves one: approve in the "
    "`review_articles` job or with `python -m enrichment_assets.articles`.",
)
def trending_topics(
    context: dg.AssetExecutionContext,
    config: TrendingConfig,
    db: DatabaseResource,
    embedder: EmbedderResource,
) -> dg.MaterializeResult:
    made, stories = propose_trending(db.engine, embedder.model, config.min_channels)
    with reading(db.engine) as connection:
        pending = repository.list_requests(connection, "pending")
    context.log.info(f"{stories} stories told by {config.min_channels}+ channels; {len(made)} new")
    return dg.MaterializeResult(
        metadata={
            "stories": stories,
            "proposed_now": len(made),
            "pending_requests": len(pending),
            "proposals": table(
                ["request", "topic", "keywords", "why"],
                ((r.partition_key, r.topic, ", ".join(r.keywords), r.reason) for r in made),
            ),
        }
    )
