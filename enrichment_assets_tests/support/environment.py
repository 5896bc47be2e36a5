"""The project's environment variables: every field of the settings model, and those Dagster
reads itself. A developer's shell, or a developer's .env, must not leak any of them into a test."""

from __future__ import annotations

from enrichment_assets import settings

PROJECT_ENVIRONMENT = sorted({*settings.variables(), *settings.DAGSTER_VARIABLES})
