"""Bias and balance: loaded language and sentiment skew in the article's own words, and how its
cited sources spread over channels."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets.lib.articles.text import plain, sentences, strip_citations, words

BIAS = "bias"
PERSPECTIVE_BALANCE = "perspective_balance"
BIAS_THRESHOLD = 20.0  # legacy: a bias score under 20 passes
MAX_CHANNEL_SHARE = 0.6
MIN_CHANNELS = 2


def _words(text: str) -> list[str]:
    return text.split()


# Words and phrases that judge rather than report: a news article states what happened and lets
# the reader judge. Matched as whole words, case aside; "-" and spaces are literal. Words that also
# report plainly ("destroyed", "lies", "hero") are left out: a false alarm blocks an honest article.
LOADED = frozenset(
    _words(
        """
        slammed slams blasted blasts lashed outrageous outrage shocking disgraceful disastrous
        catastrophic radical extremist extremists regime so-called puppet thugs propaganda
        brainwashed corrupt liar villain evil cowardly shameful shameless pathetic ridiculous
        absurd notorious infamous draconian reckless ruthless brutal fanatic fanatics hysteria
        hysterical scandalous humiliated
        """
    )
) | frozenset({"witch hunt", "fake news", "hard-line", "hardline"})
# score = LEXICON_WEIGHT x loaded words per 100 words + SENTIMENT_WEIGHT x |mean compound|:
# two loaded words in a hundred reach the threshold alone; so does a text whose every sentence
# scores ~-1 on VADER; a factual report of a disaster (mean compound about -0.3) scores ~6.
LEXICON_WEIGHT = 10.0
SENTIMENT_WEIGHT = 20.0
_PHRASES = sorted((p for p in LOADED if " " in p), key=len, reverse=True)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def loaded_terms(text: str) -> list[str]:
    """The loaded words and phrases of `text`, in reading order, repeats kept."""
    lowered = " ".join(words(text))
    found = []
    for phrase in _PHRASES:
        found += [phrase] * len(re.findall(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", lowered))
    found += [word for word in lowered.split() if word in LOADED]
    return found


def bias_parts(text: str) -> tuple[int, float, float]:
    """(words, loaded terms per 100 words, mean VADER compound over sentences) of `text`."""
    prose = plain(text)
    count = len(words(prose))
    if not count:
        return 0, 0.0, 0.0
    per_100 = 100.0 * len(loaded_terms(prose)) / count
    scores = [_analyzer().polarity_scores(strip_citations(s))["compound"] for s in sentences(prose)]
    return count, per_100, (sum(scores) / len(scores) if scores else 0.0)


def bias_score(text: str) -> float:
    """0-100: loaded language per 100 words, plus how far the sentiment leans either way."""
    _, per_100, compound = bias_parts(text)
    return round(min(100.0, LEXICON_WEIGHT * per_100 + SENTIMENT_WEIGHT * abs(compound)), 1)


def bias(text: str, threshold: float = BIAS_THRESHOLD) -> GateResult:
    """Passes when `bias_score` is below `threshold`; a text without words has no score."""
    count, per_100, compound = bias_parts(text)
    if not count:
        return GateResult.no_score(BIAS, threshold, "the article has no words")
    score = bias_score(text)
    terms = sorted(set(loaded_terms(plain(text))))
    reason = (
        f"score {score}: {per_100:.1f} loaded terms per 100 words"
        + (f" ({', '.join(terms[:5])})" if terms else "")
        + f", mean sentiment {compound:+.2f}"
    )
    return GateResult(BIAS, score < threshold, score, threshold, reason)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def perspective_balance(
    channels: Sequence[str],
    max_share: float = MAX_CHANNEL_SHARE,
    min_channels: int = MIN_CHANNELS,
) -> GateResult:
    """`channels`: the channel of each cited source, one entry per source. Passes with at least
    `min_channels` channels and none holding more than `max_share` of the cited sources. The
    score is the largest channel's share."""
    if not channels:
        return GateResult.no_score(PERSPECTIVE_BALANCE, max_share, "no source cited")
    counts = Counter(channels)
    top, most = counts.most_common(1)[0]
    share = most / len(channels)
    reason = f"{_count(len(channels), 'source')} from {_count(len(counts), 'channel')}"
    problems = []
    if len(counts) < min_channels:
        problems.append(f"fewer than {min_channels} channels")
    if share > max_share:
        problems.append(f"{top} holds {share:.0%} (> {max_share:.0%})")
    if problems:
        reason += ": " + "; ".join(problems)
    return GateResult(PERSPECTIVE_BALANCE, not problems, round(share, 3), max_share, reason)
