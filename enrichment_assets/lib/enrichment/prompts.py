"""What we ask the LLM, and what we accept back: the taxonomy, the prompts and the schemas.

A prompt version names the exact wording and schema: change either and bump the version, so
the cache (keyed by provider, model and prompt version) asks again instead of reusing answers
given to another question.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENRICHMENT_PROMPT_VERSION = "enrich-v1"
TAGS_PROMPT_VERSION = "tags-v1"

# The fixed category taxonomy (docs/enrichment.md, "Category taxonomy"). The descriptions are also
# what the local provider compares a post with, so they are written as short news blurbs.
CATEGORIES: dict[str, str] = {
    "politics": "politics, government, elections, parliament, ministers, laws and diplomacy",
    "economy": "economy, markets, finance, banks, inflation, companies, trade and jobs",
    "technology": "technology, software, AI, computers, internet, gadgets, startups and science",
    "science": "science research, space, physics, biology, medicine studies and discoveries",
    "health": "health, disease, hospitals, doctors, vaccines, fitness and wellbeing",
    "sports": "sports, football, matches, teams, players, tournaments and championships",
    "culture": "culture, art, music, films, books, celebrities, entertainment and games",
    "society": "society, education, crime, police, courts, people, cities and everyday life",
    "world": "world news, international conflicts, war, disasters and foreign countries",
    "environment": "environment, climate, weather, energy, pollution and nature",
    "other": "anything else: announcements, ads, personal notes, memes and off-topic posts",
}
Category = Literal[
    "politics", "economy", "technology", "science", "health", "sports", "culture", "society",
    "world", "environment", "other",
]  # fmt: skip
Sentiment = Literal["positive", "neutral", "negative"]
ENTITY_TYPES = ("person", "organization", "location", "product", "event", "other")

MAX_KEYWORDS = 10
MAX_ENTITIES = 20
MAX_TAGS = 10


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=40)


class Enrichment(BaseModel):
    """The `payload` of a `post_enrichment` row of kind `llm`."""

    model_config = ConfigDict(extra="forbid")
    keywords: list[str] = Field(max_length=MAX_KEYWORDS)
    category: Category
    sentiment: Sentiment
    entities: list[Entity] = Field(default_factory=list, max_length=MAX_ENTITIES)

    @field_validator("keywords")
    @classmethod
    def _keywords_are_words(cls, values: list[str]) -> list[str]:
        cleaned = [value.strip() for value in values if value and value.strip()]
        return list(dict.fromkeys(cleaned))


class TagsAnswer(BaseModel):
    """What the tags prompt must return; grounding is checked afterwards, not here."""

    model_config = ConfigDict(extra="forbid")
    tags: list[str] = Field(max_length=MAX_TAGS * 2)


ENRICHMENT_SYSTEM_PROMPT = f"""You enrich news posts for a search index.
Return ONE JSON object and nothing else, with exactly these keys:
- "keywords": up to {MAX_KEYWORDS} short key phrases (1-3 words) taken from the post;
- "category": exactly one of {", ".join(CATEGORIES)};
- "sentiment": "positive", "neutral" or "negative";
- "entities": named entities in the post, each {{"text": as written, "type": one of \
{", ".join(ENTITY_TYPES)}}}.
Use the post's language for keywords and entities. No explanations."""

TAGS_SYSTEM_PROMPT = f"""You tag news posts. Strict rules:
- Return ONE JSON object: {{"tags": [...]}} with at most {MAX_TAGS} tags.
- Every tag MUST be copied verbatim from the post text: a word or a short phrase that appears \
in it exactly (case may differ). Never translate, paraphrase, summarise or invent a tag.
- Prefer names, topics and places. No hashtags symbols, no duplicates.
If nothing qualifies, return {{"tags": []}}."""


def enrichment_messages(text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": ENRICHMENT_SYSTEM_PROMPT},
        {"role": "user", "content": text},
    ]


def tags_messages(text: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": TAGS_SYSTEM_PROMPT},
        {"role": "user", "content": text},
    ]


def corrective_messages(
    messages: list[dict[str, str]], bad_output: str, error: str
) -> list[dict[str, str]]:
    """The one corrective retry: the same question, the bad answer, and what was wrong with it."""
    return [
        *messages,
        {"role": "assistant", "content": bad_output or "(no output)"},
        {
            "role": "user",
            "content": "Your answer was rejected: "
            f"{error[:1500]}\nReturn the corrected JSON object only.",
        },
    ]


def json_schema_for(model: type[BaseModel], name: str) -> dict:
    """A `response_format` of type json_schema for the models that support structured output."""
    return {
        "type": "json_schema",
        "json_schema": {"name": name, "schema": model.model_json_schema(), "strict": False},
    }


class InvalidOutput(ValueError):
    """The LLM answered, but not with what the schema asks for."""


def parse_answer(content: str | None, model: type[BaseModel]) -> BaseModel:
    """Validate an LLM answer against `model`; InvalidOutput says what was wrong, briefly."""
    if not content or not content.strip():
        raise InvalidOutput("empty answer")
    text = content.strip()
    if text.startswith("```"):  # models in JSON mode still fence now and then
        text = text.strip("`")
        text = text[text.find("{") :] if "{" in text else text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidOutput(f"not valid JSON: {error}") from error
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'answer'}: {item['msg']}"
            for item in error.errors()[:8]
        )
        raise InvalidOutput(f"does not match the schema: {problems}") from error
