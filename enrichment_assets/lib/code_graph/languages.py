"""Which grammar reads which file, one cached tree-sitter parser per language, and the
fingerprint of the parser and extractor versions stored with every parsed file."""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from importlib import metadata
from posixpath import splitext

import tree_sitter

# Bumped whenever extraction changes what it produces for the same source: every stored file's
# fingerprint then differs and the next run parses it again.
EXTRACTOR_VERSION = 2

PYTHON, JAVASCRIPT, TYPESCRIPT, GO, JAVA = "python", "javascript", "typescript", "go", "java"
LANGUAGES = (PYTHON, JAVASCRIPT, TYPESCRIPT, GO, JAVA)

EXTENSIONS = {
    ".py": PYTHON,
    ".pyi": PYTHON,
    ".js": JAVASCRIPT,
    ".jsx": JAVASCRIPT,
    ".mjs": JAVASCRIPT,
    ".cjs": JAVASCRIPT,
    ".ts": TYPESCRIPT,
    ".tsx": TYPESCRIPT,
    ".mts": TYPESCRIPT,
    ".cts": TYPESCRIPT,
    ".go": GO,
    ".java": JAVA,
}

GRAMMAR_PACKAGES = (
    "tree-sitter-python",
    "tree-sitter-javascript",
    "tree-sitter-typescript",
    "tree-sitter-go",
    "tree-sitter-java",
)


def language_for(path: str) -> str | None:
    """The language of a file by its extension, or None when the code graph does not read it."""
    return EXTENSIONS.get(splitext(path)[1].lower())


def grammar_for(language: str, path: str = "") -> str:
    """The grammar a file is parsed with: the language, except `.tsx` which needs the tsx grammar
    (plain TypeScript reads `<T>x` as a cast, tsx as an element)."""
    if language == TYPESCRIPT and path.lower().endswith(".tsx"):
        return "tsx"
    return language


@cache
def tree_sitter_language(grammar: str) -> tree_sitter.Language:
    # Imported on first use: a process that only resolves edges never loads a grammar.
    if grammar == PYTHON:
        import tree_sitter_python as module

        return tree_sitter.Language(module.language())
    if grammar == JAVASCRIPT:
        import tree_sitter_javascript as module

        return tree_sitter.Language(module.language())
    if grammar in (TYPESCRIPT, "tsx"):
        import tree_sitter_typescript as module

        raw = module.language_tsx() if grammar == "tsx" else module.language_typescript()
        return tree_sitter.Language(raw)
    if grammar == GO:
        import tree_sitter_go as module

        return tree_sitter.Language(module.language())
    if grammar == JAVA:
        import tree_sitter_java as module

        return tree_sitter.Language(module.language())
    raise ValueError(f"no grammar for {grammar!r}")


_parsers = threading.local()


def parser_for(grammar: str) -> tree_sitter.Parser:
    """One parser per grammar, reused across files; per thread, as a Parser holds the state of
    the parse under way."""
    parsers = _parsers.__dict__
    parser = parsers.get(grammar)
    if parser is None:
        parser = parsers[grammar] = tree_sitter.Parser(tree_sitter_language(grammar))
    return parser


@cache
def parser_fingerprint() -> str:
    """sha256 over tree-sitter's version, each grammar package's version and
    `EXTRACTOR_VERSION`: a file parsed under another fingerprint is parsed again."""
    parts = [f"tree-sitter={metadata.version('tree-sitter')}"]
    parts += [f"{name}={metadata.version(name)}" for name in GRAMMAR_PACKAGES]
    parts.append(f"extractor={EXTRACTOR_VERSION}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
