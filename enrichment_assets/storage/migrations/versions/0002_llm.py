"""LLM enrichment: the cross-process cache (never pay twice) and the shared rate limiter

Revision ID: 0002_llm
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_llm"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "llm_cache",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", _JSON, nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("completion_tokens", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cost_usd", sa.Float(), server_default="0", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_cache")),
        sa.UniqueConstraint(
            "kind",
            "provider",
            "model",
            "prompt_version",
            "content_hash",
            name=op.f("uq_llm_cache_kind_provider_model_prompt_version_content_hash"),
        ),
    )
    op.create_table(
        "llm_rate_limit",
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("request_tat", sa.Float(), server_default="0", nullable=False),
        sa.Column("token_tat", sa.Float(), server_default="0", nullable=False),
        sa.Column("paused_until", sa.Float(), server_default="0", nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_llm_rate_limit")),
    )


def downgrade() -> None:
    op.drop_table("llm_rate_limit")
    op.drop_table("llm_cache")
