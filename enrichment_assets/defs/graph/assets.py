"""The post graph: channels, posts, entities, tags, links, datasets and stories as nodes and
edges, rebuilt per day from what enrichment, the crawl and the story grouping stored."""

import dagster as dg

from enrichment_assets.defs.metadata import counts_table
from enrichment_assets.defs.partitions import posts_backfill_policy, posts_daily
from enrichment_assets.defs.retries import DATABASE_RETRY
from enrichment_assets.lib.common.tables import md_table
from enrichment_assets.lib.graph.build import build_post_graph
from enrichment_assets.lib.graph.checks import check_post_graph
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource

GROUP = "graph"
CHECK = "every_post_in_graph"

# Rebuild a day whenever any input of it changed, once nothing upstream is running. No
# "missing" guard: a day may have no crawl (no post with links) and still has a graph.
follow_inputs = (
    dg.AutomationCondition.any_deps_updated().since_last_handled()
    & ~dg.AutomationCondition.any_deps_in_progress()
    & ~dg.AutomationCondition.in_progress()
)


@dg.asset(
    partitions_def=posts_daily,
    backfill_policy=posts_backfill_policy,
    # link_health registers the day's links (a link node's ref_id) after the catalog, whose
    # dataset URLs posts cite: the graph follows it too, or a later run would change it.
    deps=["post_enrichments", "post_tags", "post_crawls", "near_duplicate_posts", "link_health"],
    group_name=GROUP,
    kinds={"python", "sql"},
    automation_condition=follow_inputs,
    retry_policy=DATABASE_RETRY,
    check_specs=[
        dg.AssetCheckSpec(
            CHECK,
            asset="post_graph",
            description="Every post of the days has its node and PUBLISHED edge, and every "
            "entity of a completed enrichment its MENTIONS edge.",
        )
    ],
)
def post_graph(
    context: dg.AssetExecutionContext, db: DatabaseResource, embedder: EmbedderResource
) -> dg.MaterializeResult:
    """The day's posts as a graph (tables `graph_nodes`, `graph_edges`): PUBLISHED (channel →
    post), MENTIONS (post → entity, canonical names merged), TAGGED, CITES (links and catalog
    datasets), SAME_STORY (the story's first telling, under EMBEDDING_MODEL) and CO_OCCURS
    (entity pairs, weight = posts naming both). Rebuilt by comparison: a re-run changes no row,
    a re-enriched post's edges are replaced. Metadata: counts by kind and the top entities."""
    window = context.partition_time_window
    report = build_post_graph(
        db.engine, window.start, window.end, embedder.model, log=context.log.debug
    )
    context.log.info(
        f"graph of {report.posts} posts: {report.inserted} edges inserted, {report.updated} "
        f"updated, {report.deleted} deleted, {report.unchanged} unchanged "
        f"in {report.seconds:.1f} s"
    )
    check = check_post_graph(db.engine, window.start, window.end)
    top = md_table(
        ["entity", "type", "posts"],
        [[item["label"], item["type"], item["posts"]] for item in report.top_entities],
        max_width=80,
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": report.edges,
            "posts": report.posts,
            "nodes_by_kind": counts_table(report.nodes_by_kind, "kind", "nodes"),
            "edges_by_kind": counts_table(report.edges_by_kind, "kind", "edges"),
            "edges_inserted": report.inserted,
            "edges_updated": report.updated,
            "edges_deleted": report.deleted,
            "edges_unchanged": report.unchanged,
            "nodes_inserted": report.nodes_inserted,
            "nodes_updated": report.nodes_updated,
            "co_occurs_adjusted": report.co_occurs_adjusted,
            "model": report.model,
            "seconds": round(report.seconds, 3),
            "top_entities": dg.MetadataValue.md(
                top if report.top_entities else "_no entity mentioned in these days_"
            ),
        },
        data_version=dg.DataVersion(report.data_version),
        check_results=[
            dg.AssetCheckResult(
                check_name=CHECK,
                passed=check.passed,
                description=check.describe(),
                metadata={
                    "posts_missing": len(check.posts_missing),
                    "mentions_missing": len(check.mentions_missing),
                    "mentions_expected": check.mentions_expected,
                },
            )
        ],
    )
