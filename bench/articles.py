"""bench/articles: 20 articles through the `generate_article` job against a rate-limited fake
Groq, the sensor's way (runs side by side) beside the legacy way (one after another), and a
run resumed after its draft failed.

The fake Groq (enrichment_assets_tests/fakes/groq_server.py) answers after 500 ms and enforces
600 requests/min (token bucket, burst 2); ENRICHMENT_RATE_LIMIT is 600. A SQLite database holds
20 stories told by 3-5 posts from several channels (bench/_article_stories.py), with MiniLM
vectors, and 20 approved requests. Each way gets a copy (the LLM cache would answer a second
way), its own server, its own Dagster instance with the project's dagster.yaml `concurrency`.

- The project's way: each article its own run of `generate_article`, tagged as the sensor
  tags it, in a run worker process (`execute_in_process` on the shared instance), as many at
  once as the run queue keeps going: `max_concurrent_runs`, but no more than the `llm` pool's
  limit, as the queue does not start a run whose first step's pool is full. The workers start
  (definitions and MiniLM loaded) before the clock: the start-up the default run launcher
  pays per run is left out of both ways.
- The legacy way: the same runs on the same workers, one article after another.
- Resume: an article whose draft gets 503s beyond the runner's attempts (the stage's retry
  policy off: it waits 60 s), re-executed from failure as the UI does: the LLM calls made
  again for stages that had finished (goal 0), and in all; then every step once more (0).

BENCH_ARTICLES (default 20) and BENCH_ARTICLES_LATENCY (seconds, default 0.5) set the size;
BENCH_ARTICLES_DAGSTER_YAML (say deploy/dagster.yaml), BENCH_ARTICLES_LLM_POOL (the `llm` pool's
limit, as `dagster instance concurrency set llm N` sets it) and BENCH_ARTICLES_RUNS (runs at
once) the concurrency; BENCH_ARTICLES_FRESH_RUNS=1 runs the project's way in a new process per
run, its start-up on the clock, as the default run launcher does.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import yaml

from bench._article_runs import (
    article_of,
    fail_the_draft,
    on_every_worker,
    re_execute,
    run_article,
    seed,
    start_worker,
)

ARTICLES = int(os.environ.get("BENCH_ARTICLES", "20"))
LATENCY_SECONDS = float(os.environ.get("BENCH_ARTICLES_LATENCY", "0.5"))
LIMIT_PER_MINUTE = 600
SERVER_BURST = 2
WRITER_STAGES = ("outline", "draft", "lead")


@dataclass
class Way:
    name: str
    seconds: float
    calls: int
    throttled: int
    most_in_flight: int
    statuses: dict[str, int]
    not_ready: list[str]  # "title: why", for each article not `ready`

    def line(self) -> str:
        share = self.calls / (LIMIT_PER_MINUTE / 60 * self.seconds)
        statuses = ", ".join(f"{count} {status}" for status, count in sorted(self.statuses.items()))
        return (
            f"{self.name}: {ARTICLES} articles in {self.seconds:.1f} s, "
            f"{self.calls / ARTICLES:.1f} LLM calls per article ({self.calls} in all, "
            f"{self.throttled} answered 429, at most {self.most_in_flight} in flight), "
            f"{share:.0%} of the {LIMIT_PER_MINUTE}/min limit; {statuses}"
        )


@dataclass
class Resumed:
    failed_run: dict[str, int]  # LLM requests per writer stage
    re_execution: dict[str, int]
    all_steps_again: int  # requests of a re-execution of every step, after the resume
    status: str
    markdown: str | None
    seconds: float


def concurrency_settings() -> tuple[dict, int | None, int]:
    """dagster.yaml's `concurrency`, the `llm` pool's limit (None: none) and runs at once."""
    path = Path(__file__).parents[1] / os.environ.get("BENCH_ARTICLES_DAGSTER_YAML", "dagster.yaml")
    concurrency = yaml.safe_load(path.read_text()).get("concurrency", {})
    pool = os.environ.get("BENCH_ARTICLES_LLM_POOL")
    pool_limit = int(pool) if pool else concurrency.get("pools", {}).get("default_limit")
    runs = concurrency.get("runs", {}).get("max_concurrent_runs", 1)
    at_once = min(runs, pool_limit or runs)
    return concurrency, pool_limit, int(os.environ.get("BENCH_ARTICLES_RUNS", at_once))


def open_instance(folder: Path):
    """A Dagster instance of its own (SQLite storage under `folder`), the project's limits."""
    import dagster as dg

    concurrency, pool_limit, _ = concurrency_settings()
    folder.mkdir(parents=True)
    config = {
        "storage": {"sqlite": {"base_dir": str(folder / "storage")}},
        "telemetry": {"enabled": False},
        "concurrency": concurrency,
    }
    (folder / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = dg.DagsterInstance.from_config(str(folder))
    if os.environ.get("BENCH_ARTICLES_LLM_POOL"):
        instance.event_log_storage.set_concurrency_slots("llm", pool_limit)
    return instance


def run_environment(database: Path, server) -> dict[str, str]:
    """What a run reads when it starts: this copy of the database, this server."""
    from enrichment_assets_tests.fakes.groq_server import API_KEY

    return dict(
        DATABASE_URL=f"sqlite:///{database}",
        LLM_PROVIDER="groq",
        GROQ_API_KEY=API_KEY,
        GROQ_BASE_URL=server.base_url,
        ENRICHMENT_RATE_LIMIT=str(LIMIT_PER_MINUTE),
        ENRICHMENT_TOKENS_PER_MINUTE="0",
        LLM_DAILY_BUDGET_USD="0",
        ARTICLES_AUTO_PUBLISH="false",
    )


def copy_for(way: str, folder: Path, template: Path, keys: list[str]) -> tuple[Path, str]:
    """A copy of the seeded database and an instance holding the partitions (as the sensor
    adds them before it requests the runs)."""
    from enrichment_assets.defs.partitions import article_requests

    database = folder / f"{way}.db"
    shutil.copy(template, database)
    instance = open_instance(folder / f"{way}-dagster")
    instance.add_dynamic_partitions(article_requests.name, keys)
    root = instance.root_directory
    instance.dispose()
    return database, root


def most_in_flight(arrival_times: list[float]) -> int:
    """The most requests the server held at once (each held for the latency)."""
    arrivals = sorted(arrival_times)
    most, start = 0, 0
    for end, arrived in enumerate(arrivals):
        while arrivals[start] < arrived - LATENCY_SECONDS:
            start += 1
        most = max(most, end - start + 1)
    return most


def start_workers(count: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")  # a fork would inherit torch's threads
    pool = ProcessPoolExecutor(
        count, mp_context=context, initializer=start_worker, initargs=(context.Barrier(count),)
    )
    if len(set(pool.map(on_every_worker, range(count)))) != count:
        raise RuntimeError(f"fewer than {count} workers started")
    return pool


def fresh_workers(count: int) -> ProcessPoolExecutor:
    """A new process for every run, loading the definitions and MiniLM on the clock."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        count, context, start_worker, (None,), max_tasks_per_child=1
    )  # fmt: skip


def _server(**script):
    from enrichment_assets_tests.fakes.groq_server import FakeGroqServer

    limits = dict(requests_per_minute=LIMIT_PER_MINUTE, burst=SERVER_BURST)
    return FakeGroqServer(latency_seconds=LATENCY_SECONDS, **limits, **script)


def generate_all(
    pool: ProcessPoolExecutor, workers: int, way: str, label: str, folder: Path, template: Path,
    keys: list[str], one_by_one: bool = False,
) -> Way:  # fmt: skip
    """Every article, as many runs at a time as the pool has workers (0: fresh ones), or one
    after another; on a copy of the database, a fresh server and a fresh instance."""
    from enrichment_assets.storage import create_database_engine

    database, instance_folder = copy_for(way, folder, template, keys)
    with _server() as server:
        environment = run_environment(database, server)
        on_each = partial(on_every_worker, environment=environment, instance_folder=instance_folder)
        list(pool.map(on_each, range(workers)))  # every warm worker opens the instance first
        run = partial(run_article, environment, instance_folder)
        started = time.perf_counter()
        if one_by_one:
            for key in keys:
                pool.submit(run, key).result()
        else:
            list(pool.map(run, keys))
        seconds = time.perf_counter() - started
        state = server.state
        calls, throttled, in_flight = len(state.requests), state.count(429), state.arrival_times
    engine = create_database_engine(f"sqlite:///{database}")
    statuses: dict[str, int] = {}
    not_ready = []
    for key in keys:
        article = article_of(engine, key)
        statuses[article.status] = statuses.get(article.status, 0) + 1
        if article.status != "ready":
            not_ready.append(f"{article.title}: {article.review_reason or article.error}")
    engine.dispose()
    return Way(label, seconds, calls, throttled, most_in_flight(in_flight), statuses, not_ready)


def resume(pool: ProcessPoolExecutor, database: Path, instance_folder: str, key: str) -> Resumed:
    """Against a server whose draft answers 503 to each of the runner's attempts."""
    from enrichment_assets.resources.llm import LLMResource

    attempts = LLMResource().max_attempts
    with _server(stage_script={"draft": ["503"] * attempts}) as server:
        environment = run_environment(database, server)

        def asked() -> dict[str, int]:
            return {stage: len(server.state.stage_requests(stage)) for stage in WRITER_STAGES}

        started = time.perf_counter()
        run_id = pool.submit(fail_the_draft, environment, instance_folder, key).result()
        before = asked()
        again = partial(re_execute, environment, instance_folder, run_id, key)
        status, markdown = pool.submit(again, from_failure=True).result()
        seconds, after = time.perf_counter() - started, asked()
        pool.submit(again, from_failure=False).result()  # then every step once more
        final = asked()
    resumed = {stage: after[stage] - before[stage] for stage in WRITER_STAGES}
    all_again = sum(final.values()) - sum(after.values())
    return Resumed(before, resumed, all_again, status, markdown, seconds)


def main() -> None:
    from enrichment_assets.storage import create_database_engine

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _, pool_limit, at_once = concurrency_settings()
    folder = Path(tempfile.mkdtemp(prefix="bench-articles-"))
    try:
        started = time.perf_counter()
        with start_workers(at_once) as pool:
            print(f"{at_once} run workers started in {time.perf_counter() - started:.1f} s "
                  "(not counted)", flush=True)  # fmt: skip
            template = folder / "seeded.db"
            started = time.perf_counter()
            keys = pool.submit(seed, template, ARTICLES).result()
            print(
                f"{ARTICLES} stories seeded in {time.perf_counter() - started:.1f} s; fake Groq "
                f"{LATENCY_SECONDS * 1000:.0f} ms, {LIMIT_PER_MINUTE}/min enforced (burst "
                f"{SERVER_BURST}); llm pool {pool_limit or 'unlimited'}, {at_once} runs at once",
                flush=True,
            )
            if os.environ.get("BENCH_ARTICLES_FRESH_RUNS"):  # as the default run launcher does
                with fresh_workers(at_once) as fresh:
                    label = "project (a fresh process per run)"
                    ours = generate_all(fresh, 0, "project", label, folder, template, keys)
            else:
                ours = generate_all(pool, at_once, "project", "project", folder, template, keys)
            print(ours.line(), flush=True)
            for reason in ours.not_ready:
                print(f"  not ready: {reason}", flush=True)
            label = "legacy (one after another)"
            legacy = generate_all(pool, at_once, "legacy", label, folder, template, keys, True)
            print(legacy.line(), flush=True)
            print(f"ratio: {legacy.seconds / ours.seconds:.1f}x the legacy way's speed", flush=True)
            copy = copy_for("resume", folder, template, keys[:1])
            resumed = resume(pool, *copy, keys[0])
        clean = create_database_engine(f"sqlite:///{folder}/project.db")
        same = article_of(clean, keys[0]).markdown == resumed.markdown
        clean.dispose()
        extra = resumed.re_execution["outline"]  # research asks no LLM: outline is the one
        total = sum(resumed.failed_run.values()) + sum(resumed.re_execution.values())
        print(
            f"resume after a draft failure: the failed run asked {resumed.failed_run}, the "
            f"re-execution from failure {resumed.re_execution}: {extra} extra calls for finished "
            f"stages (goal 0), {total} in all; article {resumed.status}, text equal to a clean "
            f"run's: {same} ({resumed.seconds:.1f} s, the runner's backoff included); every "
            f"step re-executed after that: {resumed.all_steps_again} calls",
            flush=True,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
