"""bench/articles, in the run workers: the processes that run one article's run at a time, as
the run launcher's run workers would (the definitions and MiniLM loaded once per process), and
what they share with the bench's own process."""

from __future__ import annotations

import os
from pathlib import Path

# An article that fails a gate fails its run (blocking checks): expected, and counted by the bench.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def generate_article_job():
    """The job the sensor's runs execute (module level, so a re-execution can rebuild it)."""
    from enrichment_assets.definitions import defs

    return defs().resolve_job_def("generate_article")


def seed(path: Path, count: int) -> list[str]:
    """Posts with their MiniLM vectors and one approved request per story: partition keys."""
    from bench._article_stories import stories
    from enrichment_assets.lib.articles.requests import make_request
    from enrichment_assets.resources.embedder import EmbedderResource
    from enrichment_assets.storage import create_database_engine, upgrade_to_head
    from enrichment_assets_tests.articles.conftest import seed_posts

    told = stories(count)
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    seed_posts(engine, EmbedderResource().encode, stories=[story.posts for story in told])
    keys = [make_request(engine, s.topic, s.keywords, approve=True).partition_key for s in told]
    engine.dispose()
    return keys


def article_of(engine, key: str):
    from enrichment_assets.storage import articles as repository
    from enrichment_assets.storage.engine import reading

    with reading(engine) as connection:
        request = repository.get_request(connection, key)
        return repository.get_article(connection, request.id, request.version)


_worker: dict = {}


def start_worker(barrier) -> None:
    """Load the definitions and the encoder once, before the clock starts."""
    from enrichment_assets.resources.embedder import EmbedderResource

    EmbedderResource().encode(["warm up"])
    _worker.update(job=generate_article_job(), barrier=barrier)


def on_every_worker(
    _: int, environment: dict[str, str] | None = None, instance_folder: str = ""
) -> int:
    """On every worker at once (each waits for all): started, and the way's instance open."""
    if environment is not None:
        open_way(environment, instance_folder)
    _worker["barrier"].wait()
    return os.getpid()


def open_way(environment: dict[str, str], instance_folder: str):
    import dagster as dg

    from enrichment_assets.storage import create_database_engine

    os.environ.update(environment)
    if _worker.get("folder") != instance_folder:
        _worker.update(
            folder=instance_folder,
            instance=dg.DagsterInstance.from_config(instance_folder),
            engine=create_database_engine(environment["DATABASE_URL"]),
        )
    return _worker["instance"], _worker["engine"]


def run_article(environment: dict[str, str], instance_folder: str, key: str) -> str:
    """One article's run, as the sensor requests it (its partition, its tags): the run id."""
    from enrichment_assets.lib.articles.requests import RunToRequest
    from enrichment_assets.storage import articles as repository
    from enrichment_assets.storage.engine import reading

    instance, engine = open_way(environment, instance_folder)
    with reading(engine) as connection:
        request = repository.get_request(connection, key)
    tags = RunToRequest(key, request.version, request.priority).tags
    run = _worker["job"].execute_in_process(
        instance=instance, partition_key=key, tags=tags, raise_on_error=False, run_config=QUIET
    )
    return run.run_id


def fail_the_draft(environment: dict[str, str], instance_folder: str, key: str) -> str:
    """The article's run, its draft's retry policy off (it waits 60 s): the run id."""
    from enrichment_assets.defs.articles.assets import article_draft

    policy = article_draft.op._retry_policy
    article_draft.op._retry_policy = None
    try:
        run_id = run_article(environment, instance_folder, key)
    finally:
        article_draft.op._retry_policy = policy
    if article_of(_worker["engine"], key).failed_stage != "draft":
        raise RuntimeError("the draft was meant to fail")
    return run_id


def re_execute(
    environment: dict[str, str], instance_folder: str, run_id: str, key: str, from_failure: bool
) -> tuple[str, str | None]:
    """What the UI's "Re-execute from failure" (or "all") runs: the article's status, text."""
    import dagster as dg

    instance, engine = open_way(environment, instance_folder)
    how = dg.ReexecutionOptions.from_failure(run_id, instance) if from_failure else None
    result = dg.execute_job(
        dg.reconstructable(generate_article_job),
        instance=instance,
        reexecution_options=how or dg.ReexecutionOptions(parent_run_id=run_id),
        tags=instance.get_run_by_id(run_id).tags,  # its partition, as the UI does
        run_config=QUIET,  # the job runs in process (its executor)
        raise_on_error=False,
    )
    article = article_of(engine, key)
    if not result.success and article.status not in ("needs_review", "ready"):
        raise RuntimeError(f"the re-execution {result.run_id} failed: {article.error}")
    return article.status, article.markdown
