"""`python -m enrichment_assets.graph`: questions to the post graph (built by `post_graph`).

    related POST_ID [--limit N]           posts sharing its weighted entities, tags and story
    entity "NAME" [--type T] [--limit N]  its channels, posts over time, co-occurring entities
    trending [--days 7] [--until YYYY-MM-DD] [--limit N]   entities that rose most
    export DIR                            CSV files for `neo4j-admin database import full`

Each takes `--json` (then prints one JSON document) and `--database-url` (default
DATABASE_URL). Exit status: 0 answered, 1 nothing found (a hint on stderr), 2 bad input or
settings (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta

from enrichment_assets.lib.graph.export import export_neo4j
from enrichment_assets.lib.graph.queries import (
    UnknownPost,
    entity_report,
    latest_mention_day,
    related_posts,
    trend_windows,
    trending_entities,
)
from enrichment_assets.resources.database import open_database
from enrichment_assets.settings import DatabaseSettings, SettingsError

PROG = "python -m enrichment_assets.graph"


class BadInput(ValueError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise BadInput(message)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON document")
    common.add_argument("--database-url", help="default: DATABASE_URL")
    parser = _Parser(prog=PROG, description="Questions to the post graph.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    related = commands.add_parser("related", parents=[common], help="posts related to a post")
    related.add_argument("post_id", type=int, help="a post's id (posts.id)")
    related.add_argument("--limit", type=_positive, default=10)
    entity = commands.add_parser("entity", parents=[common], help="what is known of an entity")
    entity.add_argument("name", help="any spelling: matched by canonical name")
    entity.add_argument("--type", help="only this entity type (PERSON, ORG, ...)")
    entity.add_argument("--limit", type=_positive, default=20)
    trending = commands.add_parser("trending", parents=[common], help="entities that rose")
    trending.add_argument("--days", type=_positive, default=7)
    trending.add_argument("--until", type=_day, help="last day (default: the newest mention's)")
    trending.add_argument("--limit", type=_positive, default=20)
    export = commands.add_parser("export", parents=[common], help="CSV files for Neo4j")
    export.add_argument("directory")
    return parser


def _not_found(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _related(engine, args) -> int:
    try:
        found = related_posts(engine, args.post_id, args.limit)
    except UnknownPost as error:
        return _not_found(f"{error}; or check the id (posts.id)")
    if not found:
        return _not_found(f"no post shares an entity, tag or story with post {args.post_id}")
    if args.json:
        rows = [
            {**vars(r), "published_at": r.published_at.isoformat() if r.published_at else None}
            for r in found
        ]
        print(json.dumps({"post_id": args.post_id, "related": rows}, ensure_ascii=False))
        return 0
    print(f"{len(found)} posts related to post {args.post_id}:")
    for rank, r in enumerate(found, start=1):
        day = r.published_at.date().isoformat() if r.published_at else "?"
        print(f"{rank:>3}. {r.score:8.3f}  [{r.post_id}] {r.channel or '?'} {day}  {r.text}")
        print(f"{'':>15}why: {'; '.join(r.why)}")
    return 0


def _entity(engine, args) -> int:
    report = entity_report(engine, args.name, args.type, args.limit)
    if report is None:
        which = f" of type {args.type}" if args.type else ""
        hint = " (try without --type)" if args.type else ""
        return _not_found(
            f"no entity named {args.name!r}{which} in the graph{hint}; materialize post_graph "
            "for the days that mention it"
        )
    if args.json:
        document = {
            "name": report.name,
            "label": report.label,
            "matches": [
                {**m, "first_seen": _iso(m["first_seen"]), "last_seen": _iso(m["last_seen"])}
                for m in report.matches
            ],
            "post_count": report.post_count,
            "channels": [channel["title"] for channel in report.channels],
            "channel_posts": report.channels,
            "posts": report.posts,
            "posts_by_day": [{"day": d.isoformat(), "posts": n} for d, n in report.posts_by_day],
            "co_occurring": report.co_occurring,
        }
        print(json.dumps(document, ensure_ascii=False))
        return 0
    kinds = ", ".join(f"{m['key']} ({m['posts']})" for m in report.matches)
    print(f"{report.label}: {report.post_count} posts; {kinds}")
    shown = report.channels[: args.limit]
    more = len(report.channels) - len(shown)
    print(
        "channels: "
        + ", ".join(f"{c['title']} ({c['posts']})" for c in shown)
        + (f", and {more} more" if more > 0 else "")
    )
    days = report.posts_by_day[-args.limit :]
    earlier = len(report.posts_by_day) - len(days)
    print(
        "posts by day: "
        + (f"({earlier} earlier days, see --json) " if earlier > 0 else "")
        + ", ".join(f"{d} {n}" for d, n in days)
    )
    print("newest posts: " + ", ".join(str(post_id) for post_id in report.posts))
    together = [f"{c['label']} ({c['type']}) {c['weight']:g}" for c in report.co_occurring]
    print("co-occurring: " + (", ".join(together) or "none"))
    return 0


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _trending(engine, args) -> int:
    until = args.until or latest_mention_day(engine)
    if until is None:
        return _not_found("the graph has no mentions yet; materialize post_graph first")
    trends = trending_entities(engine, days=args.days, until=until, limit=args.limit)
    before, start, _ = trend_windows(until, args.days)
    window = f"{start.date()}..{until}"
    previous = f"{before.date()}..{start.date() - timedelta(days=1)}"
    if not trends:
        return _not_found(
            f"no entity was mentioned more in {window} than in {previous}; try more --days or "
            "another --until"
        )
    if args.json:
        document = {
            "days": args.days,
            "until": until.isoformat(),
            "window": {"start": start.date().isoformat(), "end": until.isoformat()},
            "previous": {
                "start": before.date().isoformat(),
                "end": (start.date() - timedelta(days=1)).isoformat(),
            },
            "trends": [
                {
                    "node_id": t.node_id,
                    "label": t.label,
                    "type": t.entity_type,
                    "mentions": t.mentions,
                    "previous": t.previous,
                    "rise": t.rise,
                    "channels": t.channels,
                }
                for t in trends
            ],
        }
        print(json.dumps(document, ensure_ascii=False))
        return 0
    print(f"entities in more posts in {window} than in {previous}:")
    for rank, t in enumerate(trends, start=1):
        kind = f" ({t.entity_type})" if t.entity_type else ""
        print(f"{rank:>3}. +{t.rise:<5} {t.label}{kind}  {t.previous} → {t.mentions} posts, "
              f"{t.channels} channels")  # fmt: skip
    return 0


def _export(engine, args) -> int:
    report = export_neo4j(engine, args.directory)
    if not report["files"]:
        return _not_found("the graph is empty: nothing written; materialize post_graph first")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    nodes = ", ".join(f"{n} {kind}" for kind, n in report["nodes"].items())
    edges = ", ".join(f"{n} {kind}" for kind, n in report["relationships"].items())
    print(f"wrote {len(report['files'])} files to {report['directory']}")
    print(f"nodes: {nodes}")
    print(f"relationships: {edges}")
    if report["skipped_relationships"]:
        print(f"left out {report['skipped_relationships']} relationships added during the export")
    print("import into a new database (Neo4j stopped or the database absent) with:")
    print(report["command"])
    return 0


COMMANDS = {"related": _related, "entity": _entity, "trending": _trending, "export": _export}


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except BadInput as error:
        print(f"graph: {error}", file=sys.stderr)
        return 2
    try:  # a bad setting or an unreachable database: one line, no traceback
        url = args.database_url or DatabaseSettings.load().database_url.get_secret_value()
        engine = open_database(url, "--database-url" if args.database_url else "DATABASE_URL")
    except SettingsError as error:
        print(f"graph: {error}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](engine, args)
    except (ValueError, OSError) as error:  # a name with no letters, a folder not writable
        print(f"graph: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
