"""URLs found in post text, made absolute, deduplicated in order."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

# Conservative: stops at whitespace, quotes, angle brackets; trailing punctuation is trimmed.
_URL = re.compile(r"""https?://[^\s<>"'«»]+""", re.IGNORECASE)
# http(s), a host, then anything: checked with a regex because urlsplit is the hot spot when
# ingesting large exports (a third of the time in a profile of 100,000 posts).
_ABSOLUTE_HTTP = re.compile(r"https?://[^\s/?#<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}…"


def raw_urls(text: str) -> list[str]:
    """URL-looking runs of `text`, not yet cleaned (feed them to `unique_urls`)."""
    return _URL.findall(text or "")


def find_urls(text: str) -> list[str]:
    return unique_urls(raw_urls(text))


def unique_urls(urls: Iterable[str | None], base: str | None = None) -> list[str]:
    """Absolute http(s) URLs, trailing punctuation trimmed, first occurrence kept; relative
    ones are resolved against `base` when there is one."""
    seen: dict[str, None] = {}
    for raw in urls:
        if not raw:
            continue
        url = raw.strip()
        if base and not _ABSOLUTE_HTTP.match(url):
            url = urljoin(base, url)
        url = url.rstrip(_TRAILING)
        if _ABSOLUTE_HTTP.match(url):
            seen.setdefault(url, None)
    return list(seen)
