"""The articles domain's SQL: requests, articles and what each stage wrote (sources, sections,
claims, the stage log), and the posts and pages research reads.

Every write is an upsert on the natural key, or a replace of one article's rows in one
transaction (a stage's output is all or nothing: a killed stage leaves the previous output or
none, never half of one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.tables import (
    article_claims,
    article_requests,
    article_sections,
    article_sources,
    article_stage_log,
    articles,
    channels,
    embeddings,
    near_duplicate_posts,
    post_enrichment,
    posts,
)
from enrichment_assets.storage.upsert import upsert

_SLUG_WORDS = 6
_SLUG_CHARS = 40


def _now() -> datetime:
    return datetime.now(UTC)


def slug(topic: str) -> str:
    """The topic as a short URL-safe slug: ascii, lowercase, words joined by "-"."""
    ascii_text = unicodedata.normalize("NFKD", topic).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())[:_SLUG_WORDS]
    return "-".join(words)[:_SLUG_CHARS].strip("-") or "topic"


# --- requests ---------------------------------------------------------------------------------


def create_request(
    engine: Engine,
    *,
    topic: str,
    keywords: Sequence[str],
    priority: str,
    requested_by: str,
    status: str,
    story_key: str | None = None,
    reason: str | None = None,
) -> Row:
    """A new request, its partition key `r<id>-<slug>`. With `story_key`, a request already made
    for that story is returned as it is (a story is proposed once)."""
    with engine.begin() as connection:
        if story_key is not None:
            existing = connection.execute(
                sa.select(article_requests).where(article_requests.c.story_key == story_key)
            ).one_or_none()
            if existing is not None:
                return existing
        placeholder = f"new-{_now().timestamp()}-{id(topic)}"
        request_id = connection.execute(
            sa.insert(article_requests)
            .values(
                partition_key=placeholder[:64],
                topic=topic,
                keywords=list(keywords),
                status=status,
                priority=priority,
                requested_by=requested_by,
                story_key=story_key,
                reason=reason,
                decided_at=_now() if status != "pending" else None,
            )
            .returning(article_requests.c.id)
        ).scalar_one()
        connection.execute(
            sa.update(article_requests)
            .where(article_requests.c.id == request_id)
            .values(partition_key=f"r{request_id}-{slug(topic)}")
        )
        return connection.execute(
            sa.select(article_requests).where(article_requests.c.id == request_id)
        ).one()


def get_request(connection: Connection, partition_key: str) -> Row | None:
    return connection.execute(
        sa.select(article_requests).where(article_requests.c.partition_key == partition_key)
    ).one_or_none()


def list_requests(connection: Connection, status: str | None = None) -> list[Row]:
    query = sa.select(article_requests).order_by(article_requests.c.id)
    if status is not None:
        query = query.where(article_requests.c.status == status)
    return list(connection.execute(query))


def story_keys(connection: Connection) -> set[str]:
    """The stories already proposed (whatever became of their requests)."""
    return set(
        connection.execute(
            sa.select(article_requests.c.story_key).where(article_requests.c.story_key.is_not(None))
        ).scalars()
    )


def decide_request(engine: Engine, partition_key: str, status: str, reason: str | None) -> int:
    """Approve or reject a request; returns the rows changed (0: no such request)."""
    with engine.begin() as connection:
        return connection.execute(
            sa.update(article_requests)
            .where(article_requests.c.partition_key == partition_key)
            .values(status=status, reason=reason, decided_at=_now(), updated_at=_now())
        ).rowcount


def bump_version(engine: Engine, partition_key: str) -> int:
    """Start a new version of the request's article (regenerate); returns the new version."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(article_requests)
            .where(article_requests.c.partition_key == partition_key)
            .values(version=article_requests.c.version + 1, updated_at=_now())
        )
        return connection.execute(
            sa.select(article_requests.c.version).where(
                article_requests.c.partition_key == partition_key
            )
        ).scalar_one()


