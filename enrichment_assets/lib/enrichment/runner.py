"""Run many LLM calls as fast as the provider allows and no faster, and survive its errors.

For each distinct text: take the cached answer or claim the key (never pay twice); book a slot
in the shared limiter (even spacing, shared pauses); check the daily budget; call; validate
(one corrective retry on invalid output); log one `llm_usage_log` row per call; store the
answer. Up to `max_concurrency` calls overlap to hide latency. 429, timeouts and 5xx are waited
for (retry-after first, else backoff with jitter) and retried, then recorded as errors; 401/403
stop everything at once. Outcomes come back on the caller's thread, one by one, so the caller
commits each as it lands and a killed run resumes where it stopped.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.cache import CacheKey, LLMCache
from enrichment_assets.lib.enrichment.client import (
    AuthFailed,
    ChatClient,
    JsonValidateFailed,
    LLMCallError,
    RateLimited,
)
from enrichment_assets.lib.enrichment.limiter import (
    PauseTooLong,
    SharedRateLimiter,
    header_pause,
    retry_after_seconds,
)
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.prompts import InvalidOutput, corrective_messages
from enrichment_assets.storage.tables import llm_usage_log

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 30.0


@dataclass(frozen=True)
class Task:
    """What to ask: the kind of answer, its prompt version, messages and validation."""

    kind: str  # llm | tags
    prompt_version: str
    build_messages: Callable[[str], list[dict[str, str]]]
    response_format: dict
    validate: Callable[[str | None, str], dict[str, Any]]  # (content, text) -> payload
    max_tokens: int = 512


@dataclass(frozen=True)
class WorkItem:
    content_hash: str
    text: str
    entity_id: str = ""


@dataclass
class Outcome:
    content_hash: str
    status: str  # completed | error | budget | stopped
    payload: dict[str, Any] | None = None
    error: str | None = None
    cached: bool = False
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class UsageContext:
    run_id: str | None = None
    asset: str | None = None
    partition: str | None = None


@dataclass
class RunTotals:
    calls: int = 0
    calls_by_status: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    rate_limited: int = 0
    budget_reached: bool = False
    auth_error: str | None = None
    stop_reason: str | None = None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base·2^attempt))."""
    return rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


def spent_today_usd(engine: Engine) -> float:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with engine.connect() as connection:
        return float(
            connection.execute(
                sa.select(sa.func.coalesce(sa.func.sum(llm_usage_log.c.cost_usd), 0.0)).where(
                    llm_usage_log.c.created_at >= midnight
                )
            ).scalar_one()
        )


