"""The `local` provider: the same enrichment schema, offline, from the packaged MiniLM and
well-known libraries, fast enough to run over every post on a laptop.

- keywords: KeyBERT's method, batched. Candidate phrases (one word, or two adjacent words,
  neither a stop word of scikit-learn's English list) are taken verbatim from the text, so they
  are grounded by construction; the best few by TF-IDF within the batch are encoded once per
  distinct phrase and ranked by cosine similarity to the post's own embedding.
- category: zero-shot, the taxonomy label whose description and example headlines are nearest
  to the post on average; `other` when none comes within a cosine of 0.15.
- sentiment: the VADER lexicon (vaderSentiment), compound score ±0.05.
- entities: capitalised word runs (and @mentions), typed zero-shot by similarity to short
  descriptions of each entity type.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass
from math import log

import numpy as np

from enrichment_assets.lib.enrichment.grounding import ground_tags, tags_hash
from enrichment_assets.lib.enrichment.prompts import CATEGORIES, MAX_KEYWORDS, MAX_TAGS

LOCAL_PROMPT_VERSION = "local-v1"
KEYWORDS_PER_POST = 6
CANDIDATES_PER_POST = 10
MIN_CATEGORY_SIMILARITY = 0.15
# Zero-shot by example: a post's category is the one whose example headlines it is nearest to
# on average (MiniLM compares sentences with sentences far better than with keyword lists).
CATEGORY_EXAMPLES: dict[str, list[str]] = {
    "politics": ["Parliament approved the budget after a long debate.",
                 "The prime minister called a snap election.",
                 "The minister resigned after the vote on the new law.",
                 "Voters head to the polls on Sunday."],
    "economy": ["The central bank left interest rates unchanged.",
                "Shares fell after the company reported lower quarterly revenue.",
                "Oil prices slipped as supply improved.",
                "The retailer agreed to buy a rival for two billion dollars."],
    "technology": ["The startup released a new artificial intelligence chatbot.",
                   "Hackers exploited a software vulnerability to steal passwords.",
                   "The company unveiled a new smartphone and a software update.",
                   "Engineers released an open source programming tool."],
    "science": ["Astronomers discovered a new planet orbiting a nearby star.",
                "Scientists published a study on how bees find their way home.",
                "Physicists built a more precise atomic clock.",
                "The rocket launch to the space station was postponed."],
    "health": ["A new vaccine reduced infections in a large trial.",
               "Doctors warn of a rise in flu cases this winter.",
               "A new pill lowered blood pressure in patients.",
               "The hospital opened a new cancer ward."],
    "sports": ["The club won the match 4-2 with a late goal.",
               "The tennis champion reached the final of the tournament.",
               "The team signed a new striker before the season.",
               "The runner broke the world record at the championships."],
    "culture": ["The film festival opened with the premiere of a new drama.",
                "The museum opened a new exhibition of modern art.",
                "The band announced a world tour and a new album.",
                "The novel won the literary prize."],
    "society": ["Thousands marched through the capital against the pension reform.",
                "Police arrested two men after the robbery.",
                "Schools will close early because of teacher strikes.",
                "The court sentenced the former mayor."],
    "world": ["Fighting broke out near the border between the two countries.",
              "An earthquake killed dozens and destroyed homes.",
              "Foreign ministers met to discuss a ceasefire.",
              "Refugees fled the war across the border."],
    "environment": ["Heavy floods hit the region after record rainfall.",
                    "The heat wave pushed temperatures to a new record.",
                    "The country will close its last coal power plant.",
                    "Pollution in the river killed thousands of fish."],
}  # fmt: skip
ENTITY_TYPE_DESCRIPTIONS = {
    "person": "a person's name",
    "organization": "a company, organisation, party, agency or team",
    "location": "a city, country, region or place",
    "product": "a product, app, device or model name",
    "event": "an event, election, summit, festival or tournament",
}

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9_]{3,}")
# Capitalised, but not what anyone searches a news archive by.
_CALENDAR_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "today", "yesterday", "tomorrow",
}  # fmt: skip
_ENTITY_CONNECTORS = {"of", "de", "von", "van", "la", "le", "du", "del", "der"}


def _stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {"http", "https", "www", "com"}


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _same_line_neighbours(text: str, left: _Token, right: _Token) -> bool:
    """Only spaces between two words: a phrase never spans punctuation or a line break."""
    gap = text[left.end : right.start]
    return gap.strip(" \t") == ""


def without_urls(text: str) -> str:
    """Links blanked out (same length, so offsets hold): a URL slug is not a keyword."""
    return _URL.sub(lambda match: " " * len(match.group()), text)


def keyword_candidates(text: str, stop_words: frozenset[str]) -> Counter:
    """Lower-cased words and adjacent word pairs (only spaces between), stop words excluded."""
    counts: Counter = Counter()
    text = without_urls(text)
    tokens = _tokens(text)
    for index, token in enumerate(tokens):
        word = token.text.lower()
        if word in stop_words or word in _CALENDAR_WORDS or len(word) < 3:
            continue
        counts[word] += 1
        if index + 1 < len(tokens):
            following = tokens[index + 1]
            second = following.text.lower()
            if (
                _same_line_neighbours(text, token, following)
                and second not in stop_words
                and second not in _CALENDAR_WORDS
                and len(second) >= 3
            ):
                counts[f"{word} {second}"] += 1
    return counts


def entity_spans(text: str, stop_words: frozenset[str]) -> list[str]:
    """Runs of capitalised words ("European Central Bank", "Bank of England") and @mentions."""
    found: list[str] = []
    tokens = _tokens(without_urls(text))
    run: list[_Token] = []

    def flush() -> None:
        while run and run[-1].text.lower() in _ENTITY_CONNECTORS:
            run.pop()
        while len(run) > 1 and run[0].text.lower() in stop_words:  # "The European Central Bank"
            run.pop(0)
        if run:
            first = run[0]
            before = text[: first.start]
            at_sentence_start = "\n" in before[len(before.rstrip()) :] or before.rstrip()[-1:] in {
                "",
                ".",
                "!",
                "?",
                ":",
            }
            single_common = len(run) == 1 and (
                first.text.lower() in stop_words
                or first.text.lower() in _CALENDAR_WORDS
                or at_sentence_start
            )
            if not single_common:
                found.append(text[first.start : run[-1].end])
        run.clear()

    for index, token in enumerate(tokens):
        adjacent = bool(run) and _same_line_neighbours(text, run[-1], token)
        capital = token.text[0].isupper()
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (capital and (not run or adjacent)) or (
            adjacent
            and token.text.lower() in _ENTITY_CONNECTORS
            and following is not None
            and following.text[0].isupper()
        ):
            run.append(token)
        else:
            flush()
            if capital:
                run.append(token)
    flush()
    found.extend(m.group() for m in _MENTION.finditer(text))
    return list(dict.fromkeys(found))[:12]


def local_model_label(model_name: str | None = None) -> str:
    """What `post_enrichment.model` says for local rows: the encoder, and the lexicon."""
    from enrichment_assets.lib.embeddings.models import DEFAULT_EMBEDDING_MODEL

    return f"{model_name or DEFAULT_EMBEDDING_MODEL}+vader"


class LocalEnricher:
    """Batch enrichment with no network: construct once per process, call on many texts."""

    provider = "local"

    def __init__(self, model_name: str | None = None) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        from enrichment_assets.lib.embeddings.models import (
            DEFAULT_EMBEDDING_MODEL,
            load_sentence_transformer,
        )

        self.embedding_model = model_name or DEFAULT_EMBEDDING_MODEL
        self.model = local_model_label(self.embedding_model)
        self._encoder = load_sentence_transformer(self.embedding_model)
        self._sentiment = SentimentIntensityAnalyzer()
        self._stop_words = _stop_words()
        self._lock = threading.Lock()
        # `other` has no examples: it is what a post gets when no category comes close enough.
        self._category_names = list(CATEGORY_EXAMPLES)
        centroids = [self._encode([CATEGORIES[name], *examples]).mean(axis=0)
                     for name, examples in CATEGORY_EXAMPLES.items()]  # fmt: skip
        self._category_vectors = np.stack(
            [centroid / np.linalg.norm(centroid) for centroid in centroids]
        )
        self._entity_type_names = list(ENTITY_TYPE_DESCRIPTIONS)
        self._entity_type_vectors = self._encode(list(ENTITY_TYPE_DESCRIPTIONS.values()))

    def _encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:  # one encode at a time: torch already uses every core
            return self._encoder.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )

    def _ranked_keyphrases(self, texts: list[str], doc_vectors: np.ndarray) -> list[list[str]]:
        candidates = [keyword_candidates(text, self._stop_words) for text in texts]
        document_frequency: Counter = Counter()
        for counts in candidates:
            document_frequency.update(counts.keys())
        total = len(texts)
        shortlists: list[list[str]] = []
        for counts in candidates:
            scored = sorted(
                counts,
                key=lambda phrase: (
                    -counts[phrase] * (1 + log((1 + total) / (1 + document_frequency[phrase])))
                    - 0.5 * (" " in phrase)
                ),
            )
            shortlists.append(scored[:CANDIDATES_PER_POST])
        vocabulary = sorted({phrase for shortlist in shortlists for phrase in shortlist})
        index = {phrase: row for row, phrase in enumerate(vocabulary)}
        vectors = self._encode(vocabulary, batch_size=256)
        ranked: list[list[str]] = []
        for doc_vector, shortlist in zip(doc_vectors, shortlists, strict=True):
            if not shortlist:
                ranked.append([])
                continue
            similarities = vectors[[index[p] for p in shortlist]] @ doc_vector
            chosen: list[str] = []
            for position in np.argsort(-similarities):
                phrase = shortlist[position]
                # Diversity: a word already inside a chosen phrase (or vice versa) adds nothing.
                if any(phrase in other or other in phrase for other in chosen):
                    continue
                chosen.append(phrase)
                if len(chosen) == KEYWORDS_PER_POST:
                    break
            ranked.append(chosen)
        return ranked

    def _sentiment_of(self, text: str) -> str:
        compound = self._sentiment.polarity_scores(text)["compound"]
        if compound >= 0.05:
            return "positive"
        if compound <= -0.05:
            return "negative"
        return "neutral"

    def _entities(self, texts: list[str]) -> list[list[dict[str, str]]]:
        spans = [entity_spans(text, self._stop_words) for text in texts]
        distinct = sorted({span for found in spans for span in found})
        vectors = self._encode(distinct, batch_size=256)
        types: dict[str, str] = {}
        if len(distinct):
            best = np.argmax(vectors @ self._entity_type_vectors.T, axis=1)
            types = {
                span: self._entity_type_names[i] for span, i in zip(distinct, best, strict=True)
            }
        return [
            [
                {"text": span, "type": "organization" if span.startswith("@") else types[span]}
                for span in found
            ]
            for found in spans
        ]

    def enrich_many(self, texts: list[str]) -> list[dict]:
        """One `llm`-kind payload per text: keywords, category, sentiment, entities."""
        if not texts:
            return []
        doc_vectors = self._encode(texts)
        keyphrases = self._ranked_keyphrases(texts, doc_vectors)
        category_scores = doc_vectors @ self._category_vectors.T
        entities = self._entities(texts)
        payloads = []
        for row, text in enumerate(texts):
            best = int(np.argmax(category_scores[row]))
            category = self._category_names[best]
            if category_scores[row][best] < MIN_CATEGORY_SIMILARITY:
                category = "other"
            payloads.append(
                {
                    "keywords": keyphrases[row][:MAX_KEYWORDS],
                    "category": category,
                    "sentiment": self._sentiment_of(text),
                    "entities": entities[row],
                }
            )
        return payloads

    def tags_many(self, texts: list[str]) -> list[dict]:
        """One `tags`-kind payload per text: the top keyphrases, checked for grounding."""
        if not texts:
            return []
        keyphrases = self._ranked_keyphrases(texts, self._encode(texts))
        payloads = []
        for text, phrases in zip(texts, keyphrases, strict=True):
            grounded = ground_tags(phrases, text, limit=MAX_TAGS)
            payloads.append(
                {
                    "tags": grounded.tags,
                    "tags_hash": tags_hash(grounded.tags),
                    "dropped_ungrounded": len(grounded.dropped),
                }
            )
        return payloads
