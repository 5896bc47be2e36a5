"""Every environment variable the project reads, with its default, in one place.

Values are read when a function is called (inside a run or a sensor tick), never at import
time, so definitions load with nothing set and tests can change the environment freely.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///.data/enrichment.db"
DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_POSTS_START_DATE = "2020-01-01"


def env(name: str, default: str | None = None) -> str | None:
    """An environment variable, with empty strings treated as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


def database_url() -> str:
    return env("DATABASE_URL", DEFAULT_DATABASE_URL)


def landing_dir() -> Path:
    return Path(env("LANDING_DIR", DEFAULT_LANDING_DIR))


def posts_start_date() -> date:
    raw = env("POSTS_START_DATE", DEFAULT_POSTS_START_DATE)
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise ValueError(f"POSTS_START_DATE must be YYYY-MM-DD, got {raw!r}") from error
