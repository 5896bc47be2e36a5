"""`kaggle`: the Kaggle API and the Meta Kaggle dump, real or the bundled sample."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from enrichment_assets.lib.datasets.kaggle_api import (
    KaggleCatalog,
    KaggleHttpCatalog,
    KaggleSampleCatalog,
)
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import DEFAULT_KAGGLE_API_ENDPOINT, SAMPLE_DIR, DatasetsSettings


class KaggleCredentialsError(ValueError):
    pass


class KaggleResource(SettingsResource):
    """The Kaggle API (list by update time, one dataset's details) and the Meta Kaggle folder.

    Real client when `KAGGLE_API_ENDPOINT` or credentials (`KAGGLE_USERNAME` + `KAGGLE_KEY`) are
    set (credentials alone talk to https://api.kaggle.com); otherwise the offline twin reading
    `data/sample/kaggle/datasets.json`. Credentials come only from these settings: no
    `~/.kaggle/kaggle.json` is ever read. `META_KAGGLE_DIR` defaults to the bundled sample pair."""

    settings_groups = (DatasetsSettings,)

    api_endpoint: str | None = Field(default=None, description="unset means KAGGLE_API_ENDPOINT")
    username: str | None = Field(default=None, description="unset means KAGGLE_USERNAME")
    key: str | None = Field(default=None, description="unset means KAGGLE_KEY")
    meta_kaggle_dir: str | None = Field(default=None, description="unset means META_KAGGLE_DIR")
    sample_path: str | None = Field(
        default=None, description="offline API answers; unset means the bundled sample"
    )
    page_size: int = Field(default=20, description="datasets per list page")

    def _endpoint(self) -> str | None:
        setting = self.settings(DatasetsSettings).kaggle_api_endpoint
        return field_or_setting(self.api_endpoint, setting)

    def _credentials(self) -> tuple[str | None, str | None]:
        datasets = self.settings(DatasetsSettings)
        username = field_or_setting(self.username, datasets.kaggle_username)
        secret = datasets.kaggle_key
        key = field_or_setting(self.key, secret.get_secret_value() if secret else None)
        if bool(username) != bool(key):
            missing = "KAGGLE_KEY" if username else "KAGGLE_USERNAME"
            raise KaggleCredentialsError(f"{missing} is not set (the other half is)")
        return username, key

    def is_offline(self) -> bool:
        username, _key = self._credentials()
        return not (self._endpoint() or username)

    def catalog(self) -> KaggleCatalog:
        if self.is_offline():
            sample = SAMPLE_DIR / "kaggle" / "datasets.json"
            path = Path(field_or_setting(self.sample_path, sample))
            return KaggleSampleCatalog(path, page_size=self.page_size)
        username, key = self._credentials()
        return KaggleHttpCatalog(
            self._endpoint() or DEFAULT_KAGGLE_API_ENDPOINT,
            username,
            key,
            page_size=self.page_size,
        )

    def meta_kaggle_path(self) -> Path:
        setting = self.settings(DatasetsSettings).meta_kaggle_dir
        return Path(field_or_setting(self.meta_kaggle_dir, setting))

    def describe(self) -> str:
        """Where the API answers come from, safe for metadata (never the key)."""
        if self.is_offline():
            return "bundled sample (offline)"
        return self._endpoint() or DEFAULT_KAGGLE_API_ENDPOINT
