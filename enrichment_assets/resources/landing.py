"""`landing`: the folder users drop Telegram exports, feeds and JSONL files into."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from enrichment_assets import settings


class LandingResource(dg.ConfigurableResource):
    """Where post files land (`LANDING_DIR`) and the first day posts are kept from
    (`POSTS_START_DATE`); older posts are counted and reported, never stored."""

    path: str | None = Field(default=None, description="unset means LANDING_DIR, else data/landing")
    start_date: str | None = Field(
        default=None, description="YYYY-MM-DD; unset means POSTS_START_DATE, else 2020-01-01"
    )

    def directory(self) -> Path:
        return Path(self.path) if self.path else settings.landing_dir()

    def first_day(self) -> date:
        return (
            date.fromisoformat(self.start_date) if self.start_date else settings.posts_start_date()
        )
