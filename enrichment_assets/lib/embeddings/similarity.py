"""Putting vectors to use: nearest neighbours of a text, and posts that tell the same story.

Every read names one model: a query is only ever compared with vectors of the model that
encoded it, and a dimension mismatch is an error, never a silent wrong answer. The reads and
writes are `storage/embeddings.py`'s; this module ranks, groups and describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.figures import figures
from enrichment_assets.lib.common.tables import shorten
from enrichment_assets.storage import embeddings as store
from enrichment_assets.storage import embeddings_pgvector as pgvector

# Cosine similarity of two posts (all-MiniLM-L6-v2, normalised vectors) at or above which they
# may tell the same story. Measured (the test embeddings/test_threshold.py, the bundled sample):
# a repost with a channel signature 0.98, a BREAKING prefix 0.97, a light edit 0.97, a shortened
# retelling 0.81, the sample's four rewritten stories 0.72-0.89; a free paraphrase 0.62, another
# story on the same topic 0.49, an unrelated story 0.20.
NEAR_DUPLICATE_THRESHOLD = 0.70
# The model barely sees numbers: "launch delayed by 4 days" and "by 11 days" score 0.98. So two
# posts that both state figures must share at least half of the smaller set of them.
FIGURES_MIN_OVERLAP = 0.5
# Stories are retold within days; two posts further apart than this are never grouped.
NEAR_DUPLICATE_MAX_GAP = timedelta(hours=48)
_CHUNK_ROWS = 512  # rows of the similarity matrix computed at once: 512 x n float32


# --- nearest neighbours -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    entity_id: int
    score: float


def top_k(matrix: np.ndarray, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """Row indices and cosines of the k rows nearest `query` (both normalised), best first."""
    if matrix.shape[0] == 0 or k <= 0:
        return []
    scores = matrix @ query
    k = min(k, scores.shape[0])
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(int(i), float(scores[i])) for i in best]


def nearest(
    engine: Engine, entity_type: str, model: str, query: np.ndarray, k: int = 10
) -> list[Hit]:
    """The k entities whose `model` vectors are nearest `query` (encoded by that same model)."""
    query = np.asarray(query, dtype=np.float32).reshape(-1)
    with engine.begin() as connection:
        dim = store.stored_dim(connection, entity_type, model)
        if dim is None:
            return []
        if dim != query.shape[0]:
            raise ValueError(
                f"{entity_type} vectors of model {model!r} have {dim} dimensions, the query "
                f"{query.shape[0]}: re-embed with force=True"
            )
        if pgvector.index_exists(connection, entity_type, model, dim):
            found = pgvector.nearest(connection, entity_type, model, query, k)
            return [Hit(entity_id, score) for entity_id, score in found]
        ids, matrix = store.load_vectors(connection, entity_type, model)
    return [Hit(ids[index], score) for index, score in top_k(matrix, query, k)]


def describe_hits(engine: Engine, entity_type: str, hits: Sequence[Hit]) -> list[dict]:
    """What a person needs to recognise each hit, in rank order."""
    found = describe_entities(engine, entity_type, [hit.entity_id for hit in hits])
    return [{**found[hit.entity_id], "score": hit.score} for hit in hits if hit.entity_id in found]


def describe_entities(engine: Engine, entity_type: str, ids: Sequence[int]) -> dict[int, dict]:
    """id -> what a person needs to recognise a post (channel, time, text) or a dataset."""
    ids = list(ids)
    with engine.connect() as connection:
        if entity_type == "post":
            return {
                row.id: {
                    "id": row.id,
                    "channel": row.channel,
                    "published_at": row.published_at.isoformat(),
                    "title": shorten(row.text, 100),
                    "url": row.url,
                }
                for row in store.post_summaries(connection, ids)
            }
        return {
            row.id: {
                "id": row.id,
                "source": row.source,
                "external_id": row.external_id,
                "title": shorten(row.title or row.external_id, 100),
                "url": row.url,
            }
            for row in store.dataset_summaries(connection, ids)
        }


# --- near-duplicate stories -------------------------------------------------------------------


def figures_agree(first: frozenset[str], second: frozenset[str]) -> bool:
    """True unless both texts state figures and share less than FIGURES_MIN_OVERLAP of the
    smaller set: a retelling may drop figures, but does not change them."""
    if not first or not second:
        return True
    return len(first & second) / min(len(first), len(second)) >= FIGURES_MIN_OVERLAP


@dataclass(frozen=True)
class DuplicateGroup:
    """Posts from at least two channels telling one story; `group_post_id` is the first told."""

    group_post_id: int
    post_ids: tuple[int, ...]
    channel_count: int
    similarity: dict[int, float]  # each member's best cosine to another member


def near_duplicate_groups(
    post_ids: Sequence[int],
    channel_ids: Sequence[int],
    published_at: Sequence[datetime],
    matrix: np.ndarray,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
    max_gap: timedelta = NEAR_DUPLICATE_MAX_GAP,
    stated_figures: Sequence[frozenset[str]] | None = None,
) -> list[DuplicateGroup]:
    """Connected components of the graph whose edges join posts of different channels, at most
    `max_gap` apart, with cosine >= `threshold` and, given `stated_figures`, figures that agree.
    Groups come out ordered by their first post."""
    n = len(post_ids)
    if n < 2:
        return []
    channel = np.asarray(channel_ids)
    seconds = np.asarray([moment.timestamp() for moment in published_at], dtype=np.float64)
    gap = max_gap.total_seconds()
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best = np.full(n, -1.0, dtype=np.float32)
    columns = np.arange(n)
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        scores = matrix[start:stop] @ matrix.T
        rows = np.arange(start, stop)[:, None]
        edges = (
            (scores >= threshold)
            & (columns[None, :] > rows)
            & (channel[None, :] != channel[start:stop, None])
            & (np.abs(seconds[None, :] - seconds[start:stop, None]) <= gap)
        )
        for row, column in zip(*np.nonzero(edges), strict=True):
            i, j = start + int(row), int(column)
            if stated_figures is not None and not figures_agree(
                stated_figures[i], stated_figures[j]
            ):
                continue
            score = float(scores[row, column])
            best[i] = max(best[i], score)
            best[j] = max(best[j], score)
            root_i, root_j = find(i), find(j)
            if root_i != root_j:
                parent[root_j] = root_i

    members: dict[int, list[int]] = {}
    for i in range(n):
        if best[i] >= 0:
            members.setdefault(find(i), []).append(i)
    keyed = []
    for indices in members.values():
        indices.sort(key=lambda i: (seconds[i], post_ids[i]))
        first = indices[0]
        group = DuplicateGroup(
            group_post_id=int(post_ids[first]),
            post_ids=tuple(int(post_ids[i]) for i in indices),
            channel_count=len({int(channel[i]) for i in indices}),
            similarity={int(post_ids[i]): round(float(best[i]), 4) for i in indices},
        )
        keyed.append(((seconds[first], post_ids[first]), group))
    return [group for _, group in sorted(keyed, key=lambda pair: pair[0])]


@dataclass
class NearDuplicateReport:
    posts_in_window: int
    posts_compared: int
    posts_without_vector: int
    groups: list[DuplicateGroup]
    rows_written: int


def refresh_near_duplicates(
    engine: Engine,
    model: str,
    start: datetime,
    end: datetime,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
    max_gap: timedelta = NEAR_DUPLICATE_MAX_GAP,
) -> NearDuplicateReport:
    """Group the posts published in [start, end) with their retellings up to `max_gap` either
    side, and replace the window's rows of `near_duplicate_posts` under `model`.

    A long window (a backfill) is done one day at a time, each day with its own context, so
    memory stays that of a few days of posts, and each day's rows are committed on their own."""
    total = NearDuplicateReport(0, 0, 0, [], 0)
    seen_groups: set[tuple[int, ...]] = set()
    day_start = start
    while day_start < end:
        day_end = min(day_start + timedelta(days=1), end)
        day = _refresh_window(engine, model, day_start, day_end, threshold, max_gap)
        total.posts_in_window += day.posts_in_window
        total.posts_compared += day.posts_compared
        total.posts_without_vector += day.posts_without_vector
        total.rows_written += day.rows_written
        for group in day.groups:  # a group spanning midnight shows up on both days
            if group.post_ids not in seen_groups:
                seen_groups.add(group.post_ids)
                total.groups.append(group)
        day_start = day_end
    return total


