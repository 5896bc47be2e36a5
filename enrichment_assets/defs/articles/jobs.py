"""The article jobs: generate one article (what the sensor runs), and two for people in the UI:
request an article, and review requests and articles (approve, reject, publish, regenerate)."""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from enrichment_assets.lib.articles import pipeline
from enrichment_assets.lib.articles.requests import BadRequest, decide, make_request
from enrichment_assets.lib.articles.stages import open_article
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading

STAGE_ASSETS = (
    "article_research",
    "article_outline",
    "article_draft",
    "article_polish",
    "article_claims",
    "article_scores",
    "article_publication",
)

generate_article = dg.define_asset_job(
    name="generate_article",
    selection=dg.AssetSelection.assets(*STAGE_ASSETS),
    # The stages are a chain: nothing runs side by side, and a process per step would import
    # the definitions and load the encoder again for each of the seven stages.
    executor_def=dg.in_process_executor,
    description="Every stage of one article (one partition per approved request). Re-execute "
    "from failure to resume at the failed stage: finished stages are read back, not re-asked.",
)


class RequestArticleConfig(dg.Config):
    topic: str = Field(description="What the article is about (one line).")
    keywords: list[str] = Field(default_factory=list, description="Words research also looks for.")
    priority: str = Field(default="normal", description="low | normal | high")
    approve: bool = Field(
        default=False,
        description="Approve at once: the requests sensor then starts the article's run.",
    )


@dg.op(description="Record an article request; its partition key is in the logs and metadata.")
def record_article_request(
    context: dg.OpExecutionContext, config: RequestArticleConfig, db: DatabaseResource
) -> str:
    try:
        row = make_request(
            db.engine, config.topic, config.keywords, priority=config.priority,
            requested_by=f"ui:{context.run.run_id[:8]}", approve=config.approve,
        )  # fmt: skip
    except BadRequest as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    context.log.info(f"request {row.partition_key} is {row.status}")
    context.add_output_metadata({"partition_key": row.partition_key, "status": row.status})
    return row.partition_key


@dg.job(
    executor_def=dg.in_process_executor,
    description="Ask for an article from the launchpad: topic, keywords, priority, approve.",
)
def request_article() -> None:
    record_article_request()


class ReviewConfig(dg.Config):
    approve: list[str] = Field(default_factory=list, description="Request keys to approve.")
    reject: list[str] = Field(default_factory=list, description="Request keys to reject.")
    publish: list[str] = Field(
        default_factory=list, description="Request keys whose `ready` article to publish."
    )
    regenerate: list[str] = Field(
        default_factory=list,
        description="Request keys to write again as a new version (the old one is kept).",
    )
    reason: str | None = Field(default=None, description="Why (kept on the request).")


@dg.op(description="Apply the review: approve, reject, publish, regenerate.")
def apply_review(
    context: dg.OpExecutionContext, config: ReviewConfig, db: DatabaseResource
) -> None:
    engine = db.engine
    # Every key is checked before anything changes: a typo fails the review as a whole rather
    # than leaving it half applied.
    named = dict.fromkeys([*config.approve, *config.reject, *config.regenerate, *config.publish])
    with reading(engine) as connection:
        unknown = [key for key in named if repository.get_request(connection, key) is None]
    both = sorted(set(config.approve) & set(config.reject))
    if unknown or both:
        problems = [f"no article request {key!r}" for key in unknown]
        problems += [f"{key} is both approved and rejected" for key in both]
        raise dg.Failure(
            description="; ".join(problems) + "; nothing was changed", allow_retries=False
        )
    try:
        for key in config.approve:
            decide(engine, key, approve=True, reason=config.reason)
        for key in config.reject:
            decide(engine, key, approve=False, reason=config.reason)
        for key in config.regenerate:
            version = repository.bump_version(engine, key)
            context.log.info(f"{key}: version {version} will be written")
    except BadRequest as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    published, not_ready = [], []
    for key in config.publish:
        try:
            ref = open_article(engine, key)
        except LookupError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        if pipeline.publish(engine, ref, datetime.now(UTC)):
            published.append(key)
        else:
            not_ready.append(f"{key} ({ref.article.status})")
    if not_ready:
        context.log.warning("not published, not ready: " + ", ".join(not_ready))
    context.log.info(
        f"approved {len(config.approve)}, rejected {len(config.reject)}, "
        f"published {len(published)}, regenerating {len(config.regenerate)}"
    )


@dg.job(
    executor_def=dg.in_process_executor,
    description="Approve or reject pending requests; publish ready articles; regenerate.",
)
def review_articles() -> None:
    apply_review()
