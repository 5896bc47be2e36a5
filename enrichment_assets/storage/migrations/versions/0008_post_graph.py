"""post graph: graph_nodes, graph_edges, entity_trends

Revision ID: 0008_post_graph
Revises: 0007_code_graph
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_post_graph"
down_revision = "0007_code_graph"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_TIME = sa.DateTime(timezone=True)


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", _TIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", _TIME, server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "graph_nodes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=True),
        sa.Column("name_key", sa.String(length=1024), nullable=True),
        sa.Column("ref_id", _ID, nullable=True),
        sa.Column("aliases", _JSON, nullable=True),
        sa.Column("first_seen", _TIME, nullable=True),
        sa.Column("last_seen", _TIME, nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_nodes")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_graph_nodes_kind_key")),
    )
    op.create_index(op.f("ix_graph_nodes_kind_name_key"), "graph_nodes", ["kind", "name_key"])
    op.create_index(op.f("ix_graph_nodes_kind_ref_id"), "graph_nodes", ["kind", "ref_id"])

    op.create_table(
        "graph_edges",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", _ID, nullable=False),
        sa.Column("target_id", _ID, nullable=False),
        sa.Column("weight", sa.Float(), server_default="1", nullable=False),
        sa.Column("post_id", _ID, nullable=True),
        sa.Column("seen_at", _TIME, nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["graph_nodes.id"],
            name=op.f("fk_graph_edges_source_id_graph_nodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["graph_nodes.id"],
            name=op.f("fk_graph_edges_target_id_graph_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_graph_edges")),
        sa.UniqueConstraint(
            "kind", "source_id", "target_id", name=op.f("uq_graph_edges_kind_source_id_target_id")
        ),
    )
    op.create_index(
        op.f("ix_graph_edges_target_id_kind_seen_at_source_id"),
        "graph_edges",
        ["target_id", "kind", "seen_at", "source_id"],
    )
    op.create_index(op.f("ix_graph_edges_source_id"), "graph_edges", ["source_id"])
    op.create_index(op.f("ix_graph_edges_post_id"), "graph_edges", ["post_id"])
    op.create_index(
        op.f("ix_graph_edges_kind_seen_at_target_id"),
        "graph_edges",
        ["kind", "seen_at", "target_id"],
    )

    op.create_table(
        "entity_trends",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("node_id", _ID, nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=True),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=False),
        sa.Column("channels", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["graph_nodes.id"],
            name=op.f("fk_entity_trends_node_id_graph_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "window_days", "node_id", name=op.f("pk_entity_trends")),
    )


def downgrade() -> None:
    op.drop_table("entity_trends")
    for index in (
        "ix_graph_edges_kind_seen_at_target_id",
        "ix_graph_edges_post_id",
        "ix_graph_edges_source_id",
        "ix_graph_edges_target_id_kind_seen_at_source_id",
    ):
        op.drop_index(op.f(index), table_name="graph_edges")
    op.drop_table("graph_edges")
    op.drop_index(op.f("ix_graph_nodes_kind_ref_id"), table_name="graph_nodes")
    op.drop_index(op.f("ix_graph_nodes_kind_name_key"), table_name="graph_nodes")
    op.drop_table("graph_nodes")
