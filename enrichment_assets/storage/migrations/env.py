"""Alembic environment: runs on the connection handed over by `storage.migrate`."""

from alembic import context

from enrichment_assets.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through enrichment_assets.storage.migrate.upgrade_to_head")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can only ALTER by copying
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
