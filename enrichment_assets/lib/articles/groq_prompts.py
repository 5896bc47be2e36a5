"""What the Groq writer asks at each stage, and what it accepts back.

Each stage's input is one JSON text (`stage_text`: keys sorted, so the same input is the same
text and its content hash, the LLM cache key, is stable: a re-run is answered from the cache).
`*_messages(text)` turn that text into the chat messages; `validate_*(content, text)` parse the
answer with pydantic and raise `InvalidOutput` for a wrong shape, which earns the runner's one
corrective retry. A prompt version names the exact wording and schema: change either, bump it.

What the draft validation does not do, on purpose: reject a citation of a number the section
was not given. A draft is taken as written and the quality gates judge it, so a model that
invents a source or a figure fails `citations_resolve` / `facts_supported` in the open, with
its reasons, instead of being quietly retried into shape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator

from enrichment_assets.lib.articles.records import ChosenSource
from enrichment_assets.lib.common.hashing import normalize_text
from enrichment_assets.lib.enrichment.prompts import InvalidOutput, parse_answer

OUTLINE_PROMPT_VERSION = "article-outline-v1"
DRAFT_PROMPT_VERSION = "article-draft-v1"
LEAD_PROMPT_VERSION = "article-lead-v1"

MAX_SECTIONS = 6
MAX_PARAGRAPHS = 4
# A crawled page can be long; the model sees the start of each source, which is where news
# puts its facts. What it quotes from there is still in the stored text the gates check.
MAX_SOURCE_CHARS = 2000


# --- the answers ------------------------------------------------------------------------------


def _stripped(value: str) -> str:
    """On one line, trimmed; blank is not an answer."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    return value


class SectionAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heading: str = Field(min_length=1, max_length=120)
    sources: list[int] = Field(min_length=1, max_length=20)

    @field_validator("heading")
    @classmethod
    def _one_line_heading(cls, value: str) -> str:
        return _stripped(value)


class OutlineAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    sections: list[SectionAnswer] = Field(min_length=1, max_length=MAX_SECTIONS)

    @field_validator("title")
    @classmethod
    def _one_line_title(cls, value: str) -> str:
        return _stripped(value)


class DraftAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paragraphs: list[str] = Field(min_length=1, max_length=MAX_PARAGRAPHS * 2)


class LeadAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead: str = Field(min_length=1, max_length=1200)


# --- the prompts --------------------------------------------------------------------------------

# The rules every stage that writes prose follows; the fake Groq server recognises each stage by
# the first words of its system prompt, so keep them.
_WRITING_RULES = """Strict rules:
- State only facts that are in the numbered sources below. Add nothing from your own \
knowledge: no background, no speculation, no opinion, no prediction.
- End every sentence that states a fact with the number of the source it comes from, in \
square brackets: "... on Monday [2]." A sentence drawn from two sources cites both: [1][3]. \
Cite only the source numbers given below.
- Copy numbers, dates, amounts and names exactly as the source writes them. Never round, \
convert, add up, estimate or translate them.
- Attribute claims to whoever makes them: "police said", "the ministry says", "according to \
the report". When sources disagree, give each side with its own citation.
- Neutral language: no loaded, emotional or judging words, no superlatives except in a quote.
- Do not copy long runs of a source's words: say it in your own words, or quote it inside \
quotation marks.
- Short sentences (at most 20 words) and plain, common words, so the text reads easily \
(Flesch reading ease of 60 or more).
- Write in the language of the sources."""

OUTLINE_SYSTEM_PROMPT = f"""You outline news articles from numbered sources.
Return ONE JSON object and nothing else:
{{"title": "...", "sections": [{{"heading": "...", "sources": [1, 2]}}]}}
Strict rules:
- 1 to {MAX_SECTIONS} sections, in the order a reader needs them; each covers one aspect of \
the story.
- "sources" lists the numbers of the sources the section will be written from, and nothing \
else may be used in it. Use only the numbers given below. Use every source that is on the topic.
- The title states the story plainly in at most 12 words: neutral, no question, no \
clickbait, only facts found in the sources.
- Headings are short (2 to 6 words) and neutral.
- Write in the language of the sources."""

DRAFT_SYSTEM_PROMPT = f"""You write one section of a news article, from its numbered sources only.
Return ONE JSON object and nothing else: {{"paragraphs": ["...", "..."]}}
with 1 to {MAX_PARAGRAPHS} paragraphs of plain markdown text, without the heading.
{_WRITING_RULES}"""

