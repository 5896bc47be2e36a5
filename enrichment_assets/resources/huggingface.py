"""`hf`: the Hugging Face Hub catalog, real or the bundled sample."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from enrichment_assets import settings
from enrichment_assets.lib.datasets.huggingface import HfCatalog, HubCatalog, HubSampleCatalog


class HuggingFaceResource(dg.ConfigurableResource):
    """Datasets on the Hub, newest first, through huggingface_hub's `HfApi`.

    Real client when an endpoint or a token is configured (`HF_ENDPOINT`, `HF_TOKEN`; a token
    alone talks to https://huggingface.co); otherwise the offline twin reading the bundled
    listing `data/sample/huggingface/datasets.json`, so the embedded default fills the catalog
    with nothing set."""

    endpoint: str | None = Field(default=None, description="unset means HF_ENDPOINT")
    token: str | None = Field(default=None, description="unset means HF_TOKEN")
    sample_path: str | None = Field(
        default=None, description="offline listing; unset means the bundled sample"
    )

    def _endpoint(self) -> str | None:
        return self.endpoint or settings.hf_endpoint()

    def _token(self) -> str | None:
        return self.token or settings.hf_token()

    def is_offline(self) -> bool:
        return not (self._endpoint() or self._token())

    def catalog(self) -> HfCatalog:
        if self.is_offline():
            path = Path(self.sample_path or settings.SAMPLE_DIR / "huggingface" / "datasets.json")
            return HubSampleCatalog(path)
        return HubCatalog(self._endpoint() or settings.DEFAULT_HF_ENDPOINT, self._token())

    def describe(self) -> str:
        """Where the catalog comes from, safe for metadata (never the token)."""
        if self.is_offline():
            return "bundled sample (offline)"
        return self._endpoint() or settings.DEFAULT_HF_ENDPOINT
