"""`db`: the application database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine

from enrichment_assets import settings
from enrichment_assets.storage import create_database_engine, redact_url, upgrade_to_head


class DatabaseResource(dg.ConfigurableResource):
    """SQLAlchemy 2 engine on `DATABASE_URL`; migrations are applied when a run starts."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means DATABASE_URL, else sqlite:///.data/enrichment.db",
    )

    _engine: Engine | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        return self.url or settings.database_url()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._engine = create_database_engine(self.resolved_url())
        upgrade_to_head(self._engine)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:  # used outside a run (a script, a test): open lazily
            self._engine = create_database_engine(self.resolved_url())
            upgrade_to_head(self._engine)
        return self._engine

    @property
    def display_url(self) -> str:
        """The URL with its password masked: the only form that may reach logs or metadata."""
        return redact_url(self.resolved_url())
