"""From fetched bytes to a page's title and main text.

Decoding follows the browser's order: the charset in Content-Type, then a `<meta charset>` /
`http-equiv` in the first bytes, then charset-normalizer's guess, then UTF-8 with replacement,
so windows-1251 or latin-1 pages come out as readable text. trafilatura extracts the main
text (boilerplate, menus and footers dropped) and the title; a page too short for its main-text
heuristics falls back to its baseline extraction.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
import trafilatura

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str
    encoding: str


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return _codec(value)
    return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding used)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", "replace"), "utf-8"
    encoding = charset_from_content_type(content_type)
    if encoding is None:
        match = _META_CHARSET.search(body[:4096])
        encoding = _codec(match.group(1).decode("ascii", "ignore")) if match else None
    if encoding is None:
        try:
            body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = _guess_encoding(body[:65536])
    encoding = encoding or "utf-8"
    return body.decode(encoding, "replace"), encoding


def _guess_encoding(sample: bytes) -> str | None:
    """charset-normalizer's best guess; among equally good guesses windows-1252, the encoding
    HTML assumes for undeclared legacy pages (a short French page would otherwise read as
    cp1250, turning "très" into "trčs")."""
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return None
    least_chaos = min(match.chaos for match in matches)
    for match in matches:
        if match.chaos == least_chaos and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return _codec(matches[0].encoding)


def extract_page(body: bytes, content_type: str | None, url: str | None = None) -> ExtractedPage:
    html, encoding = decode_html(body, content_type)
    title: str | None = None
    text = ""
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True
    )
    if document is not None:
        title = getattr(document, "title", None)
        text = getattr(document, "text", None) or ""
    if not text.strip():
        _tree, text, _length = trafilatura.baseline(html)
    if not title:
        match = _TITLE.search(html)
        title = re.sub(r"\s+", " ", match.group(1)).strip() if match else None
    return ExtractedPage(title=title or None, text=text.strip()[:MAX_TEXT_CHARS], encoding=encoding)
