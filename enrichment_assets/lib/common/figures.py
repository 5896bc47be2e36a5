"""The numbers a text states, as comparable values.

`figures()` is what near-duplicate grouping compares (moved here unchanged from
`lib/embeddings/similarity.py`, which still exports it). `quantities()` is the wider reading the
article gates need: "80,000", "80 000", "80k" and "80 thousand" are all 80000, "3,75%" is 3.75,
"1.2 million" is 1200000; each quantity keeps where it stands, so a caller can read the words
around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NOT_FIGURES = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+")  # links, mentions, hashtags
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def figures(text: str | None) -> frozenset[str]:
    """The numbers a text states ("80,000" and "80000" alike; "1,5" as "1.5"), links aside."""
    found = set()
    for figure in _FIGURE.findall(_NOT_FIGURES.sub(" ", text or "")):
        if _THOUSANDS.fullmatch(figure):
            figure = figure.replace(",", "")
        found.add(figure.replace(",", "."))
    return frozenset(found)


# A number: thousands grouped by commas, spaces or (narrow) no-break spaces ("80,000", "80 000"),
# or digits with one decimal part ("3.75", "3,75"; a dot is always decimal, so "80.000" is 80);
# then an optional multiplier ("80k", "1.2 million", "3bn"; a lone "k" or "m" only when it touches
# the digits, so "5 m" stays five metres) and an optional percent sign. Not preceded by a letter,
# digit, dot or comma (no "A4", no second half of "1,2,3").
_QUANTITY = re.compile(
    r"(?<![\w.,])"
    r"(?P<number>\d{1,3}(?:(?P<sep>[,\u00a0\u202f ])\d{3})(?:(?P=sep)\d{3})*(?![\d])"
    r"|\d+(?:[.,]\d+)?)"
    r"(?:(?P<scale>[kKmM])\b|\s?(?P<word>thousand|million|mn|billion|bn)\b)?"
    r"(?P<percent>\s?%|\s?per\s?cent\b|\s?percent\b)?",
)
_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}


@dataclass(frozen=True)
class Quantity:
    """One number a text states: its value, whether it is a percentage, and where it stands."""

    value: Decimal
    percent: bool
    start: int
    end: int

    @property
    def key(self) -> str:
        """The value as a plain string ("120000", "3.75"): equal values, equal keys."""
        return canonical(self.value)


def canonical(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 1.20E+5 -> "120000", 3.750 -> "3.75"."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _value(number: str, separator: str | None) -> Decimal:
    if separator:  # grouped thousands, whatever the separator
        return Decimal(re.sub(r"\D", "", number))
    return Decimal(number.replace(",", "."))


def quantities(text: str | None) -> list[Quantity]:
    """Every number `text` states, links, mentions and hashtags aside, in reading order."""
    masked = _NOT_FIGURES.sub(lambda match: " " * len(match.group()), text or "")
    found = []
    for match in _QUANTITY.finditer(masked):
        try:
            value = _value(match.group("number"), match.group("sep"))
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            continue
        scale = match.group("scale") or match.group("word")
        if scale:
            value *= _SCALES[scale.lower()]
        found.append(Quantity(value, bool(match.group("percent")), match.start(), match.end()))
    return found


def quantity_keys(text: str | None) -> frozenset[str]:
    """The values of `quantities(text)` as comparable strings."""
    return frozenset(quantity.key for quantity in quantities(text))
