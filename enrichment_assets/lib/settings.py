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


DEFAULT_EMBEDDING_BATCH_SIZE = 32
DEFAULT_EMBEDDING_DEVICE = "cpu"


def embedding_batch_size() -> int:
    raw = env("EMBEDDING_BATCH_SIZE", str(DEFAULT_EMBEDDING_BATCH_SIZE))
    try:
        value = int(raw)
    except ValueError as error:
        raise ValueError(f"EMBEDDING_BATCH_SIZE must be a positive integer, got {raw!r}") from error
    if value < 1:
        raise ValueError(f"EMBEDDING_BATCH_SIZE must be a positive integer, got {raw!r}")
    return value


def embedding_device() -> str:
    """`cpu`, `cuda`, `cuda:1`, `mps`…: anything torch accepts."""
    return env("EMBEDDING_DEVICE", DEFAULT_EMBEDDING_DEVICE)
