"""code graph: repositories, files, nodes, edges, index progress; row-level security per tenant

Revision ID: 0007_code_graph
Revises: 0006_articles

On PostgreSQL the five tables get row-level security, enabled and forced, with one policy each:
a row is visible and writable only when its `tenant_id` equals the transaction's
`app.tenant_id` setting. The role `code_graph_app` (no login, no superuser, no BYPASSRLS) holds
the grants; `storage.code_graph.tenant_transaction` switches to it, so the policies apply even
when the application connects as the tables' owner or a superuser. SQLite gets the tables only.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007_code_graph"
down_revision = "0006_articles"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

ROLE = "code_graph_app"
TABLES = ("code_repositories", "code_files", "code_nodes", "code_edges", "code_index_progress")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def _tenant_columns() -> list[sa.Column]:
    return [
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("repository_id", sa.String(length=40), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "code_repositories",
        *_tenant_columns(),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=True),
        sa.Column("indexed_revision", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="registered", nullable=False),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.Column("parsed_last_run", sa.Integer(), server_default="0", nullable=False),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("edges_stale", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_repositories")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            name=op.f("uq_code_repositories_tenant_id_repository_id"),
        ),
    )
    op.create_table(
        "code_files",
        *_tenant_columns(),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("parsed_sha256", sa.String(length=64), nullable=True),
        sa.Column("parser_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("refs", _JSON, nullable=False),
        sa.Column("edges_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_files")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "path",
            name=op.f("uq_code_files_tenant_id_repository_id_path"),
        ),
    )
    op.create_table(
        "code_nodes",
        *_tenant_columns(),
        sa.Column("node_key", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("qualified_name", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_line", sa.Integer(), nullable=False),
        sa.Column("end_line", sa.Integer(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("docstring", sa.Text(), nullable=True),
        sa.Column("parent_key", sa.Text(), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("embedding_model", sa.String(length=256), nullable=True),
        sa.Column("embedding_hash", sa.String(length=64), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_nodes")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "node_key",
            name=op.f("uq_code_nodes_tenant_id_repository_id_node_key"),
        ),
    )
    op.create_index(
        op.f("ix_code_nodes_tenant_id_repository_id_path"),
        "code_nodes",
        ["tenant_id", "repository_id", "path"],
        unique=False,
    )
    op.create_table(
        "code_edges",
        *_tenant_columns(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("target_key", sa.Text(), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("target_path", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_edges")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "kind",
            "source_key",
            "target_key",
            name=op.f("uq_code_edges_edge"),
        ),
    )
    op.create_index(
        op.f("ix_code_edges_tenant_id_repository_id_source_path"),
        "code_edges",
        ["tenant_id", "repository_id", "source_path"],
        unique=False,
    )
    op.create_index(
        op.f("ix_code_edges_tenant_id_repository_id_target_path"),
        "code_edges",
        ["tenant_id", "repository_id", "target_path"],
        unique=False,
    )
    op.create_table(
        "code_index_progress",
        *_tenant_columns(),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("seconds", sa.Float(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=16), server_default="waiting", nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_index_progress")),
        sa.UniqueConstraint(
            "tenant_id",
            "repository_id",
            "phase",
            name=op.f("uq_code_index_progress_tenant_id_repository_id_phase"),
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def _row_level_security() -> None:
    # Roles are cluster-wide: the role may exist already (another database of the cluster, a
    # re-run after a downgrade), or another database's migration may be creating it right now,
    # which surfaces as duplicate_object or, racing on pg_authid's index, unique_violation.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
                CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END
        $$
        """
    )
    # SET ROLE needs membership: a superuser has it anyway, an ordinary owner gets it here.
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
                EXECUTE format('GRANT {ROLE} TO %I', current_user);
            END IF;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        # FORCE: the tables' owner is held to the policy too (only superusers and BYPASSRLS
        # roles are not, which is why the code switches to the role).
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {table}_tenant ON {table} "
            "USING (tenant_id = current_setting('app.tenant_id', true)) "
            "WITH CHECK (tenant_id = current_setting('app.tenant_id', true))"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The role stays: it is cluster-wide, and other databases may use it. The grants go
        # with the tables.
        for table in TABLES:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant ON {table}")
    op.drop_table("code_index_progress")
    op.drop_index(
        op.f("ix_code_edges_tenant_id_repository_id_target_path"), table_name="code_edges"
    )
    op.drop_index(
        op.f("ix_code_edges_tenant_id_repository_id_source_path"), table_name="code_edges"
    )
    op.drop_table("code_edges")
    op.drop_index(op.f("ix_code_nodes_tenant_id_repository_id_path"), table_name="code_nodes")
    op.drop_table("code_nodes")
    op.drop_table("code_files")
    op.drop_table("code_repositories")
