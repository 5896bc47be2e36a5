"""`make demo`: copy the sample into the landing folder, materialize every asset on the embedded
default in as few runs as their partitions allow, and print what the tables now hold.

Runs go to the Dagster instance in DAGSTER_HOME (the project root), so `make dev` shows them.
Running it again changes no row: every write is an upsert and nothing new has landed. Settings
come from the environment and `.env`; a bad one stops the demo before any run, with one line.
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from enrichment_assets import settings
from enrichment_assets.definitions import defs
from enrichment_assets.lib.articles.requests import RunToRequest, demo_request
from enrichment_assets.lib.code_graph import registry as code_registry
from enrichment_assets.lib.code_graph.ids import BadRepository
from enrichment_assets.lib.common.tables import shorten
from enrichment_assets.lib.graph.queries import example_post, most_mentioned_entities, related_posts
from enrichment_assets.lib.posts.landing import plan_runs
from enrichment_assets.resources.database import open_database
from enrichment_assets.storage import reading
from enrichment_assets.storage.articles import get_article
from enrichment_assets.storage.engine import row_counts
from enrichment_assets.storage.posts import latest_posts

# One story two channels tell (it should end `ready`) and one only one channel tells (it should
# end `needs_review`: a single channel is not a balanced report).
DEMO_ARTICLES = (
    (
        "Real Madrid beat Bayern Munich to reach the final",
        ["Real Madrid", "Bayern Munich"],
        "two channels tell it",
    ),
    (
        "Humboldt Forum returns artefacts to Greece",
        ["Humboldt Forum", "Greece"],
        "one channel tells it",
    ),
)
# The bundled repository, indexed once per tenant: two tenants, one path, two separate graphs.
DEMO_TENANTS = ("acme", "globex")
DEMO_REPOSITORY = "sample-shop"
SAMPLE_POSTS = Path(__file__).resolve().parent.parent / "data" / "sample" / "posts"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# The run's own events go to the instance (and the UI); the terminal gets warnings and up.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
SILENT_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
REPORTED_METADATA = ("dagster/row_count", "inserted", "updated", "unchanged", "new", "completed",
                     "skipped", "errors", "encoded", "total_tokens", "cost_usd")  # fmt: skip


def copy_sample(source: Path, landing: Path) -> int:
    """Copy new or changed sample files; an identical file is left alone (its mtime too, so
    the landing sensor does not see a change)."""
    copied = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name == "README.md":
            continue
        target = landing / path.relative_to(source)
        if target.exists() and filecmp.cmp(path, target, shallow=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    return copied


def run_batches(graph, keys: Iterable[dg.AssetKey]) -> list[list[dg.AssetKey]]:
    """Assets in dependency order, cut into the fewest runs that share one partitions
    definition each (one Dagster run cannot mix partitionings)."""
    from enrichment_assets.defs.partitions import posts_daily  # after the settings are checked

    remaining = set(keys)

    def partitions_of(key):
        return graph.get(key).partitions_def

    def ready(key, done):
        return all(
            parent in done or parent not in remaining for parent in graph.get(key).parent_keys
        )

    done: set = set()
    batches = []
    while remaining:
        candidates = sorted(
            (k for k in remaining if ready(k, done)), key=lambda k: k.to_user_string()
        )
        # Posts first: most of the graph hangs off them.
        group = next((partitions_of(k) for k in candidates if partitions_of(k) == posts_daily),
                     partitions_of(candidates[0]))  # fmt: skip
        batch: list = []
        grew = True
        while grew:
            grew = False
            for key in sorted(remaining - set(batch), key=lambda k: k.to_user_string()):
                if partitions_of(key) == group and ready(key, done | set(batch)):
                    batch.append(key)
                    grew = True
        remaining -= set(batch)
        done |= set(batch)
        batches.append(batch)
    return batches


def run_tags(partitions_def, sample_days: tuple[str, str] | None) -> list[dict]:
    """The runs one batch needs: one range run for post days, the latest day for other daily
    assets, one run per key (or one range run) for static partitions, one run otherwise."""
    from enrichment_assets.defs.partitions import posts_daily  # after the settings are checked

    if partitions_def is None:
        return [{}]
    if partitions_def == posts_daily:
        if sample_days is None:
            return []
        return [{RANGE_START_TAG: sample_days[0], RANGE_END_TAG: sample_days[1]}]
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return [{"dagster/partition": partitions_def.get_last_partition_key()}]
    return [{"dagster/partition": key} for key in partitions_def.get_partition_keys()]


def sample_day_range(landing: Path) -> tuple[str, str] | None:
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    plan = plan_runs(landing, {}, settings.PostsSettings.load().posts_start_date, tomorrow)
    if not plan.ranges:
        return None
    return plan.ranges[0][0].isoformat(), plan.ranges[-1][1].isoformat()


def main() -> int:
    """Exit 2 with one line on stderr when a setting is bad or the database cannot be reached."""
    try:
        settings.check_all()
        database_url = settings.DatabaseSettings.load().database_url.get_secret_value()
        open_database(database_url).dispose()
    except settings.SettingsError as error:
        print(f"demo: {error}", file=sys.stderr)
        return 2
    return _materialize_everything(database_url)


def _materialize_everything(database_url: str) -> int:
    instance = dg.DagsterInstance.get()
    landing = settings.PostsSettings.load().landing_dir
    print(f"landing folder {landing}: {copy_sample(SAMPLE_POSTS, landing)} sample files copied")
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    every_asset = [*definitions.assets, *(definitions.asset_checks or [])]
    # Article stages are partitioned by request: they run below, one article per request.
    materializable = [
        k
        for k in graph.get_all_asset_keys()
        if graph.get(k).is_materializable
        and not isinstance(graph.get(k).partitions_def, dg.DynamicPartitionsDefinition)
    ]
    days = sample_day_range(landing)
    runs = 0
    for batch in run_batches(graph, materializable):
        for tags in run_tags(graph.get(batch[0]).partitions_def, days):
            partition = tags.pop("dagster/partition", None)
            label = partition or (f"{tags[RANGE_START_TAG]}…{tags[RANGE_END_TAG]}" if tags else "")
            print(f"\n▶ run {runs + 1}: {', '.join(k.to_user_string() for k in batch)} {label}")
            result = dg.materialize(
                every_asset,
                selection=dg.AssetSelection.assets(*batch),
                instance=instance,
                resources=definitions.resources,
                partition_key=partition,
                tags=tags,
                run_config=QUIET_CONSOLE,
            )
            runs += 1
            _print_materializations(result, batch)
    runs += _write_articles(instance, definitions, database_url)
    runs += _index_sample_repository(instance, definitions, database_url)
    _print_summary(instance, runs, database_url)
    return 0


def _write_articles(instance: dg.DagsterInstance, definitions, database_url: str) -> int:
    """Ask for the demo's articles (once: a second demo finds the same requests) and write each
    in its own run, as the requests sensor would."""
    from enrichment_assets.defs.partitions import article_requests  # after the settings check

    engine = open_database(database_url)
    job = definitions.resolve_job_def("generate_article")
    for topic, keywords, why in DEMO_ARTICLES:
        request = demo_request(engine, topic, keywords)
        key = request.partition_key
        if not instance.has_dynamic_partition(article_requests.name, key):
            instance.add_dynamic_partitions(article_requests.name, [key])
        print(f"\n▶ article {key} ({why})")
        result = job.execute_in_process(
            instance=instance,
            partition_key=key,
            tags=RunToRequest(key, request.version, request.priority).tags,
            # A failed gate fails the run by design (the checks block publication): the
            # article's status and reasons are printed below instead of a traceback.
            run_config=SILENT_CONSOLE,
            raise_on_error=False,
        )
        with reading(engine) as connection:
            article = get_article(connection, request.id, request.version)
        print(f"  {article.status:<12} {article.title}")
        if article.review_reason:
            print(f"  review: {shorten(article.review_reason, 160)}")
        if not result.success and article.status != "needs_review":
            print(f"  run {result.run_id} failed: {article.error}", file=sys.stderr)
    engine.dispose()
    return len(DEMO_ARTICLES)


def _index_sample_repository(instance: dg.DagsterInstance, definitions, database_url: str) -> int:
    """Register the bundled sample repository under two tenants and index each in its own run,
    as the repositories sensor would; print each tenant's counts, read in its own scope."""
    from enrichment_assets.defs.partitions import code_repositories  # after the settings check

    engine = open_database(database_url)
    job = definitions.resolve_job_def("index_repository")
    roots = settings.CodeGraphSettings.load().roots()
    for tenant in DEMO_TENANTS:
        try:
            key = code_registry.register(
                engine, tenant, DEMO_REPOSITORY, settings.SAMPLE_CODE_REPOSITORY, roots
            )
        except BadRepository as error:  # CODE_GRAPH_ROOTS set without the sample
            print(f"\n▶ code graph: not indexed ({error})")
            return 0
        if not instance.has_dynamic_partition(code_repositories.name, key):
            instance.add_dynamic_partitions(code_repositories.name, [key])
        result = job.execute_in_process(
            instance=instance, partition_key=key, run_config=QUIET_CONSOLE,
            tags={"dagster/max_runtime": str(code_registry.MAX_RUNTIME_SECONDS)},
            raise_on_error=False,
        )  # fmt: skip
        state = code_registry.status(engine, tenant, DEMO_REPOSITORY)
        nodes = ", ".join(f"{n} {kind}" for kind, n in state["nodes"].items())
        edges = ", ".join(f"{n} {kind}" for kind, n in state["edges"].items())
        print(f"\n▶ code graph {key}: {state['files']} files ({state['parse_errors']} not "
              f"parsed, {state['skipped']} skipped)")  # fmt: skip
        print(f"  tenant {tenant}: nodes {nodes}")
        print(f"  tenant {tenant}: edges {edges}")
        if not result.success:
            print(f"  run {result.run_id} failed", file=sys.stderr)
    engine.dispose()
    return len(DEMO_TENANTS)