def requests_to_run(connection: Connection) -> list[Row]:
    """Approved requests whose current version has no article yet, or one still `queued`."""
    joined = article_requests.outerjoin(
        articles,
        sa.and_(
            articles.c.request_id == article_requests.c.id,
            articles.c.version == article_requests.c.version,
        ),
    )
    return list(
        connection.execute(
            sa.select(article_requests)
            .select_from(joined)
            .where(
                article_requests.c.status == "approved",
                sa.or_(articles.c.id.is_(None), articles.c.status == "queued"),
            )
            .order_by(article_requests.c.id)
        )
    )


# --- articles ---------------------------------------------------------------------------------


def ensure_article(engine: Engine, request_id: int, version: int) -> Row:
    """The article of (request, version), created `queued` when it does not exist yet."""
    with engine.begin() as connection:
        upsert(
            connection,
            articles,
            [{"request_id": request_id, "version": version, "status": "queued"}],
            key=["request_id", "version"],
            update=[],
        )
        return connection.execute(
            sa.select(articles).where(
                articles.c.request_id == request_id, articles.c.version == version
            )
        ).one()


def get_article(connection: Connection, request_id: int, version: int) -> Row | None:
    return connection.execute(
        sa.select(articles).where(
            articles.c.request_id == request_id, articles.c.version == version
        )
    ).one_or_none()


def update_article(engine: Engine, article_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(articles)
            .where(articles.c.id == article_id)
            .values(**values, updated_at=_now())
        )


def list_articles(connection: Connection) -> list[Row]:
    """Every article with its request's key and topic, newest request first."""
    return list(
        connection.execute(
            sa.select(
                article_requests.c.partition_key,
                article_requests.c.topic,
                articles.c.version,
                articles.c.status,
                articles.c.stage,
                articles.c.title,
                articles.c.cost_usd,
                articles.c.updated_at,
            )
            .select_from(articles.join(article_requests))
            .order_by(article_requests.c.id.desc(), articles.c.version.desc())
        )
    )


# --- what the stages wrote ----------------------------------------------------------------------


def _replace(
    connection: Connection, table: sa.Table, article_id: int, rows: Sequence[Mapping[str, Any]]
) -> None:
    connection.execute(sa.delete(table).where(table.c.article_id == article_id))
    if rows:
        connection.execute(sa.insert(table), [{**row, "article_id": article_id} for row in rows])


def _rows_of(connection: Connection, table: sa.Table, article_id: int, order) -> list[Row]:
    return list(
        connection.execute(sa.select(table).where(table.c.article_id == article_id).order_by(order))
    )


def sources_of(connection: Connection, article_id: int) -> list[Row]:
    return _rows_of(connection, article_sources, article_id, article_sources.c.n)


def sections_of(connection: Connection, article_id: int) -> list[Row]:
    return _rows_of(connection, article_sections, article_id, article_sections.c.position)


def claims_of(connection: Connection, article_id: int) -> list[Row]:
    return _rows_of(connection, article_claims, article_id, article_claims.c.position)


def stage_log_of(connection: Connection, article_id: int) -> list[Row]:
    return _rows_of(connection, article_stage_log, article_id, article_stage_log.c.id)


def stage_entry(connection: Connection, article_id: int, stage: str) -> Row | None:
    return connection.execute(
        sa.select(article_stage_log).where(
            article_stage_log.c.article_id == article_id, article_stage_log.c.stage == stage
        )
    ).one_or_none()


def finish_stage(
    engine: Engine,
    article_id: int,
    stage: str,
    log: Mapping[str, Any],
    *,
    sources: Sequence[Mapping[str, Any]] | None = None,
    sections: Sequence[Mapping[str, Any]] | None = None,
    claims: Sequence[Mapping[str, Any]] | None = None,
    article: Mapping[str, Any] | None = None,
) -> None:
    """In one transaction: the stage's output rows (each given table replaced for the article),
    the article's columns, and the stage's log row (upserted on (article, stage))."""
    with engine.begin() as connection:
        for table, rows in (
            (article_sources, sources),
            (article_sections, sections),
            (article_claims, claims),
        ):
            if rows is not None:
                _replace(connection, table, article_id, rows)
        if article:
            connection.execute(
                sa.update(articles)
                .where(articles.c.id == article_id)
                .values(**article, updated_at=_now())
            )
        _log(connection, article_id, stage, log)


