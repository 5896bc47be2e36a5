"""What the asset check `every_post_in_graph` verifies after a build: every post of the
window has its node and its PUBLISHED edge, and every entity of a completed enrichment has its
MENTIONS edge (keys computed as the build computes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from enrichment_assets.lib.graph.evidence import entities_of
from enrichment_assets.lib.graph.keys import entity_key
from enrichment_assets.storage import graph_upkeep as upkeep

EXAMPLES = 10


@dataclass
class GraphCheck:
    posts_missing: list[int] = field(default_factory=list)  # no node or no PUBLISHED edge
    mentions_missing: list[tuple[int, str]] = field(default_factory=list)  # (post, entity key)
    mentions_expected: int = 0

    @property
    def passed(self) -> bool:
        return not self.posts_missing and not self.mentions_missing

    def describe(self) -> str:
        if self.passed:
            return f"every post has its node and edges ({self.mentions_expected} mentions)"
        parts = []
        if self.posts_missing:
            parts.append(
                f"{len(self.posts_missing)} posts without node or PUBLISHED edge "
                f"(e.g. {self.posts_missing[:EXAMPLES]})"
            )
        if self.mentions_missing:
            parts.append(
                f"{len(self.mentions_missing)} entity mentions without MENTIONS edge "
                f"(e.g. {self.mentions_missing[:EXAMPLES]})"
            )
        return "; ".join(parts)


def check_post_graph(engine: Engine, start: datetime, end: datetime) -> GraphCheck:
    result = GraphCheck(posts_missing=upkeep.posts_missing_from_graph(engine, start, end))
    payloads, mentions = upkeep.completed_entities_and_mentions(engine, start, end)
    expected: set[tuple[int, str]] = set()
    for post_id, payload in payloads:
        for text, entity_type in entities_of(payload):
            if (key := entity_key(text, entity_type)) is not None:
                expected.add((post_id, key))
    result.mentions_expected = len(expected)
    result.mentions_missing = sorted(expected - mentions)
    return result
