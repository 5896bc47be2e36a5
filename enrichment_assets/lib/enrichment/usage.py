"""What LLM calls cost: one `llm_usage_log` row per call, the run's totals beside it, and the
running guess of an answer's size that the token limiter books calls by."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.client import ChatResult
from enrichment_assets.storage import enrichment as repository


@dataclass
class UsageContext:
    run_id: str | None = None
    asset: str | None = None
    partition: str | None = None
    entity_type: str = "post"  # what `entity_id` names: post | article


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


class UsageLog:
    """Logs each call (answered or failed) for the budget and the cost report, and adds it to
    `totals` under `lock` (the runner's: its workers share the totals)."""

    def __init__(
        self,
        engine: Engine,
        context: UsageContext,
        provider: str,
        model: str,
        totals: RunTotals,
        lock: threading.Lock,
    ) -> None:
        self.engine = engine
        self.context = context
        self.provider = provider
        self.model = model
        self.totals = totals
        self._lock = lock

    def record(
        self,
        entity_id: str,
        status: str,
        latency_ms: int,
        result: ChatResult | None = None,
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
        repository.log_llm_call(
            self.engine,
            {
                "run_id": self.context.run_id,
                "asset": self.context.asset,
                "partition": self.context.partition,
                "entity_type": self.context.entity_type,
                "entity_id": entity_id,
                "provider": self.provider,
                "model": self.model,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": (result.total_tokens if result else 0) or prompt + completion,
                "cost_usd": cost,
                "latency_ms": latency_ms,
                "status": status,
                "error_type": error_type,
            },
        )


class TokenEstimate:
    """Tokens a call will likely take, for the token limiter (settled with the truth after)."""

    def __init__(self, max_completion_tokens: int) -> None:
        self.max_completion_tokens = max_completion_tokens
        self._lock = threading.Lock()
        self._answers_seen = 0
        self._completion_tokens_seen = 0

    @staticmethod
    def prompt_tokens(messages: list[dict[str, str]]) -> int:
        # ~4 characters a token; the limiter is settled with the response's true count.
        return sum(len(message["content"]) for message in messages) // 4 + 20

    def completion_tokens(self) -> int:
        """The cap until answers have been seen, then 1.5× their mean (calls booked meanwhile
        are spaced by this guess, so a pessimistic one wastes tokens per minute)."""
        with self._lock:
            if not self._answers_seen:
                return self.max_completion_tokens
            mean = self._completion_tokens_seen / self._answers_seen
        return min(self.max_completion_tokens, int(mean * 1.5) + 10)

    def saw_answer(self, completion_tokens: int) -> None:
        with self._lock:
            self._answers_seen += 1
            self._completion_tokens_seen += completion_tokens
