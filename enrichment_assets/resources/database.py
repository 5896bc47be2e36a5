"""`db`: the application database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import DatabaseSettings, SettingsError
from enrichment_assets.storage import create_database_engine, redact_url, upgrade_to_head


class DatabaseUnreachable(SettingsError):
    """The database cannot be opened; the message is one line, with the password masked."""


def open_database(url: str, setting: str = "DATABASE_URL") -> Engine:
    """An engine on `url`, connected once (so a wrong URL fails here, not mid-run) and
    migrated to head. DatabaseUnreachable names `setting` and never holds the password."""
    try:
        engine = create_database_engine(url)
    except Exception as error:  # unknown driver, malformed URL, a folder SQLite cannot create
        raise DatabaseUnreachable(_message(setting, url, error)) from None
    try:
        with engine.connect():
            pass
    except Exception as error:
        engine.dispose()
        raise DatabaseUnreachable(_message(setting, url, error)) from None
    upgrade_to_head(engine)
    return engine


def _message(setting: str, url: str, error: Exception) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    reason = lines[0].strip() if lines else type(cause).__name__
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
    except Exception:
        password = None
    if password:
        reason = reason.replace(str(password), "***")
    return f"{setting}: cannot connect to {redact_url(url)}: {reason}"


class DatabaseResource(SettingsResource):
    """SQLAlchemy 2 engine on `DATABASE_URL`; a run connects when it starts (an unreachable
    database fails it at once, naming the setting) and applies the migrations."""

    settings_groups = (DatabaseSettings,)

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means DATABASE_URL, else sqlite:///.data/enrichment.db",
    )

    _engine: Engine | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        setting = self.settings(DatabaseSettings).database_url.get_secret_value()
        return field_or_setting(self.url, setting)

    def _open(self) -> Engine:
        return open_database(self.resolved_url(), "DATABASE_URL" if self.url is None else "db.url")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        super().setup_for_execution(context)
        try:
            self._engine = self._open()
        except DatabaseUnreachable as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:  # used outside a run (a script, a test): open lazily
            self._engine = self._open()
        return self._engine
