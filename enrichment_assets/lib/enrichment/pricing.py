"""Estimated cost of a call, from a per-model price table (USD per million tokens).

The built-in table holds Groq's on-demand list prices as published when this was written;
LLM_PRICES (JSON, same shape) overrides or extends it without a release. A model missing from
both is priced at the most expensive entry, so a budget never under-counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DEFAULT_PRICES_PER_MILLION: dict[str, dict[str, float]] = {
    "llama-3.1-8b-instant": {"input": 0.05, "output": 0.08},
    "llama-3.3-70b-versatile": {"input": 0.59, "output": 0.79},
    "meta-llama/llama-4-scout-17b-16e-instruct": {"input": 0.11, "output": 0.34},
    "meta-llama/llama-4-maverick-17b-128e-instruct": {"input": 0.20, "output": 0.60},
    "openai/gpt-oss-20b": {"input": 0.075, "output": 0.30},
    "openai/gpt-oss-120b": {"input": 0.15, "output": 0.60},
    "qwen/qwen3-32b": {"input": 0.29, "output": 0.59},
    "local": {"input": 0.0, "output": 0.0},
}


@dataclass(frozen=True)
class PriceTable:
    prices: dict[str, dict[str, float]]

    @classmethod
    def from_json(cls, raw: str | None) -> PriceTable:
        prices = {name: dict(entry) for name, entry in DEFAULT_PRICES_PER_MILLION.items()}
        if raw:
            try:
                extra = json.loads(raw)
                for name, entry in extra.items():
                    prices[name] = {
                        "input": float(entry["input"]),
                        "output": float(entry["output"]),
                    }
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                raise ValueError(
                    'LLM_PRICES must be JSON like {"model": {"input": 0.05, "output": 0.08}} '
                    f"(USD per million tokens): {error}"
                ) from error
        return cls(prices)

    def knows(self, model: str) -> bool:
        return model in self.prices

    def price(self, model: str) -> dict[str, float]:
        if model in self.prices:
            return self.prices[model]
        return max(self.prices.values(), key=lambda entry: entry["input"] + entry["output"])

    def cost(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.price(model)
        return (prompt_tokens * price["input"] + completion_tokens * price["output"]) / 1_000_000
