"""The manifest: which files of a repository are code the graph holds, and what each contains.

The walk honours `.gitignore` files at every level and `.git/info/exclude` as git does (pathspec's
`GitIgnoreSpec`, the matcher pip and black use: a deeper file's rule wins, an ignored folder is
never entered), and skips with a reason what is not the repository's own code: vendored and
generated folders, symlinks (they may lead out of the repository), binary and oversized files.
Each kept file is hashed (SHA-256 of its bytes); `classify` compares the hashes with what the
graph was built from.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from enrichment_assets.lib.code_graph.languages import language_for

# Folders that hold other people's code or build output, never the repository's own.
VENDORED_FOLDERS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "vendor", "vendored",
    "third_party", "thirdparty", "site-packages", ".venv", "venv", "__pycache__", ".tox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache",
})  # fmt: skip
# Minified or bundled files: one line of generated code is not a definition anyone looks for.
GENERATED_SUFFIXES = (".min.js", ".min.mjs", ".bundle.js", ".d.ts")
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str  # relative, POSIX
    sha256: str
    language: str
    size: int


@dataclass(frozen=True, slots=True)
class Skipped:
    path: str  # a folder ends with "/"
    reason: str


@dataclass(slots=True)
class Manifest:
    files: list[ManifestFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Files of no supported language: counted, not listed (READMEs, configs, images).
    other_files: int = 0


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the graph holds for one file: the content and parser it was built from."""

    parsed_sha256: str | None
    parser_fingerprint: str | None
    status: str


@dataclass(frozen=True, slots=True)
class Classification:
    new: list[str]
    changed: list[str]
    unchanged: list[str]
    deleted: list[str]

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("new", "changed", "unchanged",
                                                            "deleted")}  # fmt: skip


def _spec(text: str) -> pathspec.GitIgnoreSpec:
    """The rules of one ignore file. A line pathspec cannot read (`!` alone, a trailing
    backslash, a range like `[z-a]`) is dropped, as git drops it, instead of failing the walk."""
    lines = []
    for line in text.splitlines():
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except Exception:  # pathspec raises its own errors and re.error alike
            continue
        lines.append(line)
    return pathspec.GitIgnoreSpec.from_lines(lines)


