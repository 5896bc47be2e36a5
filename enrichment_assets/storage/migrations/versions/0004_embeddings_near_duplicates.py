"""near_duplicate_posts: posts telling the same story as posts of other channels

Revision ID: 0004_embeddings
Revises: 0003_catalog
Create Date: 2026-11-22 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_embeddings"
down_revision = "0003_catalog"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "near_duplicate_posts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("post_id", _ID, nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("group_post_id", _ID, nullable=False),
        sa.Column("group_size", sa.Integer(), nullable=False),
        sa.Column("channel_count", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_near_duplicate_posts_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_near_duplicate_posts")),
        sa.UniqueConstraint("post_id", "model", name=op.f("uq_near_duplicate_posts_post_id_model")),
    )
    op.create_index(
        op.f("ix_near_duplicate_posts_model_group_post_id"),
        "near_duplicate_posts",
        ["model", "group_post_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_near_duplicate_posts_model_group_post_id"), table_name="near_duplicate_posts"
    )
    op.drop_table("near_duplicate_posts")
