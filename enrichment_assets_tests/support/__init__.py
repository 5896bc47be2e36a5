"""Helpers that several test modules (and bench/) import: databases, factories, sample files,
Celery workers. Fixtures stay in the conftest.py files; everything importable lives here."""
