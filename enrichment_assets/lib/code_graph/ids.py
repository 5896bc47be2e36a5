"""Who and where: tenant and repository ids, partition keys, and the folders a repository may
live in. Everything here fails at once with `BadRepository` (a clear message, never retried):
another attempt would meet the same value."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# Lower-case letters, digits, `-` and `_`, starting with a letter or digit: safe in a partition
# key, a run key, a PostgreSQL setting and a log line, and never a path.
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
KEY_SEPARATOR = "."


class BadRepository(ValueError):
    """A tenant, repository id, path or partition key that cannot be used; the message says why."""


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise BadRepository(
            f"{what} {value!r} is not valid: use 1-40 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return value


def partition_key(tenant: str, repo: str) -> str:
    """`<tenant>.<repo>`: the repository's dynamic partition."""
    return f"{check_id(tenant, 'tenant')}{KEY_SEPARATOR}{check_id(repo, 'repository')}"


def split_key(key: str) -> tuple[str, str]:
    """The tenant and repository of a partition key."""
    tenant, separator, repo = (key or "").partition(KEY_SEPARATOR)
    if not separator:
        raise BadRepository(f"{key!r} is not a repository key: expected <tenant>.<repository>")
    return check_id(tenant, "tenant"), check_id(repo, "repository")


def check_path(path: str | Path, roots: list[Path]) -> Path:
    """The repository folder, resolved (symlinks followed), if it is a folder inside one of
    `roots`; a path that leaves them through `..` or a symlink is refused like any other."""
    try:
        resolved = Path(path).expanduser().resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise BadRepository(f"{path}: no such folder") from error
    if not resolved.is_dir():
        raise BadRepository(f"{path}: not a folder")
    if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
        allowed = ", ".join(str(root) for root in roots) or "(none)"
        raise BadRepository(
            f"{resolved} is outside CODE_GRAPH_ROOTS ({allowed}): add its parent folder there"
        )
    return resolved


def source_kind(path: Path) -> str:
    """`git` for the top of a git working tree, `folder` for anything else (a folder inside a
    bigger repository is a plain folder: that repository's commits say nothing about it)."""
    return "git" if (path / ".git").exists() else "folder"


def git_head(path: Path) -> str | None:
    """The HEAD commit of a working tree, or None (no commit yet, git missing, not a repository)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    head = done.stdout.strip()
    return head if done.returncode == 0 and head else None
