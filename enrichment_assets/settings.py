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


# --- LLM enrichment (issue 3) ---------------------------------------------------------------

DEFAULT_GROQ_MODEL = "llama-3.1-8b-instant"
DEFAULT_ENRICHMENT_RATE_LIMIT = 30  # requests/min: Groq's free-tier RPM for most chat models
DEFAULT_ENRICHMENT_TOKENS_PER_MINUTE = 6000  # Groq's free-tier TPM for llama-3.1-8b-instant
DEFAULT_LLM_MAX_CONCURRENCY = 8
DEFAULT_LLM_DAILY_BUDGET_USD = 5.0
DEFAULT_ENRICHMENT_ERROR_RATE_THRESHOLD = 0.1


def _number(name: str, default: float, cast: type = float, minimum: float = 0) -> float:
    raw = env(name)
    if raw is None:
        return cast(default)
    try:
        value = cast(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}") from error
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


# --- web: crawler, link janitor, cache -------------------------------------------------------
def http_allow_private_hosts() -> list[str]:
    """Hosts fetched even though they resolve to private/loopback addresses (tests only)."""
    raw = env("HTTP_ALLOW_PRIVATE_HOSTS", "") or ""
    return [host.strip() for host in raw.split(",") if host.strip()]


def http_user_agent() -> str | None:
    return env("HTTP_USER_AGENT")


def http_connect_timeout() -> float:
    return _number("HTTP_CONNECT_TIMEOUT", 3.0)


def http_read_timeout() -> float:
    return _number("HTTP_READ_TIMEOUT", 10.0)


def http_max_bytes() -> int:
    return _number("HTTP_MAX_BYTES", 5_000_000, int, 1)


def http_max_concurrency() -> int:
    return _number("HTTP_MAX_CONCURRENCY", 64, int, 1)


def http_per_host_concurrency() -> int:
    return _number("HTTP_PER_HOST_CONCURRENCY", 4, int, 1)


def http_per_host_interval() -> float:
    return _number("HTTP_PER_HOST_INTERVAL", 0.2)


def http_cache_ttl_seconds() -> float:
    return _number("HTTP_CACHE_TTL_SECONDS", 86_400.0)


def crawl_max_links_per_post() -> int:
    return _number("CRAWL_MAX_LINKS_PER_POST", 3, int, 1)


def link_strikes_to_break() -> int:
    return _number("LINK_STRIKES_TO_BREAK", 3, int, 1)


def link_check_limit() -> int:
    return _number("LINK_CHECK_LIMIT", 5000, int, 1)


def link_broken_jump_min() -> int:
    return _number("LINK_BROKEN_JUMP_MIN", 10, int, 1)


def groq_api_key() -> str | None:
    return env("GROQ_API_KEY")


def groq_base_url() -> str | None:
    """None means the SDK default (https://api.groq.com); the SDK appends /openai/v1/…"""
    return env("GROQ_BASE_URL")


def groq_model() -> str:
    return env("GROQ_MODEL", DEFAULT_GROQ_MODEL)


def llm_provider() -> str:
    """`groq`, `local` or `none`; default `groq` when GROQ_API_KEY is set, else `local`."""
    value = (env("LLM_PROVIDER") or ("groq" if groq_api_key() else "local")).lower()
    if value not in {"groq", "local", "none"}:
        raise ValueError(f"LLM_PROVIDER must be groq, local or none, got {value!r}")
    return value


def enrichment_rate_limit() -> float:
    """Requests per minute, shared by every run and process."""
    return _number("ENRICHMENT_RATE_LIMIT", DEFAULT_ENRICHMENT_RATE_LIMIT)


def enrichment_tokens_per_minute() -> float:
    """Tokens per minute, shared by every run and process (0 = no token limit)."""
    return _number("ENRICHMENT_TOKENS_PER_MINUTE", DEFAULT_ENRICHMENT_TOKENS_PER_MINUTE)


def llm_max_concurrency() -> int:
    return max(1, _number("LLM_MAX_CONCURRENCY", DEFAULT_LLM_MAX_CONCURRENCY, int))


def llm_daily_budget_usd() -> float:
    """Estimated spend per UTC day across all runs; 0 = no cap."""
    return _number("LLM_DAILY_BUDGET_USD", DEFAULT_LLM_DAILY_BUDGET_USD)


def llm_prices() -> str | None:
    """Optional JSON price table overriding the built-in one (USD per million tokens)."""
    return env("LLM_PRICES")


def enrichment_error_rate_threshold() -> float:
    return _number("ENRICHMENT_ERROR_RATE_THRESHOLD", DEFAULT_ENRICHMENT_ERROR_RATE_THRESHOLD)


# --- Dataset catalog (Hugging Face, Kaggle, Meta Kaggle) ---------------------------------------

PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
