"""Polish: the written parts put together as one article, repeats removed, citations renumbered.

- A sentence said twice (the same words, case, punctuation and citations aside) is kept where it
  comes first; the removed copy's citations join the kept one's, so no valid citation is lost. A
  sentence that is only an attributed quotation (`EuroWire says: “...”`) counts as its quotation,
  so the lead and a section quoting the same words under another verb do not both stay. A
  section left without a sentence is left out with its heading.
- Citations are renumbered by first appearance: the stored sources the article cites become
  1..k, in reading order. A citation of a number that is no source (dangling) is kept as the
  writer wrote it, so that `citations_resolve` still sees it and fails, naming the number the
  writer made up: polish never hides a writer's mistake. It cannot collide with a renumbered
  one: research numbers its N sources 1..N, a dangling number is above N, and k <= N.
- The "## Sources" list closes the article: one line per cited source, `[k] Channel — url` (or
  `post <id>` for a post without a link). Sources research chose but the article never cites are
  not in it: an article's sources are the ones it cites (`article_sources`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from enrichment_assets.lib.articles.records import ChosenSource, Polished
from enrichment_assets.lib.articles.text import CITATION, cited, sentences, strip_citations, words

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A line that keeps its own line: a list item, a quote block, a sub-heading.
_LINE_MARK = re.compile(r"^\s*(?:[-*+>]|\d+[.)]|#{1,6})\s+")
_HEADING_LINE = re.compile(r"^\s*#{1,6}\s+")
# A sentence that is only an attribution and a quotation: `World Brief Daily reports: “...”`.
_ATTRIBUTED_QUOTE = re.compile(r"^[^“”\"]{1,60}:\s*[“\"]([^“”\"]+)[”\"]$")
# The citation groups that end a sentence, before or after its final stop.
_TRAILING_CITATIONS = re.compile(r"((?:\s*\[\d+(?:\s*,\s*\d+)*\](?!\())+)(\s*[.!?]*[\"”’)]*)\s*$")


@dataclass
class _Sentence:
    text: str
    merged: list[int] = field(default_factory=list)  # citations taken from removed copies

    def render(self) -> str:
        if not self.merged:
            return self.text
        trailing = _TRAILING_CITATIONS.search(self.text)
        if trailing is None:
            return f"{self.text.rstrip()} [{', '.join(map(str, self.merged))}]"
        numbers = list(dict.fromkeys([*cited(trailing.group(1)), *self.merged]))
        group = f" [{', '.join(map(str, numbers))}]"
        return self.text[: trailing.start()].rstrip() + group + trailing.group(2).strip()


@dataclass
class _Unit:
    """A paragraph, or one marked line (list item, quote, sub-heading) with its mark."""

    paragraph: int
    mark: str
    sentences: list[_Sentence]
    verbatim: bool = False  # a sub-heading: never split nor deduplicated


def _key(sentence: str) -> str:
    """What makes two sentences the same: their words, or the words of the quotation a sentence
    is made of."""
    text = strip_citations(sentence)
    quotation = _ATTRIBUTED_QUOTE.match(text)
    return " ".join(words(quotation.group(1) if quotation else text))


def _units(text: str) -> list[_Unit]:
    units = []
    for number, paragraph in enumerate(_PARAGRAPH_BREAK.split(text.strip())):
        lines = [line for line in paragraph.splitlines() if line.strip()]
        if not lines:
            continue
        if any(_LINE_MARK.match(line) for line in lines):
            for line in lines:
                mark = _LINE_MARK.match(line)
                prefix = mark.group().strip() + " " if mark else ""
                content = line[mark.end() :] if mark else line.strip()
                if _HEADING_LINE.match(line):
                    units.append(_Unit(number, prefix, [_Sentence(content.strip())], verbatim=True))
                else:
                    units.append(_Unit(number, prefix, [_Sentence(s) for s in sentences(content)]))
        else:
            joined = " ".join(line.strip() for line in lines)
            units.append(_Unit(number, "", [_Sentence(s) for s in sentences(joined)]))
    return units


def _deduplicate(parts: list[list[_Unit]]) -> None:
    """Drop each sentence said before, in place, merging its citations into the first."""
    first: dict[str, _Sentence] = {}
    for units in parts:
        for unit in units:
            if unit.verbatim:
                continue
            kept = []
            for sentence in unit.sentences:
                key = _key(sentence.text)
                earlier = first.get(key) if key else None
                if earlier is None:
                    if key:
                        first[key] = sentence
                    kept.append(sentence)
                    continue
                already = set(cited(earlier.text)) | set(earlier.merged)
                earlier.merged += [
                    n for n in dict.fromkeys(cited(sentence.text)) if n not in already
                ]
            unit.sentences = kept


def _render(units: list[_Unit]) -> str:
    """The units back as markdown: the lines of one paragraph on lines of their own, paragraphs
    apart; a unit left without a sentence is gone."""
    paragraphs: dict[int, list[str]] = {}
    for unit in units:
        if unit.sentences:
            line = unit.mark + " ".join(sentence.render() for sentence in unit.sentences)
            paragraphs.setdefault(unit.paragraph, []).append(line)
    return "\n\n".join("\n".join(lines) for lines in paragraphs.values())


def renumbering(text: str, valid: set[int]) -> dict[int, int]:
    """Old number -> new: the valid numbers 1..k by first appearance in `text`; a dangling
    number stays itself (it is above every valid one, so it cannot collide)."""
    order = list(dict.fromkeys(cited(text)))
    renumbered = {old: new for new, old in enumerate([n for n in order if n in valid], start=1)}
    return renumbered | {n: n for n in order if n not in valid}


def _renumber(text: str, mapping: dict[int, int]) -> str:
    def group(match: re.Match[str]) -> str:
        numbers = sorted(dict.fromkeys(mapping[n] for n in cited(match.group())))
        return f"[{', '.join(map(str, numbers))}]"

    return CITATION.sub(group, text)


def source_line(number: int, source: ChosenSource) -> str:
    """`[k] Channel — where`: the page's or post's link, else `post <id>`."""
    where = source.url or (f"post {source.post_id}" if source.post_id is not None else "")
    return f"- [{number}] {source.channel}" + (f" — {where}" if where else "")


def polish(
    title: str,
    lead: str,
    sections: Sequence[tuple[str, str]],
    sources: Sequence[ChosenSource],
) -> Polished:
    """The article's markdown from its title, lead and (heading, body) sections, with research's
    `sources` (numbered as research numbered them). See the module's docstring for the rules."""
    title = " ".join(title.split())
    parts = [_units(lead or ""), *(_units(body or "") for _, body in sections)]
    _deduplicate(parts)
    blocks = [f"# {title}"]
    if lead_text := _render(parts[0]):
        blocks.append(lead_text)
    for (heading, _), units in zip(sections, parts[1:], strict=True):
        if body_text := _render(units):
            blocks += [f"## {' '.join(heading.split())}", body_text]
    text = "\n\n".join(blocks)
    by_number = {source.n: source for source in sources}
    mapping = renumbering(text, set(by_number))
    text = _renumber(text, mapping)
    numbering = {old: new for old, new in mapping.items() if old in by_number}
    listed = sorted(numbering.items(), key=lambda item: item[1])
    source_list = [source_line(new, by_number[old]) for old, new in listed]
    markdown = text + ("\n\n## Sources\n\n" + "\n".join(source_list) if source_list else "") + "\n"
    return Polished(title=title, markdown=markdown, numbering=numbering)


def article_sources(polished: Polished, sources: Sequence[ChosenSource]) -> list[ChosenSource]:
    """The sources the article cites, numbered as the article cites them, in that order."""
    renumbered = [
        replace(source, n=polished.numbering[source.n])
        for source in sources
        if source.n in polished.numbering
    ]
    return sorted(renumbered, key=lambda source: source.n)
