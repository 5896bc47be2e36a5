"""bench/llm: enrichment throughput against a rate-limited fake Groq, beside the legacy loop.

The fake server (enrichment_assets_tests/fakes/groq_server.py, on 127.0.0.1) answers after
500 ms and enforces 600 requests/min as a token bucket with a burst of 2. We enrich 300
distinct posts through the real path (groq SDK, shared limiter in SQLite, cache, usage log,
post_enrichment rows) and report posts/s, the share of the limit reached and the 429s.

Baseline, in the same run: the legacy loop (one call, then sleep 60/limit, SDK retries as the
legacy code had them) on its own fresh server. At ~0.6 s a post it would need ~3 minutes for
300 posts, so it runs on the first 60 and its rate is what is compared (a sequential loop's
rate does not depend on how many posts it is given).

Then the `local` provider: posts/s over 1,000 distinct synthetic posts (model load apart).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

POSTS = 300
LEGACY_POSTS = 60
LOCAL_POSTS = 1000
LATENCY_SECONDS = 0.5
LIMIT_PER_MINUTE = 600
SERVER_BURST = 2
CONCURRENCY = 8

_SUBJECTS = ["The central bank", "A software startup", "The national team", "Local officials",
             "Researchers", "The city council", "A major retailer", "Hospital staff",
             "Climate scientists", "The football club", "Investors", "The government"]  # fmt: skip
_VERBS = ["announced", "warned about", "celebrated", "criticised", "launched", "delayed",
          "reported", "denied", "approved", "questioned"]  # fmt: skip
_OBJECTS = ["new interest rates", "an artificial intelligence model", "a surprising victory",
            "flood defences", "a vaccine trial", "rising energy prices", "a data breach",
            "record profits", "a transfer deal", "new school funding", "a heat wave",
            "an election reform"]  # fmt: skip
_PLACES = ["in Berlin", "in Lagos", "in Toronto", "near Osaka", "in Madrid", "in Nairobi",
           "across Brazil", "in Warsaw", "in Chennai", "in Melbourne"]  # fmt: skip


def synthetic_posts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for number in range(count):
        sentences = [
            f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_PLACES)} on day {number}."
            for _ in range(3)
        ]
        texts.append(" ".join(sentences) + f" Report #{number}.")
    return texts


def _engine(folder: Path, name: str):
    from enrichment_assets.storage import create_database_engine, upgrade_to_head

    engine = create_database_engine(f"sqlite:///{folder / name}")
    upgrade_to_head(engine)
    return engine


def bench_groq(folder: Path) -> dict:
    from enrichment_assets.lib.enrichment.usage import UsageContext
    from enrichment_assets.lib.enrichment.workflow import run_enrichment
    from enrichment_assets.resources.llm import LLMResource
    from enrichment_assets_tests.fakes.groq_server import API_KEY, FakeGroqServer
    from enrichment_assets_tests.support.factories import insert_post

    engine = _engine(folder, "groq.db")
    day = datetime(2024, 5, 1, tzinfo=UTC)
    for number, text in enumerate(synthetic_posts(POSTS)):
        insert_post(engine, text, external_id=str(number), published_at=day)
    with FakeGroqServer(
        latency_seconds=LATENCY_SECONDS, requests_per_minute=LIMIT_PER_MINUTE, burst=SERVER_BURST
    ) as server:
        os.environ.update(GROQ_API_KEY=API_KEY, GROQ_BASE_URL=server.base_url)
        llm = LLMResource(
            provider="groq",
            requests_per_minute=LIMIT_PER_MINUTE,
            tokens_per_minute=0,
            max_concurrency=CONCURRENCY,
            daily_budget_usd=0,
        )
        backend = llm.backend(engine, "llm", UsageContext(asset="bench"))
        started = time.perf_counter()
        summary = run_enrichment(engine, backend, "llm", day, day.replace(day=2))
        elapsed = time.perf_counter() - started
        responses = len(server.state.statuses)
        throttled = server.state.count(429)
    completed = summary.statuses["completed"]
    return {
        "completed": completed,
        "seconds": elapsed,
        "posts_per_second": completed / elapsed,
        "responses": responses,
        "throttled": throttled,
    }


def bench_legacy() -> dict:
    """The legacy task's loop: call, then sleep 60/limit; SDK retries left at their default."""
    import groq

    from enrichment_assets.lib.enrichment.prompts import enrichment_messages
    from enrichment_assets_tests.fakes.groq_server import API_KEY, FakeGroqServer

    texts = synthetic_posts(LEGACY_POSTS, seed=11)
    with FakeGroqServer(
        latency_seconds=LATENCY_SECONDS, requests_per_minute=LIMIT_PER_MINUTE, burst=SERVER_BURST
    ) as server:
        client = groq.Groq(api_key=API_KEY, base_url=server.base_url)
        started = time.perf_counter()
        done = 0
        for text in texts:
            client.chat.completions.create(
                model="llama-3.1-8b-instant",
                messages=enrichment_messages(text),
                response_format={"type": "json_object"},
            )
            done += 1
            time.sleep(60 / LIMIT_PER_MINUTE)
        elapsed = time.perf_counter() - started
        throttled = server.state.count(429)
    return {"completed": done, "seconds": elapsed, "posts_per_second": done / elapsed,
            "throttled": throttled}  # fmt: skip


def bench_local() -> dict:
    from enrichment_assets.lib.enrichment.local import LocalEnricher

    started = time.perf_counter()
    enricher = LocalEnricher()
    loaded = time.perf_counter() - started
    texts = synthetic_posts(LOCAL_POSTS, seed=3)
    started = time.perf_counter()
    payloads = enricher.enrich_many(texts)
    elapsed = time.perf_counter() - started
    assert len(payloads) == LOCAL_POSTS and all(p["keywords"] for p in payloads)
    return {"load_seconds": loaded, "seconds": elapsed, "posts_per_second": LOCAL_POSTS / elapsed}


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    limit_per_second = LIMIT_PER_MINUTE / 60
    with tempfile.TemporaryDirectory() as folder:
        ours = bench_groq(Path(folder))
    print(
        f"groq path: {ours['completed']}/{POSTS} posts in {ours['seconds']:.1f} s = "
        f"{ours['posts_per_second']:.2f} posts/s, "
        f"{ours['posts_per_second'] / limit_per_second:.0%} of the {LIMIT_PER_MINUTE}/min limit, "
        f"429s: {ours['throttled']}/{ours['responses']} responses "
        f"({ours['throttled'] / max(1, ours['responses']):.1%}); "
        f"latency {LATENCY_SECONDS * 1000:.0f} ms, concurrency {CONCURRENCY}",
        flush=True,
    )
    legacy = bench_legacy()
    print(
        f"legacy loop (first {LEGACY_POSTS} posts, same server settings): "
        f"{legacy['posts_per_second']:.2f} posts/s ({legacy['seconds']:.1f} s), "
        f"429s: {legacy['throttled']}",
        flush=True,
    )
    print(f"ratio: {ours['posts_per_second'] / legacy['posts_per_second']:.1f}x the legacy loop")
    local = bench_local()
    print(
        f"local provider: {LOCAL_POSTS} posts in {local['seconds']:.1f} s = "
        f"{local['posts_per_second']:.1f} posts/s (model load {local['load_seconds']:.1f} s apart)",
        flush=True,
    )
