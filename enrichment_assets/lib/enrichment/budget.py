"""The daily LLM budget (LLM_DAILY_BUDGET_USD), shared by every process through the usage log.

A call goes ahead only if today's logged spend, plus the calls of this run still in flight,
plus this call at its worst (the whole answer cap) stays within the budget.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.storage import enrichment as repository


def spent_today_usd(engine: Engine) -> float:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return repository.spent_since_usd(engine, midnight)


class DailyBudget:
    """`limit_usd` ≤ 0 means no budget: every call may go."""

    def __init__(
        self, engine: Engine, prices: PriceTable, model: str, max_tokens: int, limit_usd: float
    ) -> None:
        self.engine = engine
        self.prices = prices
        self.model = model
        self.max_tokens = max_tokens
        self.limit_usd = limit_usd
        self._lock = threading.Lock()
        self._inflight_cost = 0.0

    def _worst_cost(self, prompt_tokens: int) -> float:
        return self.prices.cost(self.model, prompt_tokens, self.max_tokens)

    def reserve(self, prompt_tokens: int) -> bool:
        """Room for this call in today's budget? If so it counts as in flight until released."""
        if self.limit_usd <= 0:
            return True
        estimate = self._worst_cost(prompt_tokens)
        spent = spent_today_usd(self.engine)
        with self._lock:
            if spent + self._inflight_cost + estimate > self.limit_usd:
                return False
            self._inflight_cost += estimate
        return True

    def release(self, prompt_tokens: int) -> None:
        """The call is over (its real cost is in the usage log now) or never went out."""
        if self.limit_usd <= 0:
            return
        estimate = self._worst_cost(prompt_tokens)
        with self._lock:
            self._inflight_cost = max(0.0, self._inflight_cost - estimate)
