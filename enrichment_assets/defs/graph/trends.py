"""`entity_trends`: the entities whose mentions rose most, stored per day for the UI."""

from datetime import timedelta

import dagster as dg
from pydantic import Field

from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.common.tables import md_table
from enrichment_assets.lib.graph.queries import record_trends
from enrichment_assets.resources.database import DatabaseResource

DEFAULT_DAYS = 7


class EntityTrendsConfig(dg.Config):
    days: int = Field(
        default=DEFAULT_DAYS,
        ge=1,
        description="Days in the window ending with the partition's day; the previous window, "
        "compared against, is as long.",
    )
    limit: int = Field(default=20, ge=1, description="Entities kept per day.")


# Day D's list counts the mentions of D's window and the one before (2 × 7 days by default):
# a change to the graph of any of those days makes D's list stale, not only a change to D.
_TWO_WINDOWS = dg.TimeWindowPartitionMapping(start_offset=-(2 * DEFAULT_DAYS - 1))


# As post_graph: whenever the graph of a day it reads changes, once nothing upstream is running.
after_the_graph = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("when the post graph changes")


@dg.asset(
    deps=[dg.AssetDep("post_graph", partition_mapping=_TWO_WINDOWS)],
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    automation_condition=after_the_graph,
    group_name="graph",
    kinds={"python", "sql"},
    retry_policy=DATABASE_RETRY,
)
def entity_trends(
    context: dg.AssetExecutionContext, config: EntityTrendsConfig, db: DatabaseResource
) -> dg.MaterializeResult:
    """For each day D of the partition(s): the entities mentioned by more posts in the `days`
    days ending with D than in the `days` before, ranked by rise (then mentions, then label),
    stored in `entity_trends` for (D, days); the day's earlier list for that window is
    replaced. Day D follows post_graph's days D-13 … D, the two default windows it reads."""
    window = context.partition_time_window
    day, stored, trends = window.start.date(), 0, []
    last = day
    while day < window.end.date():
        trends = record_trends(db.engine, day, days=config.days, limit=config.limit)
        stored += len(trends)
        last = day
        day += timedelta(days=1)
    context.log.info(f"{stored} trending entities stored for {window.start.date()}..{last}")
    rows = [
        (rank, t.label, t.entity_type or "", t.mentions, t.previous, f"+{t.rise}", t.channels)
        for rank, t in enumerate(trends, start=1)
    ]
    header = ["#", "entity", "type", "mentions", "previous", "rise", "channels"]
    top = f"{trends[0].label} ({trends[0].entity_type}), +{trends[0].rise}" if trends else ""
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": stored,
            "day": last.isoformat(),
            "window_days": config.days,
            "top_entity": dg.MetadataValue.text(top or "none rose"),
            "trending": dg.MetadataValue.md(
                md_table(header, rows, max_width=60) if rows else "_no entity rose_"
            ),
        }
    )
