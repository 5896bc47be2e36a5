"""The only place resource keys are bound."""

import dagster as dg

from enrichment_assets.resources.alerts import AlertsResource
from enrichment_assets.resources.articles import ArticlesResource
from enrichment_assets.resources.code_graph import CodeGraphResource
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.resources.http import HttpResource
from enrichment_assets.resources.huggingface import HuggingFaceResource
from enrichment_assets.resources.kaggle import KaggleResource
from enrichment_assets.resources.landing import LandingResource
from enrichment_assets.resources.llm import LLMResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "db": DatabaseResource(),
            "landing": LandingResource(),
            "http": HttpResource(),
            "llm": LLMResource(),
            "hf": HuggingFaceResource(),
            "kaggle": KaggleResource(),
            "embedder": EmbedderResource(),
            "alerts": AlertsResource(),
            "articles": ArticlesResource(),
            "code_graph_settings": CodeGraphResource(),
        }
    )
