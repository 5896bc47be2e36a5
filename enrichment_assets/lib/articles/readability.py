"""Readability: the Flesch reading ease of the article's prose.

    206.835 - 1.015 x (words / sentences) - 84.6 x (syllables / words)

Not textstat: its 0.7.13 counts syllables with NLTK's CMU dictionary, which it downloads on first
use, and the gates must run offline. Syllables here come from a documented heuristic instead:
groups of vowels (y counts as one), less a silent final "e" (but not "-le" after a consonant),
less "-ed" after anything but t or d, at least one per word; digits count one per group. On
ordinary English prose it lands within a few points of dictionary counts.
"""

from __future__ import annotations

import re

from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets.lib.articles.text import plain, sentences, strip_citations, words

READABILITY = "readability"
READABILITY_THRESHOLD = 60.0  # Flesch reading ease: 60-70 is plain English
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """The syllables of one word, by the heuristic above."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 1
    count = len(_VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not re.search(r"[^aeiouy]le$", word) and count > 1:
        count -= 1
    if re.search(r"[^aeiouytd]ed$", word) and count > 1:
        count -= 1
    return max(count, 1)


def flesch_reading_ease(text: str) -> float | None:
    """Flesch reading ease of `text` (markdown, citations aside), or None without words."""
    prose = plain(text)
    found = [strip_citations(s) for s in sentences(prose)]
    counted = [w for s in found for w in words(s)]
    sentence_count = sum(1 for s in found if words(s))
    if not counted or not sentence_count:
        return None
    total = sum(syllables(word) for word in counted)
    return round(206.835 - 1.015 * len(counted) / sentence_count - 84.6 * total / len(counted), 1)


def readability(text: str, threshold: float = READABILITY_THRESHOLD) -> GateResult:
    """Passes at a Flesch reading ease of `threshold` or more."""
    score = flesch_reading_ease(text)
    if score is None:
        return GateResult.no_score(READABILITY, threshold, "the article has no words")
    verdict = "at least" if score >= threshold else "below"
    reason = f"Flesch reading ease {score}, {verdict} {threshold:g}"
    return GateResult(READABILITY, score >= threshold, score, threshold, reason)
