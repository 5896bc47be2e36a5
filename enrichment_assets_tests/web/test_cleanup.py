"""`storage_cleanup`: expired cache rows and orphans go, the rest stays; a dry run counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from enrichment_assets.defs.web.assets import storage_cleanup
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage.tables import (
    embeddings,
    http_cache,
    link_citations,
    links,
    post_enrichment,
    posts,
)
from enrichment_assets_tests.support.factories import insert_dataset, insert_post


def vector(entity_type: str, entity_id: int) -> dict:
    return {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "model": "m",
        "dim": 1,
        "content_hash": "h",
        "vector": b"\x00\x00\x00\x00",
    }


def cache_row(key: str, expires_at: datetime) -> dict:
    return {
        "url_hash": key,
        "url": f"https://x.example/{key}",
        "outcome": "ok",
        "status_code": 200,
        "fetched_at": expires_at - timedelta(days=1),
        "expires_at": expires_at,
    }


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def delete_post_bypassing_foreign_keys(engine, post_id: int) -> None:
    """Orphans arise where a delete bypassed the foreign keys (a manual fix, a restore)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # autocommit: the pragma only works outside a transaction
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute("DELETE FROM posts WHERE id = ?", (post_id,))
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.execute(posts.delete().where(posts.c.id == post_id))


def test_cleanup_removes_expired_cache_and_orphans_only(database_url, engine):
    now = datetime.now(UTC)
    kept_post = insert_post(engine, "kept", external_id="1")
    gone_post = insert_post(engine, "gone", external_id="2")
    kept_dataset = insert_dataset(engine, "huggingface", "org/kept")
    with engine.begin() as connection:
        connection.execute(
            http_cache.insert(),
            [
                cache_row("old", now - timedelta(hours=1)),
                cache_row("fresh", now + timedelta(hours=1)),
            ],
        )
        connection.execute(
            embeddings.insert(),
            [
                vector("post", kept_post),
                vector("post", gone_post),
                vector("dataset", kept_dataset),
                vector("dataset", 999),
            ],
        )
        connection.execute(
            post_enrichment.insert(),
            [
                {"post_id": kept_post, "kind": "crawl", "status": "completed"},
                {"post_id": gone_post, "kind": "crawl", "status": "completed"},
            ],
        )
        cited = connection.execute(
            links.insert().values(url="https://a.example/")
        ).inserted_primary_key[0]
        orphan_link = connection.execute(
            links.insert().values(url="https://b.example/")
        ).inserted_primary_key[0]
        connection.execute(
            link_citations.insert(),
            [
                {"link_id": cited, "entity_type": "post", "entity_id": kept_post},
                {"link_id": orphan_link, "entity_type": "post", "entity_id": gone_post},
            ],
        )
    delete_post_bypassing_foreign_keys(engine, gone_post)

    def run(dry_run: bool):
        result = dg.materialize(
            [storage_cleanup],
            resources={"db": DatabaseResource(url=database_url)},
            run_config={"ops": {"storage_cleanup": {"config": {"dry_run": dry_run}}}},
        )
        assert result.success
        return result.asset_materializations_for_node("storage_cleanup")[0].metadata

    expected = {
        "expired_cache_rows": 1,
        "orphan_post_embeddings": 1,
        "orphan_dataset_embeddings": 1,
        "orphan_post_enrichment": 1,
        "orphan_post_citations": 1,
        "orphan_dataset_citations": 0,
    }
    dry = run(dry_run=True)
    assert {name: dry[name].value for name in expected} == expected
    assert count(engine, embeddings) == 4 and count(engine, http_cache) == 2

    done = run(dry_run=False)
    assert {name: done[name].value for name in expected} == expected
    assert done["uncited_links"].value == 1  # the orphan citation went first, then its link
    assert count(engine, embeddings) == 2 and count(engine, http_cache) == 1
    assert count(engine, post_enrichment) == 1 and count(engine, links) == 1

    again = run(dry_run=False)
    assert again["dagster/row_count"].value == 0
