"""The Alembic revisions form one linear chain, and it builds exactly the schema of tables.py.

A second head appears when two branches each add a revision on top of the same parent; alembic
then needs "heads" and applies the branches in an order nobody chose. Each new revision must
revise the last one instead.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from enrichment_assets.storage.migrate import script_directory
from enrichment_assets.storage.tables import metadata


def test_there_is_exactly_one_head():
    heads = script_directory().get_heads()
    assert len(heads) == 1, f"several heads {heads}: make the newest revision revise the last one"


def test_the_chain_runs_linearly_from_base_to_head_in_file_order():
    scripts = script_directory()
    (base,) = scripts.get_bases()
    (head,) = scripts.get_heads()

    chain = []
    revision = scripts.get_revision(base)
    while True:
        chain.append(revision)
        assert not revision.is_merge_point, f"{revision.revision} merges branches"
        assert len(revision.nextrev) <= 1, f"{revision.revision} is revised twice"
        if not revision.nextrev:
            break
        (following,) = revision.nextrev
        revision = scripts.get_revision(following)
    assert chain[-1].revision == head
    assert len(chain) == len(list(scripts.walk_revisions())), "a revision is off the chain"

    # Files are numbered in chain order, and each file's name starts with its revision id.
    for number, revision in enumerate(chain, start=1):
        name = Path(revision.path).name
        assert name.startswith(f"{number:04d}"), f"{name} is revision number {number}"
        assert name.startswith(revision.revision), f"{name} holds revision {revision.revision}"
        assert re.fullmatch(r"\d{4}(_\w+)?", revision.revision)


def test_migrations_build_exactly_the_declared_tables(engine):
    """On SQLite and PostgreSQL alike: no table, column, type or index differs from tables.py."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
