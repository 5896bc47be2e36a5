"""The local writer: offline, extractive and honest. It writes nothing of its own but headings:
every sentence of the article is a source's sentence, quoted verbatim between curly quotes,
attributed to its channel and cited (`World Brief Daily reports: “...” [1]`).

- outline: the sources' quotable sentences, embedded with the sentence encoder, fall into 1-3
  clusters (Ward linkage, deterministic; one cluster per two sources); a source belongs to the
  cluster holding most of its sentences, so each source feeds one section. A section's heading
  is the term its sentences share most, the central ones weighing most, and a second if it is a
  name ("Euro zone and ECB", `headings.py`); the title is the topic, in title case.
- draft: from the section's own sources, up to four sentences nearest the centre of their
  sentences (leaning towards the topic), one per source before a second from any, readable ones
  preferred (Flesch reading ease: the readability gate counts quoted words too).
- lead: the sentence nearest the centre of all sources (and the topic). A section may quote it
  too: polish keeps the lead's and drops the section's copy, merging its citation.

The same sources give the same article: no sampling, no state between calls (a resumed run may
draft without the outline call, so draft recomputes what it needs from its sources).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering

from enrichment_assets.lib.articles.headings import heading_for, title_case
from enrichment_assets.lib.articles.readability import flesch_reading_ease
from enrichment_assets.lib.articles.records import ChosenSource, Outline, OutlineSection
from enrichment_assets.lib.articles.text import CITATION, words
from enrichment_assets.lib.articles.tracing import source_sentences
from enrichment_assets.lib.articles.writers import StageAnswer

Encode = Callable[[list[str]], np.ndarray]

MAX_QUOTES = 4  # per section
# The centre a section's or the lead's sentences are measured from leans this much towards the
# topic: of two sentences equally central to their sources, the one closer to the topic wins.
TOPIC_PULL = 0.5
MIN_WORDS, MAX_WORDS = 4, 35  # a quotable sentence
# A sentence harder to read than READABLE (Flesch reading ease; the gate asks 60 of the whole
# article, quotes included) loses READABILITY_WEIGHT of centrality per point below it: at 40 it
# loses 0.15, as much as separates a sentence at the heart of a story from one at its edge.
READABILITY_WEIGHT = 0.005
READABLE = 70.0
NEAR_DUPLICATE = 0.92  # two sentences this close say the same thing: quote one
VERBS = ("reports", "says", "writes")
_STOP = re.compile(r"[.!?][\"”’)]*$")
_UNQUOTABLE = re.compile(r"https?://|www\.|@\w|#\w")


@dataclass(frozen=True)
class Quotable:
    """A sentence of a source the writer may quote: verbatim, its double quotes made single."""

    n: int
    channel: str
    position: int  # in the source's text
    text: str
    flesch: float


def _as_quotable(sentence: str) -> str | None:
    sentence = " ".join(sentence.split())
    count = len(words(sentence))
    if not MIN_WORDS <= count <= MAX_WORDS or not _STOP.search(sentence):
        return None
    if _UNQUOTABLE.search(sentence) or CITATION.search(sentence):
        return None
    # A quotation inside the quotation: single marks, so the article's own quotes stay paired.
    sentence = re.sub(r"\"([^\"]*)\"", r"‘\1’", sentence)
    return sentence.replace("“", "‘").replace("”", "’").replace('"', "’")


def quotable(sources: Sequence[ChosenSource]) -> list[Quotable]:
    """Every quotable sentence of `sources`: it ends in a stop, has 4-35 words, no link,
    mention, hashtag nor anything that reads as a citation."""
    found = []
    for source in sorted(sources, key=lambda s: s.n):
        for position, sentence in enumerate(source_sentences(source.text)):
            text = _as_quotable(sentence)
            if text is not None:
                flesch = flesch_reading_ease(text)
                found.append(Quotable(source.n, source.channel, position, text, flesch or 0.0))
    return found


def _unit(vectors: np.ndarray) -> np.ndarray:
    centre = np.asarray(vectors, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(centre))
    return centre / norm if norm else centre


def _preference(centrality: float, flesch: float) -> float:
    return centrality - READABILITY_WEIGHT * max(0.0, READABLE - flesch)


def _clusters(vectors: np.ndarray, quotables: list[Quotable]) -> np.ndarray:
    """A cluster label per sentence: one cluster under 6 sentences, else one per two sources,
    at most 3."""
    sources = len({q.n for q in quotables})
    wanted = 1 if len(quotables) < 6 else min(3, max(1, sources // 2))
    if wanted < 2:
        return np.zeros(len(quotables), dtype=int)
    return AgglomerativeClustering(n_clusters=wanted, linkage="ward").fit_predict(vectors)


def _home_clusters(
    labels: np.ndarray, vectors: np.ndarray, quotables: list[Quotable]
) -> dict[int, int]:
    """Source n -> the cluster holding most of its sentences; a tie goes to the cluster whose
    centre is closest to the source's sentences, then to the lower label."""
    centres = {label: _unit(vectors[labels == label]) for label in sorted(set(labels.tolist()))}
    home = {}
    for n in sorted({q.n for q in quotables}):
        mine = [i for i, q in enumerate(quotables) if q.n == n]
        counts = Counter(int(labels[i]) for i in mine)

        def closeness(label: int, mine: list[int] = mine) -> float:
            return float(np.mean(vectors[mine] @ centres[label]))

        home[n] = min(counts, key=lambda label: (-counts[label], -closeness(label), label))
    return home


