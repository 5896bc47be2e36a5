"""`llm`: chat completions with structured output, shared rate limits, a cache and a usage log.

Provider from LLM_PROVIDER: `groq` (the groq SDK; GROQ_API_KEY, GROQ_BASE_URL, GROQ_MODEL),
`local` (offline: the EMBEDDING_MODEL encoder and a sentiment lexicon; the default without a
key) or `none` (skip, with a reason). Every field left unset is read from the settings when a
run starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pydantic import Field
from sqlalchemy.engine import Engine

from enrichment_assets.lib.enrichment.cache import LLMCache
from enrichment_assets.lib.enrichment.client import GroqChatClient
from enrichment_assets.lib.enrichment.limiter import SharedRateLimiter
from enrichment_assets.lib.enrichment.pricing import PriceTable
from enrichment_assets.lib.enrichment.runner import LLMRunner, Task
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.lib.enrichment.workflow import (
    Backend,
    LLMBackend,
    LocalBackend,
    NoProviderBackend,
    llm_task,
)
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import EmbeddingsSettings, EnrichmentSettings

PROVIDERS = ("groq", "local", "none")

_local_enrichers: dict[str, object] = {}
_local_lock = threading.Lock()


def shared_local_enricher(model_name: str):
    """One local enricher per process and encoder: the model and label vectors load once."""
    with _local_lock:
        if model_name not in _local_enrichers:
            from enrichment_assets.lib.enrichment.local import LocalEnricher

            _local_enrichers[model_name] = LocalEnricher(model_name)
        return _local_enrichers[model_name]


class RunnerFactory:
    """Builds an `LLMRunner` for a task on one client; `client` is the client they share."""

    def __init__(self, client: GroqChatClient, build: Callable[[Task], LLMRunner]) -> None:
        self.client = client
        self._build = build

    def __call__(self, task: Task) -> LLMRunner:
        return self._build(task)


class LLMNotConfigured(Exception):
    """A setting is missing or wrong; the message names it and holds no secret."""


class LLMResource(SettingsResource):
    """The LLM used by enrichment and tagging; docs/configuration.md lists every setting."""

    settings_groups = (EnrichmentSettings, EmbeddingsSettings)

    provider: str | None = Field(default=None, description="groq | local | none (LLM_PROVIDER)")
    base_url: str | None = Field(default=None, description="GROQ_BASE_URL (SDK default if unset)")
    model: str | None = Field(default=None, description="GROQ_MODEL")
    requests_per_minute: float | None = Field(
        default=None, ge=0, description="ENRICHMENT_RATE_LIMIT"
    )
    tokens_per_minute: float | None = Field(
        default=None, ge=0, description="ENRICHMENT_TOKENS_PER_MINUTE (0 = no token limit)"
    )
    max_concurrency: int | None = Field(default=None, ge=1, description="LLM_MAX_CONCURRENCY")
    daily_budget_usd: float | None = Field(
        default=None, ge=0, description="LLM_DAILY_BUDGET_USD (0 = no cap)"
    )
    timeout_seconds: float = Field(default=30.0, description="per-request timeout")
    max_attempts: int = Field(
        default=5, description="attempts per text on 429, timeout and 5xx before `error`"
    )

    def enrichment(self) -> EnrichmentSettings:
        """The enrichment settings this run uses (the checks' error-rate threshold among them)."""
        return self.settings(EnrichmentSettings)

    def resolved_provider(self) -> str:
        value = field_or_setting(self.provider, self.enrichment().llm_provider).lower()
        if value not in PROVIDERS:
            raise LLMNotConfigured(f"LLM_PROVIDER must be groq, local or none, got {value!r}")
        return value

    def resolved_model(self) -> str:
        return field_or_setting(self.model, self.enrichment().groq_model)

    def backend(
        self,
        engine: Engine,
        kind: str,
        usage: UsageContext,
        prompt_version: str | None = None,
        force: bool = False,
    ) -> Backend:
        provider = self.resolved_provider()
        if provider == "none":
            return NoProviderBackend()
        if provider == "local":
            encoder = self.settings(EmbeddingsSettings).embedding_model
            return LocalBackend(
                lambda: shared_local_enricher(encoder), kind, prompt_version, model_name=encoder
            )
        runner_for = self.runner_factory(engine, usage, force=force)
        return LLMBackend(runner_for.client, runner_for, llm_task(kind, prompt_version))

    def runner_factory(
        self, engine: Engine, usage: UsageContext, model: str | None = None, force: bool = False
    ) -> RunnerFactory:
        """Runners on the Groq client for `model` (default GROQ_MODEL), sharing the limiter of
        that model, the cache, the usage log and the daily budget: one per task."""
        settings = self.enrichment()
        if settings.groq_api_key is None:
            raise LLMNotConfigured(
                "LLM_PROVIDER is groq but GROQ_API_KEY is not set: set GROQ_API_KEY, "
                "or LLM_PROVIDER=local to enrich offline"
            )
        model = model or self.resolved_model()
        base_url = field_or_setting(self.base_url, settings.groq_base_url)
        if base_url and base_url.rstrip("/").endswith("/openai/v1"):
            raise LLMNotConfigured(
                f"GROQ_BASE_URL must be the host only (e.g. https://api.groq.com), got "
                f"{base_url!r}: the groq SDK appends /openai/v1/chat/completions itself"
            )
        client = GroqChatClient(
            api_key=settings.groq_api_key.get_secret_value(),
            model=model,
            base_url=base_url,
            timeout_seconds=self.timeout_seconds,
        )
        rpm = field_or_setting(self.requests_per_minute, settings.enrichment_rate_limit)
        tpm = field_or_setting(self.tokens_per_minute, settings.enrichment_tokens_per_minute)
        budget = field_or_setting(self.daily_budget_usd, settings.llm_daily_budget_usd)
        # At least one call in flight: 0 would never start one (LLM_MAX_CONCURRENCY=0 means 1).
        concurrency = max(1, field_or_setting(self.max_concurrency, settings.llm_max_concurrency))
        limiter = SharedRateLimiter(
            engine, key=f"groq:{base_url or 'default'}:{model}", requests_per_minute=rpm,
            tokens_per_minute=tpm,
        )  # fmt: skip
        prices = PriceTable.from_json(settings.llm_prices)

        def runner_for(task: Task) -> LLMRunner:
            return LLMRunner(
                engine=engine,
                client=client,
                task=task,
                limiter=limiter,
                cache=LLMCache(engine),
                prices=prices,
                usage=usage,
                max_concurrency=concurrency,
                max_attempts=self.max_attempts,
                daily_budget_usd=budget,
                force=force,
            )

        return RunnerFactory(client, runner_for)
