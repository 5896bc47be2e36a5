"""The settings model is the one list of variables: each is in .env.example and documented in
docs/configuration.md, .env.example holds nothing else, and bad values fail with one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from enrichment_assets import settings
from enrichment_assets.lib.embeddings.models import DEFAULT_EMBEDDING_MODEL

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
CONFIGURATION = ROOT / "docs" / "configuration.md"


def env_example_variables() -> set[str]:
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def test_the_model_has_the_variables_the_code_reads():
    variables = settings.variables()
    # A handful the code is known to read: the test fails if the model lost its subject.
    for name in ("DATABASE_URL", "ENRICHMENT_RATE_LIMIT", "LLM_PROVIDER", "POSTS_START_DATE",
                 "CRAWL_MAX_LINKS_PER_POST", "ALERT_WEBHOOK_URL", "EMBEDDING_MODEL"):  # fmt: skip
        assert name in variables
    assert len(variables) >= 30


def test_every_variable_is_in_env_example():
    missing = {*settings.variables(), *settings.DAGSTER_VARIABLES} - env_example_variables()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_holds_no_stale_entry():
    stale = env_example_variables() - {*settings.variables(), *settings.DAGSTER_VARIABLES}
    assert not stale, f"not a setting (remove from .env.example): {sorted(stale)}"


def test_every_variable_is_documented_in_configuration_md():
    documented = CONFIGURATION.read_text()
    names = [*settings.variables(), *settings.DAGSTER_VARIABLES]
    missing = [name for name in names if f"`{name}`" not in documented]
    assert not missing, f"document in docs/configuration.md: {missing}"


def test_the_variables_dagster_reads_are_read_by_dagster_config():
    """DAGSTER_VARIABLES is no escape hatch: each is used by Dagster's own configuration."""
    sources = "\n".join(
        path.read_text()
        for path in [
            ROOT / "Makefile",
            *(ROOT / "deploy").glob("*.yaml"),
            ROOT / "enrichment_assets" / "defs" / "operations" / "jobs.py",
        ]
    )
    for name in settings.DAGSTER_VARIABLES:
        assert name in sources, name


def test_secrets_never_print(monkeypatch):
    for name in ("GROQ_API_KEY", "HF_TOKEN", "KAGGLE_KEY", "ALERT_WEBHOOK_URL"):
        group = settings.variables()[name]
        annotation = group.model_fields[name.lower()].annotation
        assert SecretStr in getattr(annotation, "__args__", (annotation,)), name
        monkeypatch.setenv(name, "s3cr3t-value")
        assert "s3cr3t-value" not in repr(group.load())
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app:s3cr3t-value@db:5432/app")
    loaded = settings.DatabaseSettings.load()
    assert "s3cr3t-value" not in repr(loaded) and "s3cr3t-value" not in str(loaded.database_url)
    assert "app:***@db:5432/app" in str(loaded.database_url)


def test_defaults_with_nothing_set():
    enrichment = settings.EnrichmentSettings.load()
    assert enrichment.llm_provider == "local" and enrichment.enrichment_rate_limit == 30
    assert settings.PostsSettings.load().posts_start_date.isoformat() == "2020-01-01"
    assert settings.EmbeddingsSettings.load().embedding_model == DEFAULT_EMBEDDING_MODEL
    settings.check_all()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENRICHMENT_RATE_LIMIT", "abc", "ENRICHMENT_RATE_LIMIT must be a number, got 'abc'"),
        ("ENRICHMENT_RATE_LIMIT", "-5", "ENRICHMENT_RATE_LIMIT must be at least 0, got '-5'"),
        ("ENRICHMENT_RATE_LIMIT", "nan", "ENRICHMENT_RATE_LIMIT must be a finite number"),
        ("LLM_PROVIDER", "bogus", "LLM_PROVIDER must be one of 'groq', 'local' or 'none'"),
        ("POSTS_START_DATE", "01/02/2024", "POSTS_START_DATE must be YYYY-MM-DD, got '01/02/2024'"),
        ("HTTP_MAX_BYTES", "5.5", "HTTP_MAX_BYTES must be a whole number, got '5.5'"),
        ("EMBEDDING_BATCH_SIZE", "0", "EMBEDDING_BATCH_SIZE must be at least 1, got '0'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL is not a SQLAlchemy URL"),
    ],
)
def test_a_bad_value_fails_with_one_line_naming_the_setting(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings.SettingsError) as caught:
        settings.check_all()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_secret_is_named_without_its_value(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cr3t@db:notaport/app")
    with pytest.raises(settings.SettingsError) as caught:
        settings.DatabaseSettings.load()
    assert "DATABASE_URL" in str(caught.value) and "s3cr3t" not in str(caught.value)


def test_empty_means_unset_and_values_are_read_at_each_load(monkeypatch):
    monkeypatch.setenv("ENRICHMENT_RATE_LIMIT", "  ")
    monkeypatch.setenv("LLM_MAX_CONCURRENCY", "0")
    enrichment = settings.EnrichmentSettings.load()
    assert enrichment.enrichment_rate_limit == 30 and enrichment.llm_max_concurrency == 1
    monkeypatch.setenv("ENRICHMENT_RATE_LIMIT", "12")
    assert settings.EnrichmentSettings.load().enrichment_rate_limit == 12


def test_env_file_is_read_and_the_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("GROQ_MODEL=from-dotenv\nLINK_CHECK_LIMIT=7\nDAGSTER_HOME=/elsewhere\n")
    monkeypatch.setattr(settings, "ENV_FILE", env_file)
    monkeypatch.setenv("LINK_CHECK_LIMIT", "9")
    assert settings.EnrichmentSettings.load().groq_model == "from-dotenv"
    assert settings.WebSettings.load().link_check_limit == 9


def test_the_embedding_default_is_the_packaged_model():
    assert settings.DEFAULT_EMBEDDING_MODEL == DEFAULT_EMBEDDING_MODEL
