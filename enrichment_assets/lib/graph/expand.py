"""Search hits, expanded by one hop of the post graph: the posts related to each hit (the same
story, shared entities and tags), each added once, marked with the hit that brought it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from enrichment_assets.lib.graph.queries import UnknownPost, related_posts


@dataclass(frozen=True)
class ExpandedPost:
    post_id: int
    score: float
    channel: str
    published_at: datetime
    text: str
    why: list[str]
    via_rank: int  # 1-based rank of the hit it came from


def expand_hits(engine: Engine, hit_ids: Sequence[int], per_hit: int) -> list[ExpandedPost] | None:
    """Up to `per_hit` related posts for each hit, best hit first, never a hit or a post twice;
    None when no hit is in the graph (post_graph not materialized for their days)."""
    seen = set(hit_ids)
    added: list[ExpandedPost] = []
    in_graph = False
    for rank, hit_id in enumerate(hit_ids, start=1):
        try:
            related = related_posts(engine, hit_id, limit=per_hit + len(seen))
        except UnknownPost:
            continue
        in_graph = True
        taken = 0
        for post in related:
            if post.post_id in seen or taken == per_hit:
                continue
            seen.add(post.post_id)
            taken += 1
            added.append(
                ExpandedPost(
                    post.post_id,
                    post.score,
                    post.channel,
                    post.published_at,
                    post.text,
                    list(post.why),
                    rank,
                )
            )
    return added if in_graph else None
