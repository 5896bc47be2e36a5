"""`entity_trends`: the entities whose mentions rose most, stored per day for the UI."""

from datetime import timedelta

import dagster as dg

from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.common.tables import md_table
from enrichment_assets.lib.graph.queries import record_trends
from enrichment_assets.resources.database import DatabaseResource


class EntityTrendsConfig(dg.Config):
    days: int = 7  # the window; the previous window is as long
    limit: int = 20


# As post_graph: whenever the graph changes for a day, once nothing upstream is still running.
after_the_graph = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
).with_label("when the post graph changes")


@dg.asset(
    deps=["post_graph"],
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
    replaced. A day's list reads the graph of the 2 × `days` days before it, but follows
    post_graph's partition D only: rebuild the later days after a backfill of old ones."""
    if config.days < 1 or config.limit < 1:
        raise dg.Failure("days and limit must be at least 1", allow_retries=False)
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
