"""Link checks: 2,000 URLs over 20 local hosts, 100 ms latency each, at most 4 at once per host.

The servers run in a child process (so they do not share the client's interpreter lock) on
127.0.0.1 … 127.0.0.20, every answer delayed 100 ms. The checker is the real one: the SSRF
guard (those 20 hosts allowed), robots.txt (one fetch per host), per-host limit 4, no pacing.

Ideal: 2,000 / (20 hosts × 4) × 0.1 s = 2.5 s. Baseline, same run: the same checker one request
at a time, timed on 50 URLs (after each host's robots.txt is known) and extrapolated to 2,000
(the full sequential run would take over 200 s).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time

from enrichment_assets.lib.web.fetch import Fetcher
from enrichment_assets.lib.web.outcomes import OK
from enrichment_assets.lib.web.policy import FetchPolicy
from enrichment_assets_tests.fakes.web import serve_in_this_process

HOSTS = [f"127.0.0.{index}" for index in range(1, 21)]
URLS_PER_HOST = 100
LATENCY = 0.1
PER_HOST = 4
SEQUENTIAL_SAMPLE = 50


def policy(per_host: int, total: int) -> FetchPolicy:
    return FetchPolicy(
        allowed_hosts=tuple(HOSTS),
        per_host_concurrency=per_host,
        max_concurrency=total,
        per_host_interval=0.0,
        retries=0,
    )


async def check_all(urls: list[str], checker_policy: FetchPolicy) -> tuple[float, float, dict]:
    started, cpu_started = time.perf_counter(), time.process_time()
    async with Fetcher(checker_policy) as fetcher:
        results = await asyncio.gather(*(fetcher.check_link(url) for url in urls))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    return elapsed, cpu, outcomes


async def sequential_sample(urls: list[str]) -> tuple[float, dict]:
    """One request at a time. Each host's robots.txt is fetched before the clock starts, so
    the extrapolated baseline is pure link checks (it flatters the baseline slightly)."""
    async with Fetcher(policy(1, 1)) as fetcher:
        for host_index in range(len(HOSTS)):
            await fetcher.check_link(urls[host_index].replace("/page/", "/warm-up/"))
        sample = urls[len(HOSTS) : len(HOSTS) + SEQUENTIAL_SAMPLE]
        outcomes: dict[str, int] = {}
        started = time.perf_counter()
        for url in sample:
            result = await fetcher.check_link(url)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        return time.perf_counter() - started, outcomes


def main() -> None:
    context = multiprocessing.get_context("spawn")
    ports, stop = context.Queue(), context.Event()
    server = context.Process(
        target=serve_in_this_process, args=(HOSTS, LATENCY, ports, stop), daemon=True
    )
    server.start()
    try:
        port_of = ports.get(timeout=60)
        # Interleaved by host, as links cited by posts come.
        urls = [
            f"http://{host}:{port_of[host]}/page/{number}"
            for number in range(URLS_PER_HOST)
            for host in HOSTS
        ]
        ideal = len(urls) / (len(HOSTS) * PER_HOST) * LATENCY

        concurrent, cpu, outcomes = asyncio.run(check_all(urls, policy(PER_HOST, 100)))
        assert outcomes == {OK: len(urls)}, outcomes
        sample, sample_outcomes = asyncio.run(sequential_sample(urls))
        assert sample_outcomes == {OK: SEQUENTIAL_SAMPLE}, sample_outcomes
        sequential = sample / SEQUENTIAL_SAMPLE * len(urls)

        print(f"{len(urls):,} link checks, {len(HOSTS)} hosts, {LATENCY * 1000:.0f} ms latency, "
              f"per-host limit {PER_HOST}")  # fmt: skip
        print(f"  concurrent (asyncio, per-host limit {PER_HOST}): {concurrent:6.2f} s  "
              f"(client CPU {cpu:.2f} s, {cpu / len(urls) * 1000:.2f} ms per check)")  # fmt: skip
        print(f"  ideal (2,000 / (20 × 4) × 0.1 s):           {ideal:6.2f} s  "
              f"→ {concurrent / ideal:.2f}× the ideal (goal ≤ 2×)")  # fmt: skip
        factor = len(urls) // SEQUENTIAL_SAMPLE
        speedup = sequential / concurrent
        print(f"  sequential baseline ({SEQUENTIAL_SAMPLE} URLs timed, ×{factor}):      "
              f"{sequential:6.1f} s  → concurrent is {speedup:.0f}× faster")  # fmt: skip
        print("  (robots.txt: one fetch per host, inside the concurrent time)")
    finally:
        stop.set()
        server.join(10)
        if server.is_alive():
            server.terminate()


if __name__ == "__main__":
    main()
