"""dataset catalog: datasets bookkeeping columns, watermarks, quarantined rows

Revision ID: 0003_catalog
Revises: 0002_llm
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_catalog"
down_revision = "0002_llm"
branch_labels = None
depends_on = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN (nullable or with a server default) works on SQLite without a table copy.
    op.add_column("datasets", sa.Column("ref", sa.String(length=512), nullable=True))
    op.add_column("datasets", sa.Column("extra", _json, nullable=True))
    op.add_column(
        "datasets", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("datasets", sa.Column("error_retryable", sa.Boolean(), nullable=True))
    op.add_column("datasets", sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "watermarks",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", _json, nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_watermarks")),
    )
    op.create_table(
        "quarantined_rows",
        sa.Column("id", _id, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=1024), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_rows")),
        sa.UniqueConstraint(
            "source", "file", "line", name=op.f("uq_quarantined_rows_source_file_line")
        ),
    )


def downgrade() -> None:
    op.drop_table("quarantined_rows")
    op.drop_table("watermarks")
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("fetched_at")
        batch_op.drop_column("error_retryable")
        batch_op.drop_column("attempts")
        batch_op.drop_column("extra")
        batch_op.drop_column("ref")
