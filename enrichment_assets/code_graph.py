"""`python -m enrichment_assets.code_graph`: repositories in the code graph.

    register --tenant T --repo R --path PATH   last line: the partition key (`T.R`)
    index KEY               the repository's assets now, in this process, on the same Dagster
                            instance and database as the sensor's run (it shows in the UI)
    status --tenant T --repo R    progress and counts as JSON (readable while a run goes)
    unregister --tenant T --repo R    the repository and every row of its graph

Exit status: 0 done, 1 the index run failed, 2 bad input or settings (one line on stderr, no
traceback, nothing retried).
"""

from __future__ import annotations

import argparse
import json
import sys

from enrichment_assets.defs.partitions import code_repositories
from enrichment_assets.lib.code_graph import registry
from enrichment_assets.lib.code_graph.ids import BadRepository, split_key
from enrichment_assets.resources.database import open_database
from enrichment_assets.settings import (
    CodeGraphSettings,
    DatabaseSettings,
    SettingsError,
    check_all,
)

QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m enrichment_assets.code_graph",
        description="Repositories in the code graph: register, index, status, unregister.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register a working tree or folder")
    status = commands.add_parser("status", help="progress and counts as JSON")
    unregister = commands.add_parser("unregister", help="remove a repository and its rows")
    for sub in (register, status, unregister):
        sub.add_argument("--tenant", required=True)
        sub.add_argument("--repo", required=True)
    register.add_argument("--path", required=True)
    index = commands.add_parser("index", help="index a registered repository now")
    index.add_argument("key", help="<tenant>.<repo>")
    return parser


def _instance():
    import dagster as dg

    try:
        return dg.DagsterInstance.get()
    except dg.DagsterHomeNotSetError as error:  # `make` sets it; a bare shell may not
        raise SettingsError(
            "DAGSTER_HOME is not set: run through make, or export DAGSTER_HOME=<project root>"
        ) from error


def index(engine, key: str) -> bool:
    """Run the `index_repository` job for `key` in this process; True if it succeeded."""
    from enrichment_assets.definitions import defs

    tenant, repo = split_key(key)
    if not registry.is_registered(engine, tenant, repo):
        raise BadRepository(f"no repository {repo!r} for tenant {tenant!r}: register it first")
    instance = _instance()
    if not instance.has_dynamic_partition(code_repositories.name, key):
        instance.add_dynamic_partitions(code_repositories.name, [key])
    job = defs().resolve_job_def("index_repository")
    tags = {"dagster/max_runtime": str(registry.MAX_RUNTIME_SECONDS),
            "code_graph/tenant": tenant, "code_graph/repository": repo}  # fmt: skip
    result = job.execute_in_process(
        instance=instance, partition_key=key, tags=tags, raise_on_error=False,
        run_config=QUIET_CONSOLE,
    )  # fmt: skip
    print(f"run {result.run_id}: {'success' if result.success else 'failure'}")
    return result.success


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        check_all()
        url = DatabaseSettings.load().database_url.get_secret_value()
        engine = open_database(url)
        roots = CodeGraphSettings.load().roots()
    except SettingsError as error:
        print(f"code_graph: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "register":
            key = registry.register(engine, args.tenant, args.repo, args.path, roots)
            _instance().add_dynamic_partitions(code_repositories.name, [key])
            print(f"registered {args.path} for tenant {args.tenant}")
            print(key)
        elif args.command == "index":
            succeeded = index(engine, args.key)
            tenant, repo = split_key(args.key)
            print(json.dumps(registry.status(engine, tenant, repo), indent=2))
            return 0 if succeeded else 1
        elif args.command == "status":
            print(json.dumps(registry.status(engine, args.tenant, args.repo), indent=2))
        else:
            removed = registry.unregister(engine, args.tenant, args.repo)
            key = f"{args.tenant}.{args.repo}"
            instance = _instance()
            if instance.has_dynamic_partition(code_repositories.name, key):
                instance.delete_dynamic_partition(code_repositories.name, key)
            print(f"unregistered {key}: " + ", ".join(f"{n} {t}" for t, n in removed.items()))
    except (BadRepository, SettingsError) as error:
        print(f"code_graph: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
