"""Run many LLM calls as fast as the provider allows and no faster, and survive its errors.

For each distinct text: take the cached answer or claim the key (never pay twice); book a slot
in the shared limiter (even spacing, shared pauses); check the daily budget; call; validate
(one corrective retry on invalid output); log one `llm_usage_log` row per call; store the
answer. Up to `max_concurrency` calls overlap to hide latency. 429, timeouts and 5xx are waited
for (retry-after first, else backoff with jitter) and retried, then recorded as errors; 401/403
stop everything at once. Outcomes come back on the caller's thread, one by one, so the caller
commits each as it lands and a killed run resumes where it stopped.

The parts the runner drives live beside it: the wait decision in `waits.py`, the usage log and
token estimate in `usage.py`, the daily budget in `budget.py`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.budget import DailyBudget
from enrichment_assets.lib.enrichment.cache import CacheKey, LLMCache
from enrichment_assets.lib.enrichment.client import (
    AuthFailed,
    ChatClient,
    ChatResult,
    JsonValidateFailed,
    LLMCallError,
    RateLimited,
)
from enrichment_assets.lib.enrichment.limiter import PauseTooLong, SharedRateLimiter
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.prompts import InvalidOutput, corrective_messages
from enrichment_assets.lib.enrichment.usage import RunTotals, TokenEstimate, UsageContext, UsageLog
from enrichment_assets.lib.enrichment.waits import header_pause, wait_before_retry

log = logging.getLogger(__name__)


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
    # What went wrong, as a word a caller can branch on: an LLMCallError's `error_type` (auth,
    # transient, rate_limited, rejected, json_validate_failed), invalid_output, budget, stopped,
    # cache_unavailable or exception. None when the item completed.
    error_type: str | None = None
    cached: bool = False
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


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
        self.max_concurrency = max(1, max_concurrency)
        self.max_attempts = max(1, max_attempts)
        self.force = force
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.totals = RunTotals()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.budget = DailyBudget(engine, prices, client.model, task.max_tokens, daily_budget_usd)
        self.usage = UsageLog(engine, usage, client.provider, client.model, self.totals, self._lock)
        self.tokens = TokenEstimate(task.max_tokens)

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
        return Outcome(
            item.content_hash, status, error=self._stop_reason(), error_type=self._stop_type()
        )

    def _stop_type(self) -> str:
        if self.totals.auth_error:
            return "auth"
        return "budget" if self.totals.budget_reached else "stopped"

    def _stop_reason(self) -> str:
        if self.totals.auth_error:
            return self.totals.auth_error
        if self.totals.budget_reached:
            return f"daily budget of {self.budget.limit_usd:.2f} USD reached (LLM_DAILY_BUDGET_USD)"
        return self.totals.stop_reason or "stopped"

    def _stop_all(self, **totals: Any) -> None:
        """Set `totals` fields and tell every worker to stop."""
        with self._lock:
            for name, value in totals.items():
                setattr(self.totals, name, value)
        self._stop.set()

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
            return Outcome(
                item.content_hash,
                "error",
                error=f"cache unavailable: {error}",
                error_type="cache_unavailable",
            )
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
            outcome.error_type = "exception"
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

    def _call_until_done(self, item: WorkItem, key: CacheKey, outcome: Outcome) -> None:
        base_messages = self.task.build_messages(item.text)
        messages = base_messages
        corrected = False
        attempt = 0
        last_error, last_error_type = "no attempt made", None
        entity_id = item.entity_id or item.content_hash
        while attempt < self.max_attempts:
            if self._stop.is_set():
                stopped = self._stopped(item)
                outcome.status, outcome.error = stopped.status, stopped.error
                outcome.error_type = stopped.error_type
                return
            prompt_estimate = self.tokens.prompt_tokens(messages)
            estimate = prompt_estimate + self.tokens.completion_tokens()
            if not self.budget.reserve(prompt_estimate):
                self._stop_all(budget_reached=True)
                outcome.status, outcome.error = "budget", self._stop_reason()
                outcome.error_type = "budget"
                return
            if not self._wait_for_slot(estimate, prompt_estimate):
                continue  # the run is stopping: the loop's head says why
            try:
                if attempt:
                    self.cache.heartbeat(key)
                result = self.client.complete(
                    messages, self.task.response_format, self.task.max_tokens
                )
            except LLMCallError as error:
                self.budget.release(prompt_estimate)
                self.limiter.settle(estimate, 0)
                self.usage.record(entity_id, "error", error.latency_ms, error_type=error.error_type)
                last_error, last_error_type = str(error), error.error_type
                if isinstance(error, AuthFailed):
                    self._stop_all(auth_error=str(error))
                    outcome.status, outcome.error = "error", str(error)
                    outcome.error_type = error.error_type
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
            cost = self._account_for_answer(result, estimate, prompt_estimate, outcome)
            try:
                payload = self.task.validate(result.content, item.text)
            except InvalidOutput as error:
                self.usage.record(entity_id, "invalid_output", result.latency_ms, result, cost,
                                  error_type="invalid_output")  # fmt: skip
                last_error, last_error_type = f"invalid output: {error}", "invalid_output"
                if corrected:
                    break
                corrected = True
                messages = corrective_messages(base_messages, result.content or "", str(error))
                attempt += 1
                continue
            self.usage.record(entity_id, "ok", result.latency_ms, result, cost)
            outcome.status, outcome.payload, outcome.error = "completed", payload, None
            return
        outcome.status, outcome.error, outcome.error_type = "error", last_error, last_error_type

    def _wait_for_slot(self, estimate: int, prompt_estimate: int) -> bool:
        """Book a slot in the shared limiter and sleep until it. False when the run stops
        meanwhile (a provider pause too long to sit out, or another worker's stop): the budget
        booked for this call is given back."""
        try:
            self.limiter.acquire(estimate, should_stop=self._stop.is_set)
        except PauseTooLong as pause:
            self.budget.release(prompt_estimate)
            self._stop_all(stop_reason=str(pause))
            return False
        if self._stop.is_set():
            self.budget.release(prompt_estimate)
            return False
        return True

    def _account_for_answer(
        self, result: ChatResult, estimate: int, prompt_estimate: int, outcome: Outcome
    ) -> float:
        """Settle the budget, the limiter and the token guess with what the answer really
        cost, heed the provider's rate-limit headers, and add the call to `outcome`."""
        self.budget.release(prompt_estimate)
        self.limiter.settle(estimate, result.total_tokens)
        self.tokens.saw_answer(result.completion_tokens)
        if pause := header_pause(result.headers, estimate):
            self.limiter.pause(*pause)
        cost = self.prices.cost(self.client.model, result.prompt_tokens, result.completion_tokens)
        outcome.calls += 1
        outcome.prompt_tokens += result.prompt_tokens
        outcome.completion_tokens += result.completion_tokens
        outcome.cost_usd += cost
        return cost

    def _wait_after(self, error: LLMCallError, attempt: int) -> None:
        """Before the next attempt: the provider's word first, else backoff with jitter."""
        wait_seconds, reason = wait_before_retry(error.headers, attempt, self.rng)
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
