"""The fake Groq server's answers to the article writer's three stages.

A stage is recognised by the opening words of its system prompt (`STAGE_MARKERS`), the way a
real model would read its instructions; its sources are read from the user message's
"Sources:" block, one `[n] (channel) text` line each. The answers are valid and honest, built
from the sources themselves:

- outline: the topic as title, one section per two sources, headed by their channels;
- draft: for each source of the section, one attributed sentence quoting its first sentence
  verbatim, cited `[n]`;
- lead: the first sentence of the first source, quoted and cited.
"""

from __future__ import annotations

import json
import re
from typing import Any

STAGE_MARKERS = {
    "outline": "You outline news articles",
    "draft": "You write one section",
    "lead": "You write the lead",
}

_SOURCE_LINE = re.compile(r"^\[(\d+)\] \((.*?)\) (.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")


def stage_of(body: dict[str, Any]) -> str | None:
    """outline | draft | lead for a writer's request, None for any other prompt."""
    messages = body.get("messages") or []
    system = messages[0].get("content", "") if messages else ""
    return next((stage for stage, marker in STAGE_MARKERS.items() if marker in system), None)


def question(body: dict[str, Any]) -> str:
    """The first user message: the question, not a corrective follow-up."""
    return next((m["content"] for m in body.get("messages", []) if m["role"] == "user"), "")


def sources_in(user: str) -> list[tuple[int, str, str]]:
    """(n, channel, text) of each source line after "Sources:"."""
    _, _, block = user.partition("Sources:\n")
    found = []
    for line in block.splitlines():
        if match := _SOURCE_LINE.match(line):
            found.append((int(match[1]), match[2], match[3]))
    return found


def _field(user: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", user, re.M)
    return match[1].strip() if match else ""


def first_sentence(text: str) -> str:
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()


def _quotable(text: str) -> str:
    """The first sentence without its closing stop. Whole: a cut could split a date or a
    figure ("on 12" of "on 12 May 2024"), and the gates would rightly call it unsupported."""
    return first_sentence(text).rstrip(".!?")


def outline_answer(user: str) -> dict[str, Any]:
    sources = sources_in(user)
    sections = []
    for start in range(0, len(sources), 2):
        pair = sources[start : start + 2]
        # Named after its channels: a heading copied from a source would count as plagiarism.
        heading = "What " + " and ".join(channel for _, channel, _ in pair) + " report"
        sections.append({"heading": heading, "sources": [n for n, _, _ in pair]})
    topic = _field(user, "Topic") or "News"
    return {"title": topic[:1].upper() + topic[1:], "sections": sections}


def draft_answer(user: str) -> dict[str, Any]:
    sentences = [
        f'{channel} reports: "{_quotable(text)}" [{n}].' for n, channel, text in sources_in(user)
    ]
    return {"paragraphs": [" ".join(sentences)] if sentences else ["No source was given."]}


def lead_answer(user: str) -> dict[str, Any]:
    sources = sources_in(user)
    if not sources:
        return {"lead": "No source was given."}
    n, channel, text = min(sources)
    return {"lead": f'{channel} reports: "{_quotable(text)}" [{n}].'}


ANSWERS = {"outline": outline_answer, "draft": draft_answer, "lead": lead_answer}


def article_answer(stage: str, body: dict[str, Any]) -> str:
    return json.dumps(ANSWERS[stage](question(body)), ensure_ascii=False)
