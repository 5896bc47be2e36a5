"""Content hashes: the identity of a text, stable across channels, runs and machines."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFKC, whitespace collapsed, trimmed: the same story pasted twice hashes the same."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def content_hash(text: str) -> str:
    """SHA-256 of the normalised text, hex."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def stable_hash(*parts: object) -> str:
    """SHA-256 over several values, for keys built from more than one field."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """Compact, key order kept, non-ASCII as is: the text stored and hashed for a JSON value."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
