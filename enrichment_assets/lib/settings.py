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


# --- Dataset catalog (Hugging Face, Kaggle, Meta Kaggle) ---------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_KAGGLE_API_ENDPOINT = "https://api.kaggle.com"


def hf_endpoint() -> str | None:
    """HF_ENDPOINT, or None when unset (the catalog then reads the bundled sample)."""
    return env("HF_ENDPOINT")


def hf_token() -> str | None:
    return env("HF_TOKEN")


def kaggle_api_endpoint() -> str | None:
    """KAGGLE_API_ENDPOINT, or None when unset."""
    return env("KAGGLE_API_ENDPOINT")


def kaggle_username() -> str | None:
    return env("KAGGLE_USERNAME")


def kaggle_key() -> str | None:
    return env("KAGGLE_KEY")


def meta_kaggle_dir() -> Path:
    """Where Datasets.csv and DatasetVersions.csv are; the bundled sample pair by default."""
    return Path(env("META_KAGGLE_DIR", str(SAMPLE_DIR / "meta_kaggle")))
