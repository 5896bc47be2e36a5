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