LEAD_SYSTEM_PROMPT = f"""You write the lead of a news article: one or two sentences that give \
the reader the most important facts of the story.
Return ONE JSON object and nothing else: {{"lead": "..."}}
The article's sections are given to show what it says; take the facts from the numbered \
sources and cite the sources, never the sections.
{_WRITING_RULES}"""


# --- stage inputs -------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """The one text of a JSON value: keys sorted, compact, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _source(source: ChosenSource) -> dict[str, Any]:
    return {"n": source.n, "channel": source.channel, "text": source.text[:MAX_SOURCE_CHARS]}


def outline_text(topic: str, keywords: Sequence[str], sources: Sequence[ChosenSource]) -> str:
    return canonical(
        {"topic": topic, "keywords": list(keywords), "sources": [_source(s) for s in sources]}
    )


def draft_text(topic: str, heading: str, sources: Sequence[ChosenSource]) -> str:
    return canonical({"topic": topic, "heading": heading, "sources": [_source(s) for s in sources]})


def lead_text(
    topic: str, title: str, bodies: Sequence[str], sources: Sequence[ChosenSource]
) -> str:
    return canonical(
        {
            "topic": topic,
            "title": title,
            "bodies": list(bodies),
            "sources": [_source(s) for s in sources],
        }
    )


def _one_line(text: str) -> str:
    return normalize_text(text)


def _sources_block(sources: list[dict[str, Any]]) -> str:
    lines = [f"[{s['n']}] ({_one_line(s['channel'])}) {_one_line(s['text'])}" for s in sources]
    return "Sources:\n" + "\n".join(lines)


def outline_messages(text: str) -> list[dict[str, str]]:
    stage = json.loads(text)
    user = (
        f"Topic: {_one_line(stage['topic'])}\n"
        f"Keywords: {', '.join(stage['keywords']) or '(none)'}\n\n"
        + _sources_block(stage["sources"])
    )
    return [
        {"role": "system", "content": OUTLINE_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def draft_messages(text: str) -> list[dict[str, str]]:
    stage = json.loads(text)
    user = (
        f"Topic: {_one_line(stage['topic'])}\n"
        f"Section: {_one_line(stage['heading'])}\n\n" + _sources_block(stage["sources"])
    )
    return [
        {"role": "system", "content": DRAFT_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


def lead_messages(text: str) -> list[dict[str, str]]:
    stage = json.loads(text)
    bodies = "\n\n".join(body.strip() for body in stage["bodies"]) or "(no sections)"
    user = (
        f"Topic: {_one_line(stage['topic'])}\n"
        f"Title: {_one_line(stage['title'])}\n\n"
        f"Article sections:\n{bodies}\n\n" + _sources_block(stage["sources"])
    )
    return [
        {"role": "system", "content": LEAD_SYSTEM_PROMPT},
        {"role": "user", "content": user},
    ]


# --- validation ---------------------------------------------------------------------------------


def validate_outline(content: str | None, text: str) -> dict[str, Any]:
    answer = cast(OutlineAnswer, parse_answer(content, OutlineAnswer))
    given = {source["n"] for source in json.loads(text)["sources"]}
    unknown = sorted({n for s in answer.sections for n in s.sources if n not in given})
    if unknown:
        raise InvalidOutput(
            f"sections cite sources {unknown} that were not given; "
            f"use only the source numbers {sorted(given)}"
        )
    return {
        "title": answer.title,
        "sections": [
            {"heading": s.heading, "sources": list(dict.fromkeys(s.sources))}
            for s in answer.sections
        ],
    }


def validate_draft(content: str | None, text: str) -> dict[str, Any]:
    answer = cast(DraftAnswer, parse_answer(content, DraftAnswer))
    paragraphs = [paragraph.strip() for paragraph in answer.paragraphs if paragraph.strip()]
    if not paragraphs:
        raise InvalidOutput("every paragraph is empty; write the section's text")
    return {"paragraphs": paragraphs}


def validate_lead(content: str | None, text: str) -> dict[str, Any]:
    answer = cast(LeadAnswer, parse_answer(content, LeadAnswer))
    lead = answer.lead.strip()
    if not lead:
        raise InvalidOutput("the lead is empty; write one or two sentences")
    return {"lead": lead}
