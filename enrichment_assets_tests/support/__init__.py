"""Helpers that several test modules (and bench/) import: factories, databases, Celery workers."""
