"""The storage layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from enrichment_assets.storage import create_database_engine, upgrade_to_head, upsert
from enrichment_assets.storage.migrate import _heads, current_revisions
from enrichment_assets.storage.tables import channels, metadata


def test_migrations_create_every_table(engine):
    names = set(sa.inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= names
    assert current_revisions(engine) == _heads()


def test_migrations_are_idempotent_and_safe_when_processes_start_together(database_url):
    # Fresh engines (as separate processes would have) race to migrate the same database.
    from enrichment_assets.storage import migrate

    errors: list[BaseException] = []

    def start() -> None:
        try:
            engine = create_database_engine(database_url)
            migrate._migrated.discard(engine.url.render_as_string(hide_password=False))
            upgrade_to_head(engine)
            engine.dispose()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    engine = create_database_engine(database_url)
    assert current_revisions(engine) == _heads()


def test_upsert_inserts_then_updates_on_the_natural_key(engine):
    with engine.begin() as connection:
        upsert(connection, channels, [{"source": "telegram", "handle": "1", "title": "A"}],
               key=["source", "handle"])  # fmt: skip
        upsert(connection, channels, [{"source": "telegram", "handle": "1", "title": "B"}],
               key=["source", "handle"])  # fmt: skip
        rows = connection.execute(sa.select(channels.c.handle, channels.c.title)).all()
    assert rows == [("1", "B")]


def test_upsert_only_if_changed_leaves_unchanged_rows_untouched(engine):
    with engine.begin() as connection:
        upsert(connection, channels, [{"source": "s", "handle": "h", "title": "T"}],
               key=["source", "handle"], only_if_changed=["title"])  # fmt: skip
        connection.execute(channels.update().values(updated_at=datetime(2000, 1, 1, tzinfo=UTC)))
        upsert(connection, channels, [{"source": "s", "handle": "h", "title": "T"}],
               key=["source", "handle"], only_if_changed=["title"])  # fmt: skip
        unchanged = connection.execute(sa.select(channels.c.updated_at)).scalar_one()
        upsert(connection, channels, [{"source": "s", "handle": "h", "title": "T2"}],
               key=["source", "handle"], only_if_changed=["title"])  # fmt: skip
        changed = connection.execute(sa.select(channels.c.updated_at)).scalar_one()
    assert unchanged == datetime(2000, 1, 1, tzinfo=UTC)
    assert changed > unchanged


def test_upsert_with_nothing_to_update_leaves_existing_rows_untouched(engine):
    with engine.begin() as connection:
        upsert(connection, channels, [{"source": "s", "handle": "h", "title": "T"}],
               key=["source", "handle"])  # fmt: skip
        connection.execute(channels.update().values(updated_at=datetime(2000, 1, 1, tzinfo=UTC)))
        upsert(connection, channels, [{"source": "s", "handle": "h", "title": "other"},
                                      {"source": "s", "handle": "new", "title": "N"}],
               key=["source", "handle"], update=[])  # fmt: skip
        rows = connection.execute(
            sa.select(channels.c.handle, channels.c.title, channels.c.updated_at).order_by("handle")
        ).all()
    assert [(h, t) for h, t, _ in rows] == [("h", "T"), ("new", "N")]
    assert rows[0].updated_at == datetime(2000, 1, 1, tzinfo=UTC)


def test_timestamps_come_back_in_utc_and_naive_ones_are_refused(engine):
    with engine.begin() as connection:
        connection.execute(channels.insert().values(source="s", handle="h"))
        created = connection.execute(sa.select(channels.c.created_at)).scalar_one()
        assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            connection.execute(channels.update().values(updated_at=datetime(2024, 1, 1)))
