"""Reading an article's markdown as prose: the body without its source list, citations, quotes,
sentences and words. Every gate reads the article through these, so they agree on what a word,
a sentence and a quotation are."""

from __future__ import annotations

import re

# `[n]`, `[1, 3]`; `[2][4]` is two of them. Not a markdown link `[1](url)`, not a footnote `[^1]`.
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\](?!\()")
# A trailing list of sources ("## Sources", "References:") is not the article's text.
_SOURCE_LIST = re.compile(r"^\s*(?:#{1,6}\s*)?(?:sources|references)\s*:?\s*$", re.I | re.M)
_HEADING = re.compile(r"^\s*#{1,6}\s+(.*)$", re.M)
_LIST_MARK = re.compile(r"^\s*(?:[-*+>]|\d+[.)])\s+", re.M)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
# Straight double quotes pair up; curly ones open and close. Single quotes are apostrophes too
# ("channel’s"), so they never mark a quotation.
QUOTE_SPAN = re.compile(r"\"[^\"]*\"|“[^”]*”")
_WORD = re.compile(r"[^\W_]+(?:[’'.,\-][^\W_]+)*")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "no", "vs", "e.g", "i.e", "u.s", "u.k", "jan"}
_ABBREVIATIONS |= {"feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
# A sentence ends at . ! ? (and a closing quote or bracket), after which its citations may
# follow, then space and the next sentence.
_BOUNDARY = re.compile(r"[.!?]+[\"”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\](?!\())*(?=\s+|$)")


def body(markdown: str) -> str:
    """The article without a trailing "Sources" / "References" section."""
    match = _SOURCE_LIST.search(markdown or "")
    return markdown[: match.start()] if match else (markdown or "")


def plain(markdown: str, headings: bool = True) -> str:
    """The body as prose: list marks, links and emphasis dropped; headings end as sentences, or
    are dropped with `headings=False` (a heading states no claim)."""
    text = _HEADING.sub(
        (lambda m: m.group(1).rstrip(".!?:") + ".") if headings else "", body(markdown)
    )
    text = _LIST_MARK.sub("", text)
    text = _LINK.sub(r"\1", text)
    return _EMPHASIS.sub(r"\2", text)


def cited(text: str) -> list[int]:
    """The citation numbers in `text`, in reading order, repeats kept."""
    return [int(n) for group in CITATION.findall(text or "") for n in group.split(",")]


def strip_citations(text: str) -> str:
    text = _SPACES.sub(" ", CITATION.sub(" ", text or "")).strip()
    return _SPACE_BEFORE_STOP.sub(r"\1", text)


def unquoted(text: str) -> list[str]:
    """The stretches of `text` outside quotation marks (a quotation ends a stretch)."""
    return QUOTE_SPAN.split(text or "")


def words(text: str) -> list[str]:
    """The words of `text`, lowercased, punctuation and citations aside ("80,000" is one word)."""
    return [word.lower().replace("’", "'") for word in _WORD.findall(CITATION.sub(" ", text))]


def _inside_quote(text: str, position: int) -> bool:
    before = text[:position]
    return before.count('"') % 2 == 1 or before.count("“") > before.count("”")


def sentences(text: str) -> list[str]:
    """`text` cut into sentences, each keeping the citations that follow its final stop. A stop
    inside a quotation, after a known abbreviation or a single initial does not end a sentence."""
    found, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        last = text[start : match.start()].rsplit(None, 1)
        word = last[-1].lower().strip('("“') if last else ""
        if match.group().startswith(".") and (word in _ABBREVIATIONS or len(word) == 1):
            continue
        if _inside_quote(text, end) or not text[start:end].strip():
            continue
        found.append(text[start:end].strip())
        start = end
    if text[start:].strip():
        found.append(text[start:].strip())
    return found
