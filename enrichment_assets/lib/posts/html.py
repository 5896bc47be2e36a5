"""HTML fragments (feed summaries, content:encoded) to plain text and links, with lxml."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "pre", "tr", "table", "section", "article", "figure"}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(markup: str | None) -> tuple[str, list[str]]:
    """Readable text (paragraphs kept as blank lines) and the hrefs of the fragment's links."""
    if not markup or not markup.strip():
        return "", []
    if "<" not in markup and "&" not in markup:
        return _tidy(markup), []
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(markup), []
    for element in root.iter("script", "style"):
        element.drop_tree()
    hrefs = [a.get("href") for a in root.iter("a") if a.get("href")]
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    return _tidy(root.text_content()), hrefs


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
