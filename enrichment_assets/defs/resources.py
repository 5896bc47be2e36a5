"""The only place resource keys are bound."""

import dagster as dg

from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.resources.landing import LandingResource


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "db": DatabaseResource(),
            "landing": LandingResource(),
            "embedder": EmbedderResource(),
        }
    )
