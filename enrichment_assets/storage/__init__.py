"""The application database: tables, engine, migrations and the upsert every writer uses."""

from enrichment_assets.storage.engine import create_database_engine, reading, redact_url
from enrichment_assets.storage.migrate import upgrade_to_head
from enrichment_assets.storage.upsert import upsert

__all__ = ["create_database_engine", "reading", "redact_url", "upgrade_to_head", "upsert"]
