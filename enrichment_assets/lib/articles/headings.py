"""Titles and headings the local writer makes without writing: the topic in title case, and a
section heading made of the terms its sentences share. Words of the sources only: a heading
states nothing they do not (and the gates read no claim in a heading)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from enrichment_assets.lib.articles.text import words

_ARTICLES = frozenset({"the", "a", "an"})
_CONNECTOR = r"(?:of|the|de|du|la|al|bin|van|von|der|and|for)"
_CAPITALISED = re.compile(rf"[A-Z][\w’'\-]*(?:\s+(?:{_CONNECTOR}\s+)*[A-Z][\w’'\-]*)+")
_TOKEN = re.compile(r"[^\W\d_]+(?:[’'\-][^\W\d_]+)*")
SMALL_WORDS = frozenset(re.findall(r"\S+", "a an and as at by for in of on or to the with from"))
# Words that say nothing a heading could stand on: function words, reporting verbs, time words.
PLAIN_WORDS = SMALL_WORDS | frozenset(
    re.findall(
        r"\S+",
        "is are was were be been has have had that this these those it its their there said says "
        "say will would not no but he she they we after before over under into than more most new "
        "now still also about just only some time row first last other who what when which while "
        "per cent percent until since during because again very day days week weeks month year "
        "years today yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday "
        "told asked added could should may might can did does made make take took saying expect "
        "expects expected next according amid despite including like too january february march "
        "april june july august september october november december",
    )
)
MIN_LENGTH = 4  # of a single word in a heading
NAME_BOOST = 1.5  # a name ("Porto Alegre", "ECB") says more in a heading than a common word


def title_case(topic: str) -> str:
    """The topic as a title: each word capitalised but small ones, words with capitals kept."""
    topic = " ".join(topic.split()).strip(" .,:;!?")
    titled = []
    for index, word in enumerate(topic.split()):
        small = index > 0 and word.lower() in SMALL_WORDS
        keep = small or any(char.isupper() for char in word)
        titled.append(word.lower() if small else word if keep else word[:1].upper() + word[1:])
    return " ".join(titled)


def heading_terms(sentence: str) -> list[tuple[str, bool]]:
    """(term, is_pair) of the terms a heading may use, in reading order: runs of capitalised
    words less a leading article ("European Central Bank"), single words that are not plain
    ("airport", "ECB"), and pairs of such words side by side ("euro zone": is_pair). A
    sentence's first word keeps its capital only when it is written in capitals throughout."""
    found: list[tuple[int, str, bool]] = []
    covered: set[int] = set()
    for match in _CAPITALISED.finditer(sentence):
        parts = match.group().split()
        while parts and parts[0].lower() in _ARTICLES:
            parts = parts[1:]
        if len(parts) >= 2:
            found.append((match.start(), " ".join(parts[:4]).rstrip("’'"), False))
            covered.update(range(match.start(), match.end()))
    previous: tuple[int, str] | None = None
    for match in _TOKEN.finditer(sentence):
        word = match.group()
        if match.start() in covered or word.lower() in PLAIN_WORDS or len(word) < MIN_LENGTH - 1:
            previous = None
            continue
        opening = match.start() == 0 or sentence[: match.start()].rstrip().endswith((".", ":"))
        word = word.lower() if opening and not word.isupper() else word
        if len(word) >= MIN_LENGTH or word.isupper():
            found.append((match.start(), word, False))
        if previous and sentence[previous[0] + len(previous[1]) : match.start()] == " ":
            found.append((previous[0], f"{previous[1]} {word}", True))
        previous = (match.start(), word)
    return list(dict.fromkeys((term, pair) for _, term, pair in sorted(found)))


def _key(term: str) -> str:
    return " ".join(words(term))


def heading_for(
    cluster: Sequence[str], weights: Sequence[float] | None = None, taken: Sequence[str] = ()
) -> str:
    """A heading for the sentences of one section: its best term, joined by "and" to the second
    best when that is a name too ("Real Madrid and Bayern Munich", "Euro zone and ECB").

    A term's score is the summed weight (closeness to the section's centre) of the sentences
    that use it, times its words, times NAME_BOOST for a name (a term with a capital); a pair of
    words counts only when two sentences use it. Terms of `taken` headings (earlier sections')
    and two terms sharing a word are never both used; ties go to the term met first, sentences
    taken in order of weight."""
    weights = list(weights) if weights is not None else [1.0] * len(cluster)
    order = sorted(range(len(cluster)), key=lambda i: (-weights[i], i))
    used = {word for heading in taken for word in words(heading) if word not in SMALL_WORDS}
    score: dict[str, float] = {}
    uses: dict[str, int] = {}
    shown: dict[str, str] = {}
    pairs: set[str] = set()
    for i in order:
        for term, pair in heading_terms(cluster[i]):
            key = _key(term)
            if not key or set(key.split()) & used:
                continue
            if pair:
                pairs.add(key)
            shown.setdefault(key, term)
            score[key] = score.get(key, 0.0) + max(weights[i], 0.0)
            uses[key] = uses.get(key, 0) + 1
    first_seen = {key: index for index, key in enumerate(shown)}

    def worth(key: str) -> float:
        boost = NAME_BOOST if any(char.isupper() for char in shown[key]) else 1.0
        return score[key] * len(key.split()) * boost

    candidates = [key for key in shown if key not in pairs or uses[key] >= 2]
    ranked = sorted(candidates, key=lambda key: (-worth(key), first_seen[key]))
    if not ranked:
        return "More"
    best = [ranked[0]]
    for key in ranked[1:]:
        if not set(key.split()) & set(best[0].split()):
            if any(char.isupper() for char in shown[key]) and worth(key) >= worth(best[0]) / 2:
                best.append(key)
            break
    heading = " and ".join(shown[key] for key in best)
    return heading[:1].upper() + heading[1:]