def _print_materializations(result: dg.ExecuteInProcessResult, batch) -> None:
    for key in batch:
        events = result.asset_materializations_for_node(key.to_python_identifier())
        if not events:
            continue
        values = {k: getattr(v, "value", v) for k, v in events[-1].metadata.items()}
        shown = ", ".join(f"{k.removeprefix('dagster/')}={values[k]}" for k in REPORTED_METADATA
                          if isinstance(values.get(k), int | float))  # fmt: skip
        print(f"  {key.to_user_string()}: {shown}")
    for check in result.get_asset_check_evaluations():
        mark = "✓" if check.passed else "✗"
        print(f"  check {mark} {check.asset_key.to_user_string()}.{check.check_name}")


def _print_summary(instance: dg.DagsterInstance, runs: int, database_url: str) -> None:
    engine = open_database(database_url)
    print(f"\n=== summary: {runs} runs, database {engine.url.render_as_string(hide_password=True)}")
    with reading(engine) as connection:
        for name, count in row_counts(connection).items():
            print(f"  {name:<20} {count:>7} rows")
        latest = latest_posts(connection, 3)
    partitions = sorted(instance.get_materialized_partitions(dg.AssetKey("posts")))
    if partitions:
        print(f"  posts partitions: {len(partitions)} days, {partitions[0]} … {partitions[-1]}")
    for published_at, title, text in latest:
        print(f"  {published_at:%Y-%m-%d %H:%M} [{title}] {shorten(text, 70)}")
    _print_graph(engine)
    print("\nOpen the UI on the same instance: make dev  →  http://127.0.0.1:3000")


def _print_graph(engine) -> None:
    """The post graph at a glance: its most mentioned entities and one `related` answer."""
    top = most_mentioned_entities(engine, 5)
    if not top:
        return
    listed = ", ".join(f"{e['label']} ({e['type']}, {e['posts']} posts)" for e in top)
    print(f"  post graph, most mentioned: {listed}")
    post_id = example_post(engine)
    if post_id is None:
        return
    print(f"  related to post {post_id} (python -m enrichment_assets.graph related {post_id}):")
    for related in related_posts(engine, post_id, limit=3):
        print(f"    [{related.post_id}] {related.channel} · {', '.join(related.why[:3])} · "
              f"{shorten(related.text, 50)}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