def _refresh_window(
    engine: Engine,
    model: str,
    start: datetime,
    end: datetime,
    threshold: float,
    max_gap: timedelta,
) -> NearDuplicateReport:
    with engine.connect() as connection:
        points = store.posts_published_between(connection, start - max_gap, end + max_gap)
        in_window = {row.id for row in points if start <= row.published_at < end}
        # A post without text has no vector, and needs none.
        with_text = {row.id for row in points if row.id in in_window and row.text.strip()}
        ids, matrix = store.load_vectors(connection, "post", model, [row.id for row in points])
    by_id = {row.id: row for row in points}
    compared = [by_id[i] for i in ids]
    groups = near_duplicate_groups(
        [row.id for row in compared],
        [row.channel_id for row in compared],
        [row.published_at for row in compared],
        matrix,
        threshold=threshold,
        max_gap=max_gap,
        stated_figures=[figures(row.text) for row in compared],
    )
    rows = [
        {
            "post_id": post_id,
            "model": model,
            "group_post_id": group.group_post_id,
            "group_size": len(group.post_ids),
            "channel_count": group.channel_count,
            "similarity": group.similarity[post_id],
        }
        for group in groups
        for post_id in group.post_ids
        if post_id in in_window
    ]
    with engine.begin() as connection:
        written = store.replace_near_duplicates(connection, model, start, end, rows)
    in_window_vectors = sum(1 for i in ids if i in in_window)
    return NearDuplicateReport(
        posts_in_window=len(in_window),
        posts_compared=len(ids),
        posts_without_vector=len(with_text) - in_window_vectors,
        groups=[group for group in groups if in_window.intersection(group.post_ids)],
        rows_written=written,
    )
