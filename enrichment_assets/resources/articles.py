"""`articles`: the article settings of a run and the writer its provider calls for.

The provider is the `llm` resource's (LLM_PROVIDER): `groq` writes through the shared runner
(limiter, cache, budget, usage log) with a model per stage where ARTICLES_STAGE_MODELS names
one; `local` writes extractively with the `embedder`'s model; `none` writes nothing.
"""

from __future__ import annotations

from pydantic import Field
from sqlalchemy.engine import Engine

from enrichment_assets.lib.articles.pipeline import ResearchOptions
from enrichment_assets.lib.articles.writers import Writer
from enrichment_assets.lib.enrichment.runner import LLMRunner, Task
from enrichment_assets.lib.enrichment.usage import UsageContext
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.resources.llm import LLMResource
from enrichment_assets.settings import ARTICLE_MODEL_STAGES, ArticlesSettings


class ArticlesResource(SettingsResource):
    """Article generation's settings; docs/configuration.md lists each one."""

    settings_groups = (ArticlesSettings,)

    auto_publish: bool | None = Field(default=None, description="ARTICLES_AUTO_PUBLISH")
    max_cost_usd: float | None = Field(default=None, ge=0, description="ARTICLES_MAX_COST_USD")

    def options(self) -> ArticlesSettings:
        return self.settings(ArticlesSettings)

    def resolved_auto_publish(self) -> bool:
        return field_or_setting(self.auto_publish, self.options().articles_auto_publish)

    def resolved_max_cost_usd(self) -> float:
        return field_or_setting(self.max_cost_usd, self.options().articles_max_cost_usd)

    def research_options(self, embedder: EmbedderResource) -> ResearchOptions:
        options = self.options()
        return ResearchOptions(
            model=embedder.model,
            max_sources=options.articles_max_sources,
            max_per_channel=options.articles_max_per_channel,
            min_similarity=options.articles_min_similarity,
        )

    def stage_model(self, llm: LLMResource, stage: str) -> str:
        """The Groq model of `stage`: its own, else ARTICLES_MODEL, else GROQ_MODEL."""
        options = self.options()
        return options.stage_models().get(stage) or options.articles_model or llm.resolved_model()

    def writer(
        self, engine: Engine, llm: LLMResource, embedder: EmbedderResource, usage: UsageContext
    ) -> Writer | None:
        """The provider's writer; None for `none` (nothing is written)."""
        provider = llm.resolved_provider()
        if provider == "none":
            return None
        if provider == "local":
            from enrichment_assets.lib.articles.local_writer import LocalWriter

            return LocalWriter(embedder.encode, embedder.model)
        from enrichment_assets.lib.articles.groq_writer import GroqWriter, run_task_through

        # One client per model, not per stage: stages on the same model share it (each client
        # loads its own TLS context, a tenth of a second apiece on every stage of every article).
        models = {stage: self.stage_model(llm, stage) for stage in ARTICLE_MODEL_STAGES}
        by_model = {
            model: llm.runner_factory(engine, usage, model=model) for model in set(models.values())
        }
        factories = {stage: by_model[model] for stage, model in models.items()}

        def runner_for(task: Task) -> LLMRunner:  # task kinds: article_outline, _draft, _lead
            return factories[task.kind.removeprefix("article_")](task)

        return GroqWriter(
            run_task_through(runner_for),
            self.stage_model(llm, "draft"),
            entity_id=usage.partition or "",
        )

    def writer_model(self, llm: LLMResource, embedder: EmbedderResource) -> tuple[str, str]:
        """(provider, model) written into the stage log."""
        provider = llm.resolved_provider()
        if provider == "local":
            return provider, embedder.model
        if provider == "none":
            return provider, ""
        return provider, self.stage_model(llm, "draft")