class LLMRunner:
    def __init__(
        self,
        *,
        engine: Engine,
        client: ChatClient,
        task: Task,
        limiter: SharedRateLimiter,
        cache: LLMCache,
        prices: PriceTable,
        usage: UsageContext,
        max_concurrency: int = 8,
        max_attempts: int = 5,
        daily_budget_usd: float = 0.0,
        force: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.task = task
        self.limiter = limiter
        self.cache = cache
        self.prices = prices
        self.usage = usage
        self.max_concurrency = max(1, max_concurrency)
        self.max_attempts = max(1, max_attempts)
        self.daily_budget_usd = daily_budget_usd
        self.force = force
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.totals = RunTotals()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._inflight_cost = 0.0
        self._answers_seen = 0
        self._completion_tokens_seen = 0

    # --- public ---------------------------------------------------------------------------

    def run(self, items: Iterable[WorkItem], on_outcome: Callable[[Outcome], None]) -> RunTotals:
        """Process `items` (distinct content hashes); `on_outcome` runs on this thread."""
        pending = list(items)
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="llm") as pool:
            running: set[Future] = set()
            while pending or running:
                while pending and len(running) < self.max_concurrency:
                    item = pending.pop(0)
                    if self._stop.is_set():
                        on_outcome(self._stopped(item))
                        continue
                    running.add(pool.submit(self._process, item))
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    on_outcome(future.result())
        return self.totals

    # --- one item -------------------------------------------------------------------------

    def _stopped(self, item: WorkItem) -> Outcome:
        status = "budget" if self.totals.budget_reached else "stopped"
        return Outcome(item.content_hash, status, error=self._stop_reason())

    def _stop_reason(self) -> str:
        if self.totals.auth_error:
            return self.totals.auth_error
        if self.totals.budget_reached:
            return f"daily budget of {self.daily_budget_usd:.2f} USD reached (LLM_DAILY_BUDGET_USD)"
        return self.totals.stop_reason or "stopped"

    def _process(self, item: WorkItem) -> Outcome:
        key = CacheKey(
            kind=self.task.kind,
            provider=self.client.provider,
            model=self.client.model,
            prompt_version=self.task.prompt_version,
            content_hash=item.content_hash,
        )
        try:
            claim = self.cache.claim(key, force=self.force, should_stop=self._stop.is_set)
        except Exception as error:  # the database went away: this item fails, not the batch
            return Outcome(item.content_hash, "error", error=f"cache unavailable: {error}")
        if claim.payload is not None:
            return Outcome(item.content_hash, "completed", payload=claim.payload, cached=True)
        if not claim.owned:
            return self._stopped(item)
        outcome = Outcome(item.content_hash, "error")
        try:
            self._call_until_done(item, key, outcome)
        except Exception as error:  # an unexpected bug on one item must not sink the batch
            log.exception("LLM enrichment of %s failed", item.content_hash[:12])
            outcome.status, outcome.error = "error", f"{type(error).__name__}: {error}"
        if outcome.status == "completed":
            self.cache.store(
                key,
                outcome.payload or {},
                prompt_tokens=outcome.prompt_tokens,
                completion_tokens=outcome.completion_tokens,
                cost_usd=outcome.cost_usd,
            )
        else:
            self.cache.release(key)
        return outcome

    def _estimate_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        # ~4 characters a token; the limiter is settled with the response's true count.
        return sum(len(message["content"]) for message in messages) // 4 + 20

    def _expected_completion_tokens(self) -> int:
        """What the answer will likely cost, for the token limiter: the cap until answers have
        been seen, then 1.5× their mean (the limiter is settled with the truth afterwards, but
        calls booked meanwhile were spaced by this guess, so a pessimistic one wastes TPM)."""
        with self._lock:
            if not self._answers_seen:
                return self.task.max_tokens
            mean = self._completion_tokens_seen / self._answers_seen
        return min(self.task.max_tokens, int(mean * 1.5) + 10)

    def _call_until_done(self, item: WorkItem, key: CacheKey, outcome: Outcome) -> None:
        base_messages = self.task.build_messages(item.text)
        messages = base_messages
        corrected = False
        attempt = 0
        last_error = "no attempt made"
        while attempt < self.max_attempts:
            if self._stop.is_set():
                outcome.status, outcome.error = self._stopped(item).status, self._stop_reason()
                return
            prompt_estimate = self._estimate_prompt_tokens(messages)
            estimate = prompt_estimate + self._expected_completion_tokens()
            if not self._reserve_budget(prompt_estimate):
                outcome.status, outcome.error = "budget", self._stop_reason()
                return
            try:
                try:
                    self.limiter.acquire(estimate, should_stop=self._stop.is_set)
                except PauseTooLong as pause:
                    self._release_budget(prompt_estimate)
                    with self._lock:
                        self.totals.stop_reason = str(pause)
                    self._stop.set()
                    continue
                if self._stop.is_set():
                    self._release_budget(prompt_estimate)
                    continue
                if attempt:
                    self.cache.heartbeat(key)
                result = self.client.complete(
                    messages, self.task.response_format, self.task.max_tokens
                )
            except LLMCallError as error:
                self._release_budget(prompt_estimate)
                self.limiter.settle(estimate, 0)
                self._log_call(item, "error", error.latency_ms, error_type=error.error_type)
                last_error = str(error)
                if isinstance(error, AuthFailed):
                    with self._lock:
                        self.totals.auth_error = str(error)
                    self._stop.set()
                    outcome.status, outcome.error = "error", str(error)
                    return
                if isinstance(error, JsonValidateFailed) and not corrected:
                    corrected = True
                    messages = corrective_messages(
                        base_messages, error.failed_generation, str(error)
                    )
                    attempt += 1
                    continue
                if not error.retryable:
                    break
                attempt += 1
                self._wait_after(error, attempt)
                continue
            # An answer: account for it, then validate.
            self._release_budget(prompt_estimate)
            self.limiter.settle(estimate, result.total_tokens)
            with self._lock:
                self._answers_seen += 1
                self._completion_tokens_seen += result.completion_tokens
            if pause := header_pause(result.headers, estimate):
                self.limiter.pause(*pause)
            cost = self.prices.cost(
                self.client.model, result.prompt_tokens, result.completion_tokens
            )
            outcome.calls += 1
            outcome.prompt_tokens += result.prompt_tokens
            outcome.completion_tokens += result.completion_tokens
            outcome.cost_usd += cost
            try:
                payload = self.task.validate(result.content, item.text)
            except InvalidOutput as error:
                self._log_call(item, "invalid_output", result.latency_ms, result, cost,
                               error_type="invalid_output")  # fmt: skip
                last_error = f"invalid output: {error}"
                if corrected:
                    break
                corrected = True
                messages = corrective_messages(base_messages, result.content or "", str(error))
                attempt += 1
                continue
            self._log_call(item, "ok", result.latency_ms, result, cost)
            outcome.status, outcome.payload, outcome.error = "completed", payload, None
            return
        outcome.status, outcome.error = "error", last_error

    def _wait_after(self, error: LLMCallError, attempt: int) -> None:
        """Before the next attempt: the provider's word first, else backoff with jitter."""
        wait_seconds = retry_after_seconds(error.headers)
        reason = "retry-after"
        if wait_seconds is None and (pause := header_pause(error.headers, 1)):
            wait_seconds, reason = pause
        if wait_seconds is not None:
            wait_seconds += self.rng.uniform(0, 0.25)  # so waiting workers do not return as one
        else:
            wait_seconds, reason = backoff_seconds(attempt, self.rng), "backoff"
        if isinstance(error, RateLimited):
            with self._lock:
                self.totals.rate_limited += 1
            # Everyone waits, not only this worker: the limit is the organisation's.
            self.limiter.pause(wait_seconds, f"429 ({reason})")
        else:
            self._sleep_unless_stopped(wait_seconds)

    def _sleep_unless_stopped(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            self.sleep(min(left, 0.5))

    # --- budget and usage -----------------------------------------------------------------

    def _call_cost_estimate(self, prompt_tokens: int) -> float:
        return self.prices.cost(self.client.model, prompt_tokens, self.task.max_tokens)

    def _reserve_budget(self, prompt_tokens: int) -> bool:
        """Room for this call (at its worst: the whole answer cap) in today's budget, counting
        every process's logged spend and this run's calls in flight."""
        if self.daily_budget_usd <= 0:
            return True
        estimate = self._call_cost_estimate(prompt_tokens)
        spent = spent_today_usd(self.engine)
        with self._lock:
            if spent + self._inflight_cost + estimate > self.daily_budget_usd:
                self.totals.budget_reached = True
                self._stop.set()
                return False
            self._inflight_cost += estimate
        return True

    def _release_budget(self, prompt_tokens: int) -> None:
        if self.daily_budget_usd <= 0:
            return
        estimate = self._call_cost_estimate(prompt_tokens)
        with self._lock:
            self._inflight_cost = max(0.0, self._inflight_cost - estimate)

    def _log_call(
        self,
        item: WorkItem,
        status: str,
        latency_ms: int,
        result=None,
        cost: float = 0.0,
        error_type: str | None = None,
    ) -> None:
        prompt = result.prompt_tokens if result else 0
        completion = result.completion_tokens if result else 0
        with self._lock:
            totals = self.totals
            totals.calls += 1
            totals.calls_by_status[status] = totals.calls_by_status.get(status, 0) + 1
            totals.prompt_tokens += prompt
            totals.completion_tokens += completion
            totals.cost_usd += cost
        with self.engine.begin() as connection:
            connection.execute(
                llm_usage_log.insert().values(
                    run_id=self.usage.run_id,
                    asset=self.usage.asset,
                    partition=self.usage.partition,
                    entity_type="post",
                    entity_id=item.entity_id or item.content_hash,
                    provider=self.client.provider,
                    model=self.client.model,
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    total_tokens=(result.total_tokens if result else 0) or prompt + completion,
                    cost_usd=cost,
                    latency_ms=latency_ms,
                    status=status,
                    error_type=error_type,
                )
            )
