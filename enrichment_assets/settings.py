"""Every environment variable the project reads, typed, with its default, in one place.

One group of settings per domain (pydantic-settings models); a group is built from the
environment and the project's `.env` each time `load()` is called (when a run's resources are
set up, at a sensor tick, when a command starts), never at import, so definitions load with
nothing set and tests can change the environment freely. Empty values mean unset. A bad value
raises `SettingsError`, whose message is one line naming the variable and never a secret's value.
Variables already set in the process environment win over `.env`.

Only this module and `resources/` read the environment: assets get these values through a
resource field or a run-config knob, and `lib/` through arguments.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from enrichment_assets.storage.engine import redact_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
# The bundled repository `make demo` indexes (a vendored folder, a syntax error, a big file).
SAMPLE_CODE_REPOSITORY = SAMPLE_DIR / "code_repo"
# Read by every `load()`; None reads the process environment only (the tests set it so).
ENV_FILE: Path | None = PROJECT_ROOT / ".env"

DEFAULT_DATABASE_URL = "sqlite:///.data/enrichment.db"
DEFAULT_HF_ENDPOINT = "https://huggingface.co"
DEFAULT_KAGGLE_API_ENDPOINT = "https://api.kaggle.com"
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"

# Variables Dagster itself reads (dagster.yaml, deploy/*.yaml, the Celery executor's config):
# listed in .env.example and docs/configuration.md, but no setting of the application.
DAGSTER_VARIABLES = ("DAGSTER_HOME", "DAGSTER_POSTGRES_URL", "CELERY_BROKER_URL",
                     "CELERY_RESULT_BACKEND")  # fmt: skip


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming it (never a secret's value)."""


class DatabaseUrl(SecretStr):
    """A SQLAlchemy URL whose password never prints: shown with the password masked."""

    def _display(self) -> str:
        return redact_url(self.get_secret_value())


PositiveInt = Annotated[int, Field(ge=1)]
NonNegative = Annotated[float, Field(ge=0)]


class _Group(BaseSettings):
    """One domain's settings. Field `foo_bar` is the variable FOO_BAR."""

    model_config = SettingsConfigDict(
        extra="ignore", allow_inf_nan=False, env_file_encoding="utf-8", validate_default=True
    )
    title: ClassVar[str] = ""
    secrets: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        cleaned = {}
        for key, value in values.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            cleaned[key] = value
        return cleaned

    @classmethod
    def load(cls) -> Self:
        """The group as the environment (and `.env`) say now; SettingsError on a bad value."""
        try:
            return cls(_env_file=ENV_FILE)
        except ValidationError as error:
            raise SettingsError(_one_line(cls, error)) from None

    @classmethod
    def variables(cls) -> list[str]:
        return [name.upper() for name in cls.model_fields]


