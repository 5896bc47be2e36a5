"""Article requests: how one is made (from the command, the UI's job or a trending story),
approved, rejected or regenerated, and what runs it asks for."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine, Row

from enrichment_assets.lib.articles.text import sentences
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading

# `dagster/priority`: higher runs first when runs queue.
PRIORITIES = {"low": -10, "normal": 0, "high": 10}
MAX_TOPIC_CHARS = 300
MAX_KEYWORDS = 12
TRENDING_BY = "trending_topics"
# The legacy's hard limit was 30 minutes per article; a run past it is stopped.
MAX_RUNTIME_SECONDS = 30 * 60


class BadRequest(ValueError):
    """A request that cannot be made as given; the message says which field and why."""


def _one_line(text: str) -> str:
    """`text` on one line, without control characters or lone surrogates: PostgreSQL refuses
    NUL, and a command line with bytes that are not UTF-8 brings surrogates."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text)
    return " ".join(kept.split())


def clean_request(
    topic: str, keywords: Sequence[str] | str | None, priority: str
) -> tuple[str, list[str], str]:
    """The topic trimmed (one line), keywords de-duplicated, priority checked."""
    topic = _one_line(topic or "")
    if not topic:
        raise BadRequest("topic is empty: say what the article is about")
    if len(topic) > MAX_TOPIC_CHARS:
        raise BadRequest(f"topic is {len(topic)} characters; at most {MAX_TOPIC_CHARS}")
    if isinstance(keywords, str):
        keywords = keywords.split(",")
    cleaned = list(dict.fromkeys(k for k in map(_one_line, keywords or ()) if k))
    if len(cleaned) > MAX_KEYWORDS:
        raise BadRequest(f"{len(cleaned)} keywords; at most {MAX_KEYWORDS}")
    priority = (priority or "normal").strip().lower()
    if priority not in PRIORITIES:
        raise BadRequest(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    return topic, cleaned, priority


def make_request(
    engine: Engine,
    topic: str,
    keywords: Sequence[str] | str | None = None,
    *,
    priority: str = "normal",
    requested_by: str = "command",
    approve: bool = False,
) -> Row:
    """A new request, `approved` at once with `approve`, else `pending`."""
    topic, keywords, priority = clean_request(topic, keywords, priority)
    return repository.create_request(
        engine,
        topic=topic,
        keywords=keywords,
        priority=priority,
        requested_by=requested_by,
        status="approved" if approve else "pending",
    )


def demo_request(engine: Engine, topic: str, keywords: Sequence[str]) -> Row:
    """The demo's approved request for `topic`, made once: a second demo finds the same one."""
    topic, keywords, priority = clean_request(topic, keywords, "normal")
    return repository.create_request(
        engine,
        topic=topic,
        keywords=keywords,
        priority=priority,
        requested_by="demo",
        status="approved",
        story_key=f"demo:{repository.slug(topic)}",
    )


def decide(engine: Engine, partition_key: str, approve: bool, reason: str | None = None) -> None:
    """Approve or reject a request; an unknown key is an error naming it."""
    status = "approved" if approve else "rejected"
    if not repository.decide_request(engine, partition_key, status, reason):
        raise BadRequest(f"no article request {partition_key!r}")


@dataclass(frozen=True)
class RunToRequest:
    partition_key: str
    version: int
    priority: str

    @property
    def run_key(self) -> str:
        return f"{self.partition_key}:v{self.version}"

    @property
    def tags(self) -> dict[str, str]:
        return {
            "dagster/priority": str(PRIORITIES.get(self.priority, 0)),
            "dagster/max_runtime": str(MAX_RUNTIME_SECONDS),
            "article/request": self.partition_key,
            "article/version": str(self.version),
        }


def runs_to_request(engine: Engine) -> list[RunToRequest]:
    """Approved requests whose current version has not started: one run each."""
    with reading(engine) as connection:
        rows = repository.requests_to_run(connection)
    return [RunToRequest(r.partition_key, r.version, r.priority) for r in rows]


# --- trending stories ----------------------------------------------------------------------------

_HEADLINE_CHARS = 90


def headline(text: str) -> str:
    """A story's topic from its first telling: the first line, else the first sentence."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    candidate = first_line if len(first_line) <= _HEADLINE_CHARS else sentences(first_line)[0]
    candidate = re.sub(r"\s+", " ", candidate).strip().rstrip(".")
    if len(candidate) > _HEADLINE_CHARS:
        candidate = candidate[: _HEADLINE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return candidate


def propose_trending(engine: Engine, model: str, min_channels: int = 2) -> tuple[list[Row], int]:
    """A `pending` request per story told by `min_channels` or more channels (from the
    near-duplicate groups), proposed once per story and never approved here. Returns the
    requests made now and the stories seen."""
    with reading(engine) as connection:
        members = repository.story_groups(connection, model, min_channels)
        keywords = repository.post_keywords(connection, [m.post_id for m in members])
        proposed = repository.story_keys(connection)
    stories: dict[int, list[Row]] = {}
    for member in members:
        stories.setdefault(member.group_post_id, []).append(member)
    made = []
    for group_post_id, posts in stories.items():
        story_key = f"{model}:{group_post_id}"
        if story_key in proposed:
            continue
        counted = Counter(k.lower() for p in posts for k in keywords.get(p.post_id, []))
        common = [k for k, _ in counted.most_common(5)]
        channels = sorted({p.channel for p in posts})
        row = repository.create_request(
            engine,
            topic=headline(posts[0].text),
            keywords=common,
            priority="normal",
            requested_by=TRENDING_BY,
            status="pending",
            story_key=story_key,
            reason=f"told by {len(channels)} channels: {', '.join(channels)}",
        )
        made.append(row)
    return made, len(stories)
