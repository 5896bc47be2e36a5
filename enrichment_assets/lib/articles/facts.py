"""The facts a sentence states: its numbers, dates and names, normalised so a claim and a source
that state the same fact in different spellings compare equal.

- numbers: `lib/common/figures.py`'s `quantities()` ("80,000", "80 000", "80k" all "80000";
  "3,75%" is "3.75"); the digits of a date or a citation are not numbers.
- dates: ISO ("2024-05-12"), "12 May 2024", "May 12, 2024", "12 May", "May 12" (months in full
  or abbreviated); a date without a year is "--05-12" and matches any year's 12 May.
- names: two or more capitalised words in a row ("Red Cross", "Port of Odesa"), lowercased; a
  span that opens a sentence (or a quotation) loses its first word, which is capitalised anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from enrichment_assets.lib.articles.text import CITATION
from enrichment_assets.lib.common.figures import quantities

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_DATES = [
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
    re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}\b{_YEAR}", re.I),
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b{_YEAR}", re.I),
]
_CONNECTOR = r"(?:of|the|de|du|la|al|bin|van|von|der)"
_CAPITAL = r"[A-Z][\w’'\-]*"
_NAME = re.compile(rf"\b{_CAPITAL}(?:\s+(?:{_CONNECTOR}\s+)*{_CAPITAL})+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“(]\s*)$")
_WORD = re.compile(r"[A-Za-z%]+")
_STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        "a an the of in on at to by for from with and or as is are was were be been has have had "
        "that this these those it its their there some about around nearly almost over under than "
        "more less least up down into out per",
    )
)


@dataclass(frozen=True)
class Facts:
    numbers: frozenset[str]
    dates: frozenset[str]
    names: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.numbers or self.dates or self.names)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def _dates(text: str) -> tuple[frozenset[str], str]:
    """The dates in `text`, and `text` with them blanked out (their digits are not numbers)."""
    found = set()
    for pattern in _DATES:
        for match in pattern.finditer(text):
            month = match.group("month")
            month_number = int(month) if month.isdigit() else _MONTHS[month.lower().rstrip(".")]
            day = int(match.group("day"))
            if not (1 <= month_number <= 12 and 1 <= day <= 31):
                continue
            year = match.group("year") or "-"
            found.add(f"{year}-{month_number:02d}-{day:02d}")
            text = _blank(text, match.start(), match.end())
    return frozenset(found), text


def normalize_name(name: str) -> str:
    return " ".join(name.replace("’", "'").lower().split())


def _names(text: str) -> frozenset[str]:
    found = set()
    for match in _NAME.finditer(text):
        parts = match.group().split()
        if _SENTENCE_START.search(text[: match.start()]):
            parts = parts[1:]
            while parts and re.fullmatch(_CONNECTOR, parts[0]):
                parts = parts[1:]
        if len(parts) >= 2 and not re.fullmatch(_CONNECTOR, parts[-1]):
            found.add(normalize_name(" ".join(parts)))
    return frozenset(found)


def _masked(text: str) -> tuple[frozenset[str], str]:
    """Dates, and the text with its citations and dates blanked out."""
    text = CITATION.sub(lambda match: " " * len(match.group()), text or "")
    return _dates(text)


def facts(text: str) -> Facts:
    """The numbers, dates and names `text` states, normalised."""
    dates, rest = _masked(text)
    numbers = frozenset(quantity.key for quantity in quantities(rest))
    return Facts(numbers, dates, _names(rest))


def _stem(word: str) -> str:
    word = word.lower()
    if word == "%" or word in ("percent", "cent"):
        return "%"
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def numbers_in_context(text: str, width: int = 2) -> list[tuple[str, frozenset[str]]]:
    """Each number with the words that say what it counts: "%" for a percentage, and the first
    `width` words after it that are not stopwords ("120,000 people were displaced" -> people,
    displaced). Two numbers that share a context word speak of the same thing."""
    _, rest = _masked(text)
    found = []
    for quantity in quantities(rest):
        context = {"%"} if quantity.percent else set()
        following = [w for w in _WORD.findall(rest[quantity.end :]) if w.lower() not in _STOPWORDS]
        context.update(_stem(word) for word in following[:width])
        found.append((quantity.key, frozenset(context)))
    return found


def date_supported(date: str, source_dates: frozenset[str]) -> bool:
    """A dated claim needs the same date in the source; a claim without a year, the same day."""
    if date in source_dates:
        return True
    return date.startswith("--") and any(found.endswith(date[1:]) for found in source_dates)


def name_in(name: str, normalized_source: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", normalized_source) is not None