def _one_line(group: type[_Group], error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        kind, context = item["type"], item.get("ctx") or {}
        if kind in ("float_parsing", "float_type"):
            what = "must be a number"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            what = "must be a whole number"
        elif kind == "greater_than_equal":
            what = f"must be at least {context.get('ge'):g}"
        elif kind == "finite_number":
            what = "must be a finite number"
        elif kind == "literal_error":
            what = f"must be one of {context.get('expected')}"
        else:
            what = str(item["msg"]).removeprefix("Value error, ")
        shown = "" if field in group.secrets else f", got {item.get('input')!r}"
        problems.append(f"{field.upper()} {what}{shown}")
    return "; ".join(problems).replace("\n", " ")


class DatabaseSettings(_Group):
    title: ClassVar[str] = "Database"
    secrets: ClassVar[frozenset[str]] = frozenset({"database_url"})

    database_url: DatabaseUrl = Field(
        default=DatabaseUrl(DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL of the application database (its password never prints)",
    )

    @field_validator("database_url", mode="before")
    @classmethod
    def _a_url(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        try:
            make_url(raw)
        except Exception:
            raise ValueError(
                "is not a SQLAlchemy URL (e.g. postgresql+psycopg://user:pw@host/db)"
            ) from None
        return raw


class PostsSettings(_Group):
    title: ClassVar[str] = "Posts"

    landing_dir: Path = Field(default=Path("data/landing"), description="where post files land")
    posts_start_date: date = Field(
        default=date(2020, 1, 1), description="first daily partition, YYYY-MM-DD"
    )

    @field_validator("posts_start_date", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("must be YYYY-MM-DD") from None


class WebSettings(_Group):
    title: ClassVar[str] = "Web"

    http_allow_private_hosts: str = Field(
        default="", description="comma list of hosts fetched although private (tests only)"
    )
    http_user_agent: str | None = Field(default=None, description="User-Agent of every request")
    http_connect_timeout: NonNegative = Field(default=3.0, description="seconds to connect")
    http_read_timeout: NonNegative = Field(default=10.0, description="seconds between bytes")
    http_max_bytes: PositiveInt = Field(default=5_000_000, description="size cap of a page")
    http_max_concurrency: PositiveInt = Field(default=64, description="requests at once")
    http_per_host_concurrency: PositiveInt = Field(default=4, description="at once, one host")
    http_per_host_interval: NonNegative = Field(
        default=0.2, description="seconds between starts to one host"
    )
    http_cache_ttl_seconds: NonNegative = Field(
        default=86_400.0, description="reuse of a cached page or robots.txt"
    )
    crawl_max_links_per_post: PositiveInt = Field(default=3, description="pages crawled per post")
    link_strikes_to_break: PositiveInt = Field(default=3, description="strikes before broken")
    link_check_limit: PositiveInt = Field(default=5000, description="links checked per run")
    link_broken_jump_min: PositiveInt = Field(
        default=10, description="newly broken links that make the jump check warn"
    )

    def allowed_hosts(self) -> list[str]:
        return parse_hosts(self.http_allow_private_hosts)


def parse_hosts(raw: str) -> list[str]:
    return [host.strip() for host in raw.split(",") if host.strip()]


def _at_least_one(value: int) -> int:
    return max(1, value)  # 0 concurrency would never start a call: it means one


class EnrichmentSettings(_Group):
    title: ClassVar[str] = "Enrichment"
    secrets: ClassVar[frozenset[str]] = frozenset({"groq_api_key"})

    llm_provider: Literal["groq", "local", "none"] | None = Field(
        default=None, description="groq | local | none; unset: groq with a key, else local"
    )
    groq_api_key: SecretStr | None = Field(default=None, description="Groq API key")
    groq_base_url: str | None = Field(default=None, description="Groq host; unset: SDK default")
    groq_model: str = Field(default="llama-3.1-8b-instant", description="Groq chat model")
    # Groq's free tier for most chat models: 30 requests and 6000 tokens a minute.
    enrichment_rate_limit: NonNegative = Field(default=30.0, description="requests per minute")
    enrichment_tokens_per_minute: NonNegative = Field(
        default=6000.0, description="tokens per minute (0 = no token limit)"
    )
    llm_max_concurrency: Annotated[int, Field(ge=0), AfterValidator(_at_least_one)] = Field(
        default=8, description="LLM calls in flight per step"
    )
    llm_daily_budget_usd: NonNegative = Field(
        default=5.0, description="estimated spend per UTC day (0 = no cap)"
    )
    llm_prices: str | None = Field(default=None, description="JSON price table override")
    enrichment_error_rate_threshold: NonNegative = Field(
        default=0.1, description="share of error rows above which the checks fail"
    )

    @field_validator("llm_provider", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _default_provider(self) -> Self:
        if self.llm_provider is None:
            self.llm_provider = "groq" if self.groq_api_key else "local"
        return self


class DatasetsSettings(_Group):
    title: ClassVar[str] = "Datasets"
    secrets: ClassVar[frozenset[str]] = frozenset({"hf_token", "kaggle_key"})

    hf_endpoint: str | None = Field(default=None, description="Hub endpoint; unset: sample")
    hf_token: SecretStr | None = Field(default=None, description="Hub token")
    kaggle_api_endpoint: str | None = Field(default=None, description="Kaggle API endpoint")
    kaggle_username: str | None = Field(default=None, description="Kaggle user name")
    kaggle_key: SecretStr | None = Field(default=None, description="Kaggle API key")
    meta_kaggle_dir: Path = Field(
        default=SAMPLE_DIR / "meta_kaggle", description="folder with the Meta Kaggle CSVs"
    )


class EmbeddingsSettings(_Group):
    title: ClassVar[str] = "Embeddings"

    embedding_model: str = Field(
        default=DEFAULT_EMBEDDING_MODEL, description="sentence-transformers model or folder"
    )
    embedding_batch_size: PositiveInt = Field(default=32, description="texts per forward pass")
    embedding_device: str = Field(default="cpu", description="torch device")


ARTICLE_MODEL_STAGES = ("outline", "draft", "lead")


class ArticlesSettings(_Group):
    title: ClassVar[str] = "Articles"

    articles_auto_publish: bool = Field(
        default=False, description="publish an article whose every gate passes, without review"
    )
    articles_model: str | None = Field(
        default=None, description="Groq model of every article stage; unset: GROQ_MODEL"
    )
    articles_stage_models: str | None = Field(
        default=None,
        description='JSON {"outline"|"draft"|"lead": model} for a model per stage',
    )
    articles_max_cost_usd: NonNegative = Field(
        default=0.5, description="estimated LLM spend per article before it stops (0 = no cap)"
    )
    articles_max_sources: PositiveInt = Field(default=8, description="sources research keeps")
    articles_max_per_channel: PositiveInt = Field(
        default=2, description="sources research keeps from one channel"
    )
    articles_min_similarity: NonNegative = Field(
        default=0.4, description="cosine to the topic a source needs (MiniLM scale)"
    )

    @field_validator("articles_stage_models")
    @classmethod
    def _stage_models(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not all(
            key in ARTICLE_MODEL_STAGES and isinstance(model, str) and model
            for key, model in parsed.items()
        ):
            raise ValueError(
                'a JSON object like {"draft": "llama-3.3-70b-versatile"} with keys outline, '
                "draft, lead"
            )
        return value

    def stage_models(self) -> dict[str, str]:
        """The model of each stage that has its own (ARTICLES_STAGE_MODELS)."""
        return json.loads(self.articles_stage_models) if self.articles_stage_models else {}


class CodeGraphSettings(_Group):
    title: ClassVar[str] = "Code graph"

    code_graph_roots: str | None = Field(
        default=None,
        description="comma-separated folders under which repositories may be registered; "
        "unset: the bundled sample and the current directory",
    )
    code_graph_max_file_kb: PositiveInt = Field(
        default=512, description="files larger than this are skipped (generated code, data)"
    )
    code_graph_soft_limit_minutes: NonNegative = Field(
        default=55,
        description="a run that has parsed this long commits what it has and the next run "
        "goes on (the hard limit is an hour)",
    )

    def roots(self) -> list[Path]:
        """The folders a repository may live under, resolved (symlinks followed)."""
        if not self.code_graph_roots:
            return [SAMPLE_CODE_REPOSITORY.resolve(), Path.cwd().resolve()]
        return [
            Path(part.strip()).expanduser().resolve()
            for part in self.code_graph_roots.split(",")
            if part.strip()
        ]


class OperationsSettings(_Group):
    title: ClassVar[str] = "Operations"
    secrets: ClassVar[frozenset[str]] = frozenset({"alert_webhook_url"})

    alert_webhook_url: SecretStr | None = Field(
        default=None, description="where failed runs are posted (Slack-compatible JSON)"
    )


GROUPS: tuple[type[_Group], ...] = (
    DatabaseSettings,
    PostsSettings,
    WebSettings,
    EnrichmentSettings,
    DatasetsSettings,
    EmbeddingsSettings,
    ArticlesSettings,
    CodeGraphSettings,
    OperationsSettings,
)


def variables() -> dict[str, type[_Group]]:
    """Every variable the application reads, and the group it belongs to."""
    return {name: group for group in GROUPS for name in group.variables()}


def check_all() -> None:
    """Load every group: the first bad value raises SettingsError (for commands that run all)."""
    problems = []
    for group in GROUPS:
        try:
            group.load()
        except SettingsError as error:
            problems.append(str(error))
    if problems:
        raise SettingsError("; ".join(problems))
