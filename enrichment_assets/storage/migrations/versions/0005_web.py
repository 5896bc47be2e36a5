"""web: response cache, and when each link is due for its next check

Revision ID: 0005_web
Revises: 0004_embeddings
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_web"
down_revision = "0004_embeddings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "http_cache",
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=256), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_http_cache")),
    )
    op.create_index(op.f("ix_http_cache_expires_at"), "http_cache", ["expires_at"], unique=False)
    # Plain ADD COLUMN on both backends: a batch (copy-and-swap) rebuild of `links` on SQLite
    # would cascade-delete its citations.
    op.add_column("links", sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_links_next_check_at"), "links", ["next_check_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_links_next_check_at"), table_name="links")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("next_check_at")
    op.drop_index(op.f("ix_http_cache_expires_at"), table_name="http_cache")
    op.drop_table("http_cache")