def _pick(
    quotables: list[Quotable], vectors: np.ndarray, topic: np.ndarray, limit: int
) -> list[int]:
    """Indices of up to `limit` sentences nearest the centre of `vectors` (leaning towards
    `topic`), readable ones first, one per source before a second from any, never two that say
    the same thing."""
    centre = _unit(np.stack([_unit(vectors), TOPIC_PULL * _unit(topic[None, :])]))
    centrality = vectors @ centre
    order = sorted(
        range(len(quotables)),
        key=lambda i: (-_preference(float(centrality[i]), quotables[i].flesch), i),
    )
    chosen: list[int] = []
    for one_per_source in (True, False):
        for i in order:
            if len(chosen) >= limit:
                return chosen
            if i in chosen or (
                one_per_source and quotables[i].n in {quotables[j].n for j in chosen}
            ):
                continue
            same = [j for j in chosen if float(vectors[i] @ vectors[j]) >= NEAR_DUPLICATE]
            if not same:
                chosen.append(i)
    return chosen


def _attributed(quotables: list[Quotable], first_verb: int = 0) -> str:
    """The sentences as attributed quotations, each source's together and in its own order."""
    by_source: dict[int, list[Quotable]] = {}
    for q in quotables:
        by_source.setdefault(q.n, []).append(q)
    written = []
    for index, group in enumerate(by_source.values()):
        for turn, q in enumerate(sorted(group, key=lambda q: q.position)):
            channel = q.channel.strip() or "A source"
            # The channel every time, never "It": polish may remove a repeated quotation, and
            # a pronoun would then point at the source quoted before.
            verb = VERBS[(first_verb + index) % len(VERBS)] if turn == 0 else "adds"
            who = f"{channel} {verb}"
            written.append(f"{who}: “{q.text}” [{q.n}]")
    return " ".join(written)


class LocalWriter:
    """The `Writer` that quotes its sources (see the module's docstring). `encode` turns texts
    into L2-normalised float32 rows; `model_name` names the encoder in the stage log."""

    provider = "local"

    def __init__(self, encode: Encode, model_name: str) -> None:
        self.encode = encode
        self.model = model_name

    def _embed(self, texts: list[str]) -> np.ndarray:
        rows = self.encode(texts)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)

    def _embed_with_topic(self, topic: str, found: list[Quotable]) -> tuple[np.ndarray, np.ndarray]:
        rows = self._embed([*(q.text for q in found), topic])
        return rows[:-1], rows[-1]

    def outline(
        self, topic: str, keywords: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[Outline]:
        title = title_case(topic)
        found = quotable(sources)
        if not found:
            return StageAnswer(Outline(title, ()))
        vectors = self._embed([q.text for q in found])
        labels = _clusters(vectors, found)
        home = _home_clusters(labels, vectors, found)
        sections: list[OutlineSection] = []
        headings: list[str] = []
        for label in sorted(
            set(home.values()), key=lambda lb: min(n for n in home if home[n] == lb)
        ):
            members = [i for i in range(len(found)) if labels[i] == label]
            closeness = vectors[members] @ _unit(vectors[members])
            heading = heading_for([found[i].text for i in members], closeness.tolist(), headings)
            if heading.lower() in (taken.lower() for taken in headings):
                heading = f"{heading} ({len(sections) + 1})"
            headings.append(heading)
            numbers = tuple(sorted(n for n in home if home[n] == label))
            sections.append(OutlineSection(heading, numbers))
        return StageAnswer(Outline(title, tuple(sections)))

    def draft(
        self, topic: str, section: OutlineSection, sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        # Only the section's own sources, whatever else is passed: a section is written from them.
        found = quotable([source for source in sources if source.n in section.sources])
        if not found:
            return StageAnswer("")
        limit = min(MAX_QUOTES, max(2, len({q.n for q in found})))
        chosen = _pick(found, *self._embed_with_topic(topic, found), limit)
        verb = sum(ord(char) for char in section.heading)  # vary the verbs between sections
        return StageAnswer(_attributed([found[i] for i in chosen], first_verb=verb))

    def lead(
        self, topic: str, title: str, bodies: Sequence[str], sources: Sequence[ChosenSource]
    ) -> StageAnswer[str]:
        found = quotable(sources)
        if not found:
            return StageAnswer("")
        chosen = _pick(found, *self._embed_with_topic(topic, found), 1)
        return StageAnswer(_attributed([found[chosen[0]]]))