class _Ignores:
    """The .gitignore rules in force in one folder: its parents' and its own, deepest last."""

    def __init__(self, layers: tuple[tuple[str, pathspec.GitIgnoreSpec], ...] = ()):
        self.layers = layers

    def entering(self, folder: Path, relative: str) -> _Ignores:
        try:
            lines = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return self
        return _Ignores((*self.layers, (relative, _spec(lines))))

    def ignored(self, relative: str, is_folder: bool) -> bool:
        decision = False
        for base, spec in self.layers:
            if base and not relative.startswith(base + "/"):
                continue
            inside = relative[len(base) + 1 :] if base else relative
            result = spec.check_file(inside + "/" if is_folder else inside)
            if result.include is not None:
                decision = result.include
        return decision


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file the walk kept, not read yet."""

    path: str
    language: str
    size: int


def walk_repository(
    root: Path, max_file_bytes: int, manifest: Manifest | None = None
) -> tuple[Manifest, list[Candidate]]:
    """The walk: every code file under `root` that is not ignored, vendored, a symlink or too
    big (nothing is read but `.gitignore` files). What was skipped goes into the manifest."""
    manifest = manifest if manifest is not None else Manifest()
    ignores = _Ignores()
    exclude = root / ".git" / "info" / "exclude"
    if exclude.is_file():
        ignores = _Ignores((("", _spec(exclude.read_text(encoding="utf-8", errors="replace"))),))
    candidates = []
    for relative, entry in _entries(root, "", ignores.entering(root, ""), manifest):
        candidate = _candidate(manifest, relative, entry, max_file_bytes)
        if candidate is not None:
            candidates.append(candidate)
    return manifest, candidates


def hash_files(
    root: Path,
    candidates: list[Candidate],
    max_file_bytes: int,
    manifest: Manifest,
    on_file: Callable[[int], None] | None = None,
) -> Manifest:
    """Read and hash each candidate (SHA-256 of its bytes); binary or unreadable files are
    skipped with their reason. `on_file` gets the running count (for progress)."""
    for done, candidate in enumerate(candidates, start=1):
        _hash_one(root, candidate, max_file_bytes, manifest)
        if on_file is not None:
            on_file(done)
    manifest.files.sort(key=lambda f: f.path)
    manifest.skipped.sort(key=lambda s: s.path)
    return manifest


def build_manifest(root: Path, max_file_bytes: int) -> Manifest:
    """Walk and hash in one call (tests, the benchmark)."""
    manifest, candidates = walk_repository(root, max_file_bytes)
    return hash_files(root, candidates, max_file_bytes, manifest)


def _entries(
    folder: Path, relative: str, ignores: _Ignores, manifest: Manifest
) -> Iterator[tuple[str, os.DirEntry]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as error:
        manifest.skipped.append(Skipped(f"{relative}/", f"unreadable: {error.strerror}"))
        return
    for entry in entries:
        path = f"{relative}/{entry.name}" if relative else entry.name
        problem = _bad_path(path)
        if problem:
            manifest.skipped.append(Skipped(path.encode("utf-8", "replace").decode(), problem))
            continue
        if entry.is_symlink():
            manifest.skipped.append(Skipped(path, "symlink (may lead outside the repository)"))
            continue
        is_folder = entry.is_dir(follow_symlinks=False)
        if ignores.ignored(path, is_folder):
            continue
        if is_folder:
            if entry.name in VENDORED_FOLDERS:
                if entry.name != ".git":  # git's own folder is not worth a line
                    manifest.skipped.append(Skipped(f"{path}/", "vendored or generated folder"))
                continue
            child = Path(entry.path)
            if (child / ".git").exists():  # a submodule or a nested clone: git lists none of it
                manifest.skipped.append(Skipped(f"{path}/", "nested repository (its own .git)"))
                continue
            yield from _entries(child, path, ignores.entering(child, path), manifest)
        elif entry.is_file(follow_symlinks=False):
            yield path, entry
        else:  # a FIFO, socket or device: reading it could block or never end
            manifest.skipped.append(Skipped(path, "not a regular file"))


# Paths past this length are skipped: a node's key is its path and qualified name, and two keys
# must fit one PostgreSQL index row.
MAX_PATH_CHARACTERS = 512


def _bad_path(path: str) -> str | None:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by Python as surrogates
        return "path is not UTF-8"
    if len(path) > MAX_PATH_CHARACTERS:
        return f"path longer than {MAX_PATH_CHARACTERS} characters"
    if "::" in path:  # a node's key is `<path>::<qualified name>`
        return "path contains '::'"
    return None


def _too_big(max_file_bytes: int, size: int) -> str:
    return f"larger than {max_file_bytes // 1024} KB ({size // 1024} KB)"


def _candidate(
    manifest: Manifest, relative: str, entry: os.DirEntry, max_file_bytes: int
) -> Candidate | None:
    language = language_for(relative)
    if language is None:
        manifest.other_files += 1
        return None
    if relative.endswith(GENERATED_SUFFIXES):
        manifest.skipped.append(Skipped(relative, "minified, bundled or declaration file"))
        return None
    try:
        size = entry.stat(follow_symlinks=False).st_size
    except OSError as error:
        manifest.skipped.append(Skipped(relative, f"unreadable: {error.strerror}"))
        return None
    if size > max_file_bytes:
        manifest.skipped.append(Skipped(relative, _too_big(max_file_bytes, size)))
        return None
    return Candidate(relative, language, size)


# A bundler's output: most of the file on lines no person writes.
MINIFIED_LINE = 1000


def _minified(content: bytes) -> bool:
    long_lines = sum(len(line) for line in content.split(b"\n") if len(line) > MINIFIED_LINE)
    return long_lines > len(content) / 2


def _hash_one(root: Path, candidate: Candidate, max_file_bytes: int, manifest: Manifest) -> None:
    relative = candidate.path
    try:
        # O_NOFOLLOW: a file swapped for a symlink since the walk is refused, not followed.
        descriptor = os.open(root / relative, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            content = handle.read(max_file_bytes + 1)
    except OSError as error:
        manifest.skipped.append(Skipped(relative, f"unreadable: {error.strerror}"))
        return
    if b"\x00" in content[:BINARY_SNIFF_BYTES]:
        manifest.skipped.append(Skipped(relative, "binary"))
        return
    if candidate.language in ("javascript", "typescript") and _minified(content):
        manifest.skipped.append(Skipped(relative, "minified (lines of thousands of characters)"))
        return
    if len(content) > max_file_bytes:  # grew since the walk
        manifest.skipped.append(Skipped(relative, _too_big(max_file_bytes, len(content))))
        return
    digest = hashlib.sha256(content).hexdigest()
    manifest.files.append(ManifestFile(relative, digest, candidate.language, len(content)))


def classify(
    manifest: Manifest, stored: Mapping[str, StoredState], fingerprint: str
) -> Classification:
    """Sort the manifest's files against the graph: new, changed (content or parser), unchanged,
    and deleted (recorded, and neither in the tree nor skipped any more). A file that became
    skipped is not deleted: its row stays, with the reason, and its graph goes."""
    new, changed, unchanged = [], [], []
    for file in manifest.files:
        state = stored.get(file.path)
        if state is None or state.parsed_sha256 is None:
            new.append(file.path)
        elif state.parsed_sha256 != file.sha256 or state.parser_fingerprint != fingerprint:
            changed.append(file.path)
        else:
            unchanged.append(file.path)
    # Gone from the tree: in the graph, or a skipped file no longer there to skip.
    present = {file.path for file in manifest.files} | {s.path for s in manifest.skipped}
    deleted = sorted(path for path in stored if path not in present)
    return Classification(new, changed, unchanged, deleted)


def folder_fingerprint(root: Path) -> str:
    """A cheap token that changes when a code file of a plain folder changes: names, sizes and
    modification times, no content read (the manifest hashes content once a run starts)."""
    digest = hashlib.sha256()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink() or entry.name in VENDORED_FOLDERS:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif language_for(entry.name) is not None or entry.name == ".gitignore":
                try:
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                digest.update(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
