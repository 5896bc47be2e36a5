"""On PostgreSQL the database itself keeps tenants apart: under the role `code_graph_app`, row-level
security shows and accepts only the rows of the transaction's `app.tenant_id`, whatever the SQL
asks for, and `tenant_transaction` is what switches to that role.

The test connects as a superuser (as the tests and many deployments do), which row-level security
never binds; so the role switch, not the connection's user, is what these tests prove matters.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from enrichment_assets.storage.code_graph import (
    CODE_GRAPH_ROLE,
    CODE_TABLES,
    record_manifest,
    register_repository,
    tenant_transaction,
)
from enrichment_assets.storage.code_graph_nodes import replace_file_edges, replace_file_graph
from enrichment_assets.storage.code_graph_status import set_progress
from enrichment_assets_tests.code_graph.test_storage import FP, Seen, function, module
from enrichment_assets_tests.support.databases import (
    POSTGRES_HOST,
    drop_postgres_database,
    new_postgres_database,
)

pytestmark = pytest.mark.postgres

A, B, REPO = "a", "b", "shop"
TABLE_NAMES = [table.name for table in CODE_TABLES]


@pytest.fixture
def database_url(postgres_template):
    """PostgreSQL only (the root conftest's `engine` builds on this)."""
    name = new_postgres_database(postgres_template)
    try:
        yield f"postgresql+psycopg://{POSTGRES_HOST}/{name}"
    finally:
        drop_postgres_database(name)


def populate(engine, tenant: str) -> None:
    """A row in each of the five tables, written through the API."""
    register_repository(engine, tenant, REPO, f"/src/{tenant}", "git")
    record_manifest(engine, tenant, REPO, [Seen("m.py", "1")], fingerprint=FP)
    nodes = [module("m.py", "m"), function("m.py", "m", "f", 2)]
    replace_file_graph(
        engine,
        tenant,
        REPO,
        "m.py",
        sha256="1",
        fingerprint=FP,
        language="python",
        nodes=nodes,
        refs=[],
    )
    replace_file_edges(engine, tenant, REPO, "m.py", [("CONTAINS", "m.py::m", "m.py::m.f")], "h")
    set_progress(engine, tenant, REPO, "run", "parse", 1, 1, 0.1)


@pytest.fixture
def both(engine):
    populate(engine, A)
    populate(engine, B)
    return engine


def rows_by_tenant(connection: sa.Connection) -> dict[str, dict[str, int]]:
    """Per table, the rows this connection can see, by tenant."""
    seen = {}
    for name in TABLE_NAMES:
        query = f"SELECT tenant_id, count(*) FROM {name} GROUP BY tenant_id"
        seen[name] = dict(connection.exec_driver_sql(query).all())
    return seen


def as_role(connection: sa.Connection, tenant: str | None) -> None:
    connection.exec_driver_sql(f"SET LOCAL ROLE {CODE_GRAPH_ROLE}")
    if tenant is not None:
        connection.execute(sa.select(sa.func.set_config("app.tenant_id", tenant, True)))


def test_the_superuser_without_the_role_sees_every_tenant_even_with_a_tenant_set(both):
    with both.begin() as connection:
        connection.execute(sa.select(sa.func.set_config("app.tenant_id", B, True)))
        seen = rows_by_tenant(connection)
    assert all(set(by_tenant) == {A, B} for by_tenant in seen.values()), seen


def test_under_the_role_tenant_b_sees_only_its_own_rows_in_all_five_tables(both):
    with both.begin() as connection:
        as_role(connection, B)
        seen = rows_by_tenant(connection)
        # Asking for A's rows outright finds none either.
        for name in TABLE_NAMES:
            query = f"SELECT count(*) FROM {name} WHERE tenant_id = 'a'"
            assert connection.exec_driver_sql(query).scalar_one() == 0, name
    assert all(set(by_tenant) == {B} for by_tenant in seen.values()), seen


def test_under_the_role_with_no_tenant_set_nothing_is_visible(both):
    with both.begin() as connection:
        as_role(connection, None)
        assert rows_by_tenant(connection) == {name: {} for name in TABLE_NAMES}


def test_under_the_role_another_tenants_rows_can_be_neither_written_nor_changed(both):
    insert = (
        "INSERT INTO code_index_progress (tenant_id, repository_id, phase) "
        "VALUES ('a', 'intruder', 'walk')"
    )
    refused = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
    with refused, both.begin() as connection:
        as_role(connection, B)
        connection.exec_driver_sql(insert)
    # Moving one's own row over to another tenant is refused as well (WITH CHECK on UPDATE).
    refused = pytest.raises(sa.exc.ProgrammingError, match="row-level security")
    with refused, both.begin() as connection:
        as_role(connection, B)
        connection.exec_driver_sql("UPDATE code_repositories SET tenant_id = 'a'")
    with both.begin() as connection:
        as_role(connection, B)
        for name in TABLE_NAMES:
            update = f"UPDATE {name} SET repository_id = 'x' WHERE tenant_id = 'a'"
            assert connection.exec_driver_sql(update).rowcount == 0, name
            delete = f"DELETE FROM {name} WHERE tenant_id = 'a'"
            assert connection.exec_driver_sql(delete).rowcount == 0, name
    with both.begin() as connection:
        assert all(by_tenant.get(A) for by_tenant in rows_by_tenant(connection).values())


def test_tenant_transaction_runs_as_the_role_with_the_tenant_set_for_that_transaction_only(both):
    with tenant_transaction(both, B) as connection:
        user, session_user, tenant = connection.execute(
            sa.text("SELECT current_user, session_user, current_setting('app.tenant_id')")
        ).one()
        seen = rows_by_tenant(connection)
    assert (user, tenant) == (CODE_GRAPH_ROLE, B)
    assert session_user != CODE_GRAPH_ROLE  # the connection's own user, a superuser here
    assert all(set(by_tenant) == {B} for by_tenant in seen.values()), seen
    with tenant_transaction(both, B, read_only=True) as connection:
        assert connection.execute(sa.text("SELECT current_user")).scalar_one() == CODE_GRAPH_ROLE

    # Pooled connections come back as they were: the role and the tenant were LOCAL.
    with both.connect() as connection:
        user, tenant = connection.execute(
            sa.text("SELECT current_user, current_setting('app.tenant_id', true)")
        ).one()
    assert user == session_user and not tenant


def test_the_role_cannot_log_in_or_bypass_the_policies_and_every_table_forces_them(engine):
    with engine.connect() as connection:
        role = connection.execute(
            sa.text(
                "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :role"
            ),
            {"role": CODE_GRAPH_ROLE},
        ).one()
        tables = connection.execute(
            sa.text(
                "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                "WHERE relname = ANY(:names) AND relkind = 'r'"
            ),
            {"names": TABLE_NAMES},
        ).all()
        policies = connection.execute(
            sa.text(
                "SELECT tablename, qual, with_check FROM pg_policies WHERE tablename = ANY(:n)"
            ),
            {"n": TABLE_NAMES},
        ).all()
    assert tuple(role) == (False, False, False)
    assert sorted(tables) == sorted((name, True, True) for name in TABLE_NAMES)
    assert sorted(p.tablename for p in policies) == sorted(TABLE_NAMES)
    for policy in policies:
        assert "current_setting('app.tenant_id'" in policy.qual
        assert policy.with_check == policy.qual
