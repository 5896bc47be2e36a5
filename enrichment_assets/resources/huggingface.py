"""`hf`: the Hugging Face Hub catalog, real or the bundled sample."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from enrichment_assets.lib.datasets.huggingface import HfCatalog, HubCatalog, HubSampleCatalog
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import DEFAULT_HF_ENDPOINT, SAMPLE_DIR, DatasetsSettings


class HuggingFaceResource(SettingsResource):
    """Datasets on the Hub, newest first, through huggingface_hub's `HfApi`.

    Real client when an endpoint or a token is configured (`HF_ENDPOINT`, `HF_TOKEN`; a token
    alone talks to https://huggingface.co); otherwise the offline twin reading the bundled
    listing `data/sample/huggingface/datasets.json`, so the embedded default fills the catalog
    with nothing set."""

    settings_groups = (DatasetsSettings,)

    endpoint: str | None = Field(default=None, description="unset means HF_ENDPOINT")
    token: str | None = Field(default=None, description="unset means HF_TOKEN")
    sample_path: str | None = Field(
        default=None, description="offline listing; unset means the bundled sample"
    )

    def _endpoint(self) -> str | None:
        return field_or_setting(self.endpoint, self.settings(DatasetsSettings).hf_endpoint)

    def _token(self) -> str | None:
        secret = self.settings(DatasetsSettings).hf_token
        return field_or_setting(self.token, secret.get_secret_value() if secret else None)

    def is_offline(self) -> bool:
        return not (self._endpoint() or self._token())

    def catalog(self) -> HfCatalog:
        if self.is_offline():
            sample = SAMPLE_DIR / "huggingface" / "datasets.json"
            return HubSampleCatalog(Path(field_or_setting(self.sample_path, sample)))
        return HubCatalog(self._endpoint() or DEFAULT_HF_ENDPOINT, self._token())

    def describe(self) -> str:
        """Where the catalog comes from, safe for metadata (never the token)."""
        if self.is_offline():
            return "bundled sample (offline)"
        return self._endpoint() or DEFAULT_HF_ENDPOINT
