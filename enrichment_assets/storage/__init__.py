"""The application database: tables, engine, migrations, the upsert, and one repository module per
domain (`storage/<domain>.py`) holding every SQL statement of that domain."""

from enrichment_assets.storage.engine import create_database_engine, reading, redact_url
from enrichment_assets.storage.migrate import upgrade_to_head
from enrichment_assets.storage.upsert import upsert

__all__ = ["create_database_engine", "reading", "redact_url", "upgrade_to_head", "upsert"]
