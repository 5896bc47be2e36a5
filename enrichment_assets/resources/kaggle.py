"""`kaggle`: the Kaggle API and the Meta Kaggle dump, real or the bundled sample."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from enrichment_assets import settings
from enrichment_assets.lib.datasets.kaggle_api import (
    KaggleCatalog,
    KaggleHttpCatalog,
    KaggleSampleCatalog,
)


class KaggleCredentialsError(ValueError):
    pass


class KaggleResource(dg.ConfigurableResource):
    """The Kaggle API (list by update time, one dataset's details) and the Meta Kaggle folder.

    Real client when `KAGGLE_API_ENDPOINT` or credentials (`KAGGLE_USERNAME` + `KAGGLE_KEY`) are
    set (credentials alone talk to https://api.kaggle.com); otherwise the offline twin reading
    `data/sample/kaggle/datasets.json`. Credentials come only from these settings: no
    `~/.kaggle/kaggle.json` is ever read. `META_KAGGLE_DIR` defaults to the bundled sample pair."""

    api_endpoint: str | None = Field(default=None, description="unset means KAGGLE_API_ENDPOINT")
    username: str | None = Field(default=None, description="unset means KAGGLE_USERNAME")
    key: str | None = Field(default=None, description="unset means KAGGLE_KEY")
    meta_kaggle_dir: str | None = Field(default=None, description="unset means META_KAGGLE_DIR")
    sample_path: str | None = Field(
        default=None, description="offline API answers; unset means the bundled sample"
    )
    page_size: int = Field(default=20, description="datasets per list page")

    def _endpoint(self) -> str | None:
        return self.api_endpoint or settings.kaggle_api_endpoint()

    def _credentials(self) -> tuple[str | None, str | None]:
        username = self.username or settings.kaggle_username()
        key = self.key or settings.kaggle_key()
        if bool(username) != bool(key):
            missing = "KAGGLE_KEY" if username else "KAGGLE_USERNAME"
            raise KaggleCredentialsError(f"{missing} is not set (the other half is)")
        return username, key

    def is_offline(self) -> bool:
        username, _key = self._credentials()
        return not (self._endpoint() or username)

    def catalog(self) -> KaggleCatalog:
        if self.is_offline():
            path = Path(self.sample_path or settings.SAMPLE_DIR / "kaggle" / "datasets.json")
            return KaggleSampleCatalog(path, page_size=self.page_size)
        username, key = self._credentials()
        return KaggleHttpCatalog(
            self._endpoint() or settings.DEFAULT_KAGGLE_API_ENDPOINT,
            username,
            key,
            page_size=self.page_size,
        )

    def meta_kaggle_path(self) -> Path:
        return Path(self.meta_kaggle_dir) if self.meta_kaggle_dir else settings.meta_kaggle_dir()

    def describe(self) -> str:
        """Where the API answers come from, safe for metadata (never the key)."""
        if self.is_offline():
            return "bundled sample (offline)"
        return self._endpoint() or settings.DEFAULT_KAGGLE_API_ENDPOINT
