"""The limiter and the cache live in the database: they hold across engines (processes)."""

from __future__ import annotations

import itertools
import threading

import pytest

from enrichment_assets.lib.enrichment.cache import CacheKey, LLMCache
from enrichment_assets.lib.enrichment.limiter import SharedRateLimiter
from enrichment_assets.storage import create_database_engine


def test_limiter_spaces_calls_evenly_across_processes(engine, database_url):
    # Two engines stand for two processes; 4 threads each book 5 slots at 600 requests/min.
    other = create_database_engine(database_url)
    limiters = [SharedRateLimiter(e, "groq:test", requests_per_minute=600) for e in (engine, other)]
    slots: list[float] = []
    lock = threading.Lock()

    def book(limiter: SharedRateLimiter) -> None:
        for _ in range(5):
            slot = limiter.reserve().slot
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=book, args=(limiters[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    slots.sort()
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert len(slots) == 20
    assert min(gaps) >= 0.1 - 1e-6  # never two calls closer than 60/600 s


def test_limiter_token_budget_spaces_large_calls(engine):
    limiter = SharedRateLimiter(engine, "k", requests_per_minute=6000, tokens_per_minute=6000)
    first = limiter.reserve(tokens=600).slot
    second = limiter.reserve(tokens=600).slot
    assert second - first == pytest.approx(6.0, abs=0.05)  # 600 of 6000 tokens/min = 6 s


def test_a_pause_holds_every_caller(engine):
    limiter = SharedRateLimiter(engine, "k", requests_per_minute=6000)
    limiter.pause(5.0, "429 (retry-after)")
    other = SharedRateLimiter(engine, "k", requests_per_minute=6000)
    assert other.reserve().slot >= limiter.paused_until() - 1e-6
    assert other.paused_until() - limiter.clock() > 4.0


def test_cache_claim_is_exclusive_and_answers_are_shared(engine, database_url):
    key = CacheKey("llm", "groq", "m", "v1", "hash")
    first = LLMCache(engine, owner="worker-a")
    second_engine = create_database_engine(database_url)
    second = LLMCache(second_engine, owner="worker-b", sleep=lambda s: None)
    assert first.claim(key).owned
    # worker-b must wait while worker-a holds the key; it gives up only when told to stop.
    assert not second.claim(key, should_stop=lambda: True).owned
    first.store(key, {"keywords": ["x"]}, prompt_tokens=10)
    claim = second.claim(key)
    assert claim.payload == {"keywords": ["x"]} and not claim.owned
    # Another prompt version is another question.
    assert second.claim(CacheKey("llm", "groq", "m", "v2", "hash")).owned
    second_engine.dispose()


def test_a_claim_left_by_a_killed_run_is_taken_over_after_its_lease(engine):
    key = CacheKey("tags", "groq", "m", "v1", "hash")
    assert LLMCache(engine, owner="killed").claim(key).owned
    assert LLMCache(engine, owner="next", lease_seconds=0).claim(key).owned


def test_release_lets_the_next_run_try_again(engine):
    key = CacheKey("llm", "groq", "m", "v1", "hash")
    cache = LLMCache(engine, owner="a")
    assert cache.claim(key).owned
    cache.release(key)
    assert LLMCache(engine, owner="b").claim(key).owned
