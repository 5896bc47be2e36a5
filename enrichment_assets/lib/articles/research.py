"""Research: choose the sources an article is written from, among posts and crawled pages.

A candidate's score is its cosine similarity to the topic plus a small bonus for the topic's
keywords it contains. Candidates below `min_similarity` (cosine alone: keywords rank, they do not
make an unrelated text relevant) are dropped; so are duplicates (the same text in several
channels, or two texts whose embeddings are near-identical): one copy is kept, the best-scoring,
and among copies that score alike the one from a channel with fewer sources so far. Then no
channel may hold more than `max_per_channel` sources, and the channels take turns: the best
source of every channel comes before the second best of any, so a channel that posts a lot
cannot crowd out the others. The chosen are numbered 1..k in that final order.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from enrichment_assets.lib.articles.records import Candidate, ChosenSource
from enrichment_assets.lib.articles.text import words

# Each distinct keyword found (case aside, as a whole word or phrase) adds this to the score, at
# most MAX_KEYWORD_BONUS in all: enough to reorder texts about equally close to the topic (cosines
# of one story's texts differ by a few hundredths), too little to lift an unrelated text.
KEYWORD_BONUS = 0.03
MAX_KEYWORD_BONUS = 0.09
# Two texts whose embeddings are this close say the same thing (a copy with a link or a
# signature added); paraphrases of one story by different channels score well below it.
DUPLICATE_COSINE = 0.97
# Copies whose scores differ by less than this score alike: the channel decides between them.
SCORE_TIE = 0.01
MIN_SOURCES = 3
MIN_CHANNELS = 2


def keyword_hits(text: str, keywords: Sequence[str]) -> int:
    """How many distinct keywords `text` contains as whole words, case aside."""
    found = 0
    for keyword in dict.fromkeys(k.strip().lower() for k in keywords if k.strip()):
        if re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", text, re.IGNORECASE):
            found += 1
    return found


def normalized_text(text: str) -> str:
    """`text` reduced to its words, lowercased: copies that differ in case, spacing or
    punctuation compare equal."""
    return " ".join(words(text))


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _duplicate_groups(
    order: list[int], candidates: Sequence[Candidate], vectors: np.ndarray
) -> list[list[int]]:
    """Candidates (indices, best score first) grouped by duplicates; each group keeps that order.
    A candidate joins the first group whose leader it duplicates."""
    groups: list[list[int]] = []
    keys: list[str] = []
    for index in order:
        key = normalized_text(candidates[index].text)
        for group, group_key in zip(groups, keys, strict=True):
            leader = group[0]
            if key == group_key or float(vectors[index] @ vectors[leader]) >= DUPLICATE_COSINE:
                group.append(index)
                break
        else:
            groups.append([index])
            keys.append(key)
    return groups


def _one_per_group(
    groups: list[list[int]], candidates: Sequence[Candidate], scores: np.ndarray
) -> list[int]:
    """The copy kept from each group: the best-scoring, or among copies that score alike the one
    whose channel has the fewest kept so far (then the earliest)."""
    kept: list[int] = []
    per_channel: Counter[str] = Counter()
    for group in groups:
        best = float(scores[group[0]])
        alike = [index for index in group if best - float(scores[index]) < SCORE_TIE]
        choice = min(alike, key=lambda index: per_channel[candidates[index].channel])
        kept.append(choice)
        per_channel[candidates[choice].channel] += 1
    return kept


def _take_turns(
    kept: list[int], candidates: Sequence[Candidate], scores: np.ndarray, max_per_channel: int
) -> list[int]:
    """Round r holds the r-th best source of every channel, best first; at most
    `max_per_channel` rounds."""
    by_channel: dict[str, list[int]] = {}
    for index in sorted(kept, key=lambda i: (-float(scores[i]), i)):
        by_channel.setdefault(candidates[index].channel, []).append(index)
    ranked: list[int] = []
    for turn in range(max_per_channel):
        round_ = [indices[turn] for indices in by_channel.values() if len(indices) > turn]
        ranked += sorted(round_, key=lambda i: (-float(scores[i]), i))
    return ranked


# How far below the best candidate's cosine a source may be (MiniLM's scale): tellings of one
# story score within ~0.2 of each other; the same club, company or place in another story scores
# ~0.3-0.4 lower.
MAX_BELOW_BEST = 0.25


def rank_sources(
    topic_vector: np.ndarray,
    candidates: Sequence[Candidate],
    vectors: np.ndarray,
    keywords: Sequence[str] = (),
    *,
    max_sources: int = 8,
    max_per_channel: int = 2,
    min_similarity: float = 0.3,
    max_below_best: float | None = MAX_BELOW_BEST,
) -> list[ChosenSource]:
    """The sources for a topic, best first, numbered from 1. `vectors` are the candidates'
    L2-normalised embeddings, row i for candidate i; `topic_vector` the topic's (normalised here
    too). A source needs a cosine of `min_similarity` and, with `max_below_best`, one within
    that much of the best candidate's: a story's tellings sit close together, and a post on the
    same club or company but another event sits far below them. See the module's docstring."""
    if not candidates or max_sources <= 0 or max_per_channel <= 0:
        return []
    matrix = np.asarray(vectors, dtype=np.float32).reshape(len(candidates), -1)
    cosines = matrix @ _unit(topic_vector)
    bonuses = np.array(
        [
            min(MAX_KEYWORD_BONUS, KEYWORD_BONUS * keyword_hits(c.text, keywords))
            for c in candidates
        ],
        dtype=np.float32,
    )
    scores = cosines + bonuses
    floor = min_similarity
    if max_below_best is not None and len(cosines):
        floor = max(floor, float(cosines.max()) - max_below_best)
    relevant = [i for i in range(len(candidates)) if float(cosines[i]) >= floor]
    relevant = [i for i in relevant if normalized_text(candidates[i].text)]
    order = sorted(relevant, key=lambda i: (-float(scores[i]), i))
    kept = _one_per_group(_duplicate_groups(order, candidates, matrix), candidates, scores)
    ranked = _take_turns(kept, candidates, scores, max_per_channel)[:max_sources]
    return [
        ChosenSource(
            n=number,
            kind=candidates[index].kind,
            channel=candidates[index].channel,
            text=candidates[index].text,
            score=round(float(scores[index]), 4),
            post_id=candidates[index].post_id,
            url=candidates[index].url,
        )
        for number, index in enumerate(ranked, start=1)
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def too_few_sources(
    sources: Sequence[ChosenSource],
    min_sources: int = MIN_SOURCES,
    min_channels: int = MIN_CHANNELS,
) -> str | None:
    """Why `sources` are too few to write a balanced article ("2 sources from 1 channel"), or
    None when there are at least `min_sources` from at least `min_channels` channels."""
    channels = len({source.channel for source in sources})
    if len(sources) >= min_sources and channels >= min_channels:
        return None
    return f"{_count(len(sources), 'source')} from {_count(channels, 'channel')}"
