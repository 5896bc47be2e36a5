"""Plain Python: parsers, hashing, settings. Nothing here imports dagster."""
