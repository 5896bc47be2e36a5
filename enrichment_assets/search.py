"""`python -m enrichment_assets.search "text" --kind post|dataset -k 10`: the nearest posts or
datasets to a text, with their cosine similarity, under EMBEDDING_MODEL only.

`--expand` (posts): each hit also brings the posts one graph hop away (the same story, shared
entities and tags, from `post_graph`), marked with the hit they came from and why.

`--kind code --tenant T [--repo R]`: the nearest code nodes (by signature and docstring) of one
tenant's repositories; another tenant's code is never read."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from enrichment_assets.lib.code_graph.ids import BadRepository, check_id
from enrichment_assets.lib.embeddings.models import load_sentence_transformer
from enrichment_assets.lib.embeddings.similarity import describe_hits, nearest
from enrichment_assets.lib.graph.expand import expand_hits
from enrichment_assets.resources.database import open_database
from enrichment_assets.resources.embedder import canonical_model_name
from enrichment_assets.settings import DatabaseSettings, EmbeddingsSettings, SettingsError
from enrichment_assets.storage import redact_url
from enrichment_assets.storage.code_graph_status import code_vectors
from enrichment_assets.storage.embeddings import other_models, stored_dim


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m enrichment_assets.search",
        description="Nearest posts or datasets to a text, by embedding cosine similarity.",
    )
    parser.add_argument("text", help="what to look for")
    parser.add_argument("--kind", choices=["post", "dataset", "code"], default="post")
    parser.add_argument("--tenant", help="whose code to search (required with --kind code)")
    parser.add_argument("--repo", help="one repository of the tenant (default: all of them)")
    parser.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    parser.add_argument(
        "--expand",
        type=int,
        nargs="?",
        const=3,
        default=0,
        metavar="N",
        help="posts: add up to N related posts per hit from the post graph (default 3)",
    )
    parser.add_argument("--model", help="embedding model (default: EMBEDDING_MODEL)")
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    return parser


def _quiet_model_loading() -> None:
    """A command's output is its answer: no weight-loading progress bar on the terminal."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:  # an older transformers without it: a progress bar is harmless
        pass


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.k < 1 or args.expand < 0:
        print("-k must be at least 1 and --expand at least 0", file=sys.stderr)
        return 2
    if args.expand and args.kind != "post":
        print("--expand follows the post graph: it needs --kind post", file=sys.stderr)
        return 2
    try:  # a bad setting or an unreachable database: one line, no traceback
        embeddings = EmbeddingsSettings.load()
        url = args.database_url or DatabaseSettings.load().database_url.get_secret_value()
        engine = open_database(url, "--database-url" if args.database_url else "DATABASE_URL")
    except SettingsError as error:
        print(f"search: {error}", file=sys.stderr)
        return 2
    model = canonical_model_name(args.model or embeddings.embedding_model)
    if args.kind == "code":
        try:
            return _search_code(engine, args, model, embeddings.embedding_device)
        except BadRepository as error:
            print(f"search: {error}", file=sys.stderr)
            return 2
        finally:
            engine.dispose()
    try:
        with engine.connect() as connection:
            has_vectors = stored_dim(connection, args.kind, model) is not None
        hits = []
        if has_vectors:  # else fail fast, without loading the model
            _quiet_model_loading()
            encoder = load_sentence_transformer(model, device=embeddings.embedding_device)
            query = encoder.encode([args.text], normalize_embeddings=True, show_progress_bar=False)
            hits = nearest(engine, args.kind, model, query[0], args.k)
        if not hits:
            others = other_models(engine, args.kind, model)
            hint = f" (vectors exist under {', '.join(others)})" if others else ""
            print(
                f"no {args.kind} vectors under model {model} in {redact_url(url)}{hint}; "
                f"materialize {args.kind}_embeddings first",
                file=sys.stderr,
            )
            return 1
        print(f"{len(hits)} nearest {args.kind}s to {args.text!r} (model {model}):")
        for rank, item in enumerate(describe_hits(engine, args.kind, hits), start=1):
            where = (
                f"{item['channel']} {item['published_at'][:10]}"
                if args.kind == "post"
                else f"{item['source']}:{item['external_id']}"
            )
            print(f"{rank:>3}. {item['score']:.3f}  [{item['id']}] {where}  {item['title']}")
        if args.expand:
            _print_graph_hop(engine, [hit.entity_id for hit in hits], args.expand)
        return 0
    finally:
        engine.dispose()


def _print_graph_hop(engine, hit_ids: list[int], per_hit: int) -> None:
    """The posts one graph hop from the hits, each once, marked with the hit it came from."""
    added = expand_hits(engine, hit_ids, per_hit)
    if added is None:
        print("(no post graph yet: materialize post_graph to expand the hits)")
        return
    print(f"{len(added)} more through the post graph:")
    for item in added:
        print(
            f"  +  {item.score:5.2f}  [{item.post_id}] {item.channel} "
            f"{item.published_at:%Y-%m-%d}  {item.text}"
        )
        print(f"     via hit #{item.via_rank}: {', '.join(item.why)}")


def _search_code(engine, args, model: str, device: str) -> int:
    if not args.tenant:
        print("search: --kind code needs --tenant", file=sys.stderr)
        return 2
    check_id(args.tenant, "tenant")
    if args.repo:
        check_id(args.repo, "repository")
    rows, matrix = code_vectors(engine, args.tenant, model, args.repo)
    if not rows:
        print(
            f"no code vectors for tenant {args.tenant} under model {model}; index a repository "
            "first (python -m enrichment_assets.code_graph index KEY)",
            file=sys.stderr,
        )
        return 1
    _quiet_model_loading()
    encoder = load_sentence_transformer(model, device=device)
    query = encoder.encode([args.text], normalize_embeddings=True, show_progress_bar=False)[0]
    scores = matrix @ query.astype(np.float32)
    best = np.argsort(-scores, kind="stable")[: args.k]
    print(f"{len(best)} nearest code nodes to {args.text!r} (tenant {args.tenant}, model {model}):")
    for rank, index in enumerate(best, start=1):
        row = rows[index]
        print(f"{rank:>3}. {scores[index]:.3f}  {row['kind']:<8} {row['qualified_name']}  "
              f"{row['repository_id']}:{row['path']}:{row['start_line']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
