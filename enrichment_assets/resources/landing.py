"""`landing`: the folder users drop Telegram exports, feeds and JSONL files into."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field

from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import PostsSettings


class LandingResource(SettingsResource):
    """Where post files land (`LANDING_DIR`) and the first day posts are kept from
    (`POSTS_START_DATE`); older posts are counted and reported, never stored."""

    settings_groups = (PostsSettings,)

    path: str | None = Field(default=None, description="unset means LANDING_DIR, else data/landing")
    start_date: str | None = Field(
        default=None, description="YYYY-MM-DD; unset means POSTS_START_DATE, else 2020-01-01"
    )

    def directory(self) -> Path:
        return Path(field_or_setting(self.path, self.settings(PostsSettings).landing_dir))

    def first_day(self) -> date:
        chosen = None if self.start_date is None else date.fromisoformat(self.start_date)
        return field_or_setting(chosen, self.settings(PostsSettings).posts_start_date)
