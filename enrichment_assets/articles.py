"""`python -m enrichment_assets.articles`: ask for articles, run one, read one.

    request "TOPIC" [--keywords a,b] [--priority high] [--approve]   last line: the request key
    approve KEY | reject KEY [--reason TEXT]
    generate KEY        every stage now, in this process, on the same Dagster instance and
                        database as the sensor's run (it shows in the UI)
    show KEY            one article as JSON
    list                requests and articles

Exit status: 0 done, 1 the article did not reach `ready`/`published` (generate), 2 bad input
or settings (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from enrichment_assets.lib.articles.requests import (
    BadRequest,
    RunToRequest,
    decide,
    make_request,
)
from enrichment_assets.resources.database import open_database
from enrichment_assets.settings import DatabaseSettings, SettingsError, check_all
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m enrichment_assets.articles",
        description="Article requests and articles: request, approve, generate, show, list.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    request = commands.add_parser("request", help="ask for an article")
    request.add_argument("topic")
    request.add_argument("--keywords", default="", help="comma-separated")
    request.add_argument("--priority", default="normal", help="low | normal | high")
    request.add_argument("--approve", action="store_true", help="approve it at once")
    for name in ("approve", "reject"):
        decision = commands.add_parser(name, help=f"{name} a pending request")
        decision.add_argument("key")
        decision.add_argument("--reason")
    generate = commands.add_parser("generate", help="run every stage of an approved request now")
    generate.add_argument("key")
    show = commands.add_parser("show", help="one article as JSON")
    show.add_argument("key")
    commands.add_parser("list", help="requests and articles")
    return parser


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def article_json(engine, key: str) -> dict[str, Any]:
    """The request's current article: status, stage, text, sources, claims, scores, checks."""
    with reading(engine) as connection:
        request = repository.get_request(connection, key)
        if request is None:
            raise BadRequest(f"no article request {key!r}")
        article = repository.get_article(connection, request.id, request.version)
        claims = repository.claims_of(connection, article.id) if article else []
        stages = repository.stage_log_of(connection, article.id) if article else []
    shown = {
        "request": key,
        "topic": request.topic,
        "keywords": request.keywords,
        "request_status": request.status,
        "version": request.version,
        "status": article.status if article else "not started",
        "stage": article.stage if article else None,
        "failed_stage": article.failed_stage if article else None,
        "retry_count": article.retry_count if article else 0,
        "error": article.error if article else None,
        "review_reason": article.review_reason if article else None,
        "title": article.title if article else None,
        "markdown": article.markdown if article else None,
        "sources": list(article.sources or []) if article else [],
        "claims": [
            {
                "text": c.text,
                "citations": c.citations,
                "source": c.source_n,
                "span": c.span,
                "supported": c.supported,
                "reason": c.reason,
            }
            for c in claims
        ],
        "scores": dict(article.scores or {}) if article else {},
        "checks": {
            name: {"passed": check["passed"], "reason": check["reason"]}
            for name, check in ((article.checks or {}) if article else {}).items()
        },
        "cost_usd": round(article.cost_usd, 6) if article else 0.0,
        "total_tokens": article.total_tokens if article else 0,
        "stages": [
            {
                "stage": s.stage,
                "status": s.status,
                "calls": s.calls,
                "cost_usd": s.cost_usd,
                "seconds": round(s.seconds, 3),
                "error": s.error,
            }
            for s in stages
        ],
        "published_at": article.published_at if article else None,
    }
    return {name: _json_value(value) for name, value in shown.items()}


def _list(engine) -> None:
    with reading(engine) as connection:
        requests = repository.list_requests(connection)
        made = repository.list_articles(connection)
    print(f"{len(requests)} requests")
    for r in requests:
        print(f"  {r.partition_key:<40} {r.status:<9} {r.priority:<6} v{r.version}  {r.topic}")
    print(f"{len(made)} articles")
    for a in made:
        print(f"  {a.partition_key:<40} v{a.version} {a.status:<13} {a.title or a.topic}")


def generate(engine, key: str) -> str:
    """Run the `generate_article` job for `key` in this process; returns the article status."""
    import dagster as dg

    from enrichment_assets.definitions import defs
    from enrichment_assets.defs.partitions import article_requests

    with reading(engine) as connection:
        request = repository.get_request(connection, key)
    if request is None:
        raise BadRequest(f"no article request {key!r}")
    if request.status != "approved":
        raise BadRequest(f"request {key} is {request.status}: approve it first")
    instance = dg.DagsterInstance.get()
    if not instance.has_dynamic_partition(article_requests.name, key):
        instance.add_dynamic_partitions(article_requests.name, [key])
    job = defs().resolve_job_def("generate_article")
    run = RunToRequest(request.partition_key, request.version, request.priority)
    result = job.execute_in_process(
        instance=instance, partition_key=key, tags=run.tags, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )  # fmt: skip
    status = article_json(engine, key)["status"]
    print(f"run {result.run_id}: {'success' if result.success else 'failure'}")
    return status


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_all()
        url = DatabaseSettings.load().database_url.get_secret_value()
        engine = open_database(url)
    except SettingsError as error:
        print(f"articles: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "request":
            row = make_request(
                engine, args.topic, args.keywords, priority=args.priority,
                requested_by="command", approve=args.approve,
            )  # fmt: skip
            print(f"request {row.status}: {row.topic}")
            print(row.partition_key)
        elif args.command in ("approve", "reject"):
            decide(engine, args.key, approve=args.command == "approve", reason=args.reason)
            print(f"{args.key}: {'approved' if args.command == 'approve' else 'rejected'}")
        elif args.command == "generate":
            status = generate(engine, args.key)
            print(f"{args.key}: {status}")
            return 0 if status in ("ready", "published") else 1
        elif args.command == "show":
            print(json.dumps(article_json(engine, args.key), ensure_ascii=False, indent=2))
        else:
            _list(engine)
    except BadRequest as error:
        print(f"articles: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
