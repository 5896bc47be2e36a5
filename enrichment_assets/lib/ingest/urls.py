"""URLs found in post text, made absolute, deduplicated in order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

# Conservative: stops at whitespace, quotes, angle brackets; trailing punctuation is trimmed.
_URL = re.compile(r"""https?://[^\s<>"'«»]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}…"


def _clean(url: str) -> str | None:
    url = url.strip().rstrip(_TRAILING)
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return url


def find_urls(text: str) -> list[str]:
    return unique_urls(match.group(0) for match in _URL.finditer(text or ""))


def unique_urls(urls: Iterable[str | None], base: str | None = None) -> list[str]:
    seen: dict[str, None] = {}
    for raw in urls:
        if not raw:
            continue
        candidate = urljoin(base, raw.strip()) if base else raw
        cleaned = _clean(candidate)
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)