def log_stage(engine: Engine, article_id: int, stage: str, log: Mapping[str, Any]) -> None:
    with engine.begin() as connection:
        _log(connection, article_id, stage, log)


def _log(connection: Connection, article_id: int, stage: str, log: Mapping[str, Any]) -> None:
    upsert(
        connection,
        article_stage_log,
        [{**log, "article_id": article_id, "stage": stage}],
        key=["article_id", "stage"],
    )


def set_article_numbers(engine: Engine, article_id: int, numbering: Mapping[int, int]) -> None:
    """Record the number the finished article cites each research source by."""
    with engine.begin() as connection:
        connection.execute(
            sa.update(article_sources)
            .where(article_sources.c.article_id == article_id)
            .values(article_n=None)
        )
        for n, article_n in numbering.items():
            connection.execute(
                sa.update(article_sources)
                .where(article_sources.c.article_id == article_id, article_sources.c.n == n)
                .values(article_n=article_n)
            )


def article_spend(connection: Connection, article_id: int) -> tuple[float, int]:
    """(cost in USD, total tokens) of every stage of the article so far."""
    row = connection.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(article_stage_log.c.cost_usd), 0.0),
            sa.func.coalesce(
                sa.func.sum(
                    article_stage_log.c.prompt_tokens + article_stage_log.c.completion_tokens
                ),
                0,
            ),
        ).where(article_stage_log.c.article_id == article_id)
    ).one()
    return float(row[0]), int(row[1])


# --- what research reads ------------------------------------------------------------------------


def post_candidates(connection: Connection, model: str) -> list[Row]:
    """Every post with text and a vector under `model`: id, channel title, text, vector."""
    return list(
        connection.execute(
            sa.select(
                posts.c.id.label("post_id"),
                sa.func.coalesce(channels.c.title, channels.c.handle).label("channel"),
                posts.c.text,
                embeddings.c.vector,
            )
            .select_from(
                posts.join(channels, channels.c.id == posts.c.channel_id).join(
                    embeddings,
                    sa.and_(
                        embeddings.c.entity_type == "post",
                        embeddings.c.entity_id == posts.c.id,
                        embeddings.c.model == model,
                    ),
                )
            )
            .where(posts.c.text.is_not(None), posts.c.text != "")
            .order_by(posts.c.id)
        )
    )


def crawl_payloads(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """(post_id, payload) of the crawls of `post_ids` (pages fetched from their links)."""
    if not post_ids:
        return []
    return list(
        connection.execute(
            sa.select(post_enrichment.c.post_id, post_enrichment.c.payload).where(
                post_enrichment.c.kind == "crawl",
                post_enrichment.c.post_id.in_(list(post_ids)),
            )
        )
    )


def story_groups(connection: Connection, model: str, min_channels: int) -> list[Row]:
    """Stories told by at least `min_channels` channels: one row per member post, with its
    group, channel, text and publish time, in group order."""
    return list(
        connection.execute(
            sa.select(
                near_duplicate_posts.c.group_post_id,
                near_duplicate_posts.c.channel_count,
                posts.c.id.label("post_id"),
                posts.c.text,
                posts.c.published_at,
                sa.func.coalesce(channels.c.title, channels.c.handle).label("channel"),
            )
            .select_from(
                near_duplicate_posts.join(posts, posts.c.id == near_duplicate_posts.c.post_id).join(
                    channels, channels.c.id == posts.c.channel_id
                )
            )
            .where(
                near_duplicate_posts.c.model == model,
                near_duplicate_posts.c.channel_count >= min_channels,
            )
            .order_by(near_duplicate_posts.c.group_post_id, posts.c.published_at, posts.c.id)
        )
    )


def post_keywords(connection: Connection, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """The enrichment keywords of `post_ids` (kind `llm`, completed)."""
    if not post_ids:
        return {}
    rows = connection.execute(
        sa.select(post_enrichment.c.post_id, post_enrichment.c.payload).where(
            post_enrichment.c.kind == "llm",
            post_enrichment.c.status == "completed",
            post_enrichment.c.post_id.in_(list(post_ids)),
        )
    )
    return {row.post_id: list((row.payload or {}).get("keywords") or []) for row in rows}
