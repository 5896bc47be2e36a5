"""Python: classes, functions and methods (a function in a class body), docstrings, imports
(`import a.b as c`, `from .x import y as z`, `from . import m`), bases and calls."""

from __future__ import annotations

import inspect
import re

import tree_sitter

from enrichment_assets.lib.code_graph.extraction import (
    Builder,
    Definition,
    Scope,
    captures,
    dotted,
    member_kind,
    node_text,
    signature,
    type_name,
    walk_definitions,
)
from enrichment_assets.lib.code_graph.languages import PYTHON
from enrichment_assets.lib.code_graph.records import CLASS, IMPORTS

QUERY = """
(class_definition) @definition
(function_definition) @definition
(call function: [(identifier) (attribute)] @call)
(import_statement) @import
(import_from_statement) @import
"""

_PREFIX = re.compile(r"^[rRuUbBfF]*")


def module_name(path: str) -> str:
    """`pkg/mod.py` → `pkg.mod`; a package's `__init__.py` is the package."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi")) else path
    parts = stem.split("/")
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _docstring(source: bytes, body: tree_sitter.Node | None) -> str | None:
    """The first statement of a body when it is a string literal, cleaned like `inspect`."""
    # Sibling steps, not `body.children`: that would build a Node for every statement.
    statement = body.child(0) if body is not None and body.child_count else None
    while statement is not None and statement.type == "comment":
        statement = statement.next_sibling
    if statement is None or statement.type != "expression_statement":
        return None
    if statement.child_count != 1:
        return None
    literal = statement.child(0)
    if literal.type != "string":
        return None
    text = _PREFIX.sub("", node_text(source, literal))
    quotes = 3 if text[:3] in ('"""', "'''") else 1
    return inspect.cleandoc(text[quotes:-quotes]) or None


def _bases(source: bytes, superclasses: tree_sitter.Node | None) -> list[tuple[str, int]]:
    bases = []
    for argument in superclasses.named_children if superclasses is not None else ():
        if argument.type == "keyword_argument":  # metaclass=..., total=False
            continue
        name = type_name(node_text(source, argument))  # Generic[T] → Generic
        if name:
            bases.append((name, argument.start_point[0] + 1))
    return bases


def _describer(source: bytes):
    def describe(node: tree_sitter.Node, enclosing: Scope | None) -> Definition | None:
        name = node.child_by_field_name("name")
        if name is None:
            return None
        body = node.child_by_field_name("body")
        parent = node.parent
        start_line = None
        if parent is not None and parent.type == "decorated_definition":
            start_line = parent.start_point[0] + 1
        if node.type == "class_definition":
            superclasses = node.child_by_field_name("superclasses")
            header_end = (superclasses or name).end_byte
            kind, bases = CLASS, _bases(source, superclasses)
        else:
            header = node.child_by_field_name("return_type") or node.child_by_field_name(
                "parameters"
            )
            header_end = (header or name).end_byte
            kind, bases = member_kind(enclosing), []
        return Definition(
            kind,
            node_text(source, name),
            signature(source, node.start_byte, header_end),
            _docstring(source, body),
            start_line,
            bases,
        )

    return describe


def _imports(builder: Builder, source: bytes, statement: tree_sitter.Node) -> None:
    line = statement.start_point[0] + 1
    key = builder.module_key
    if statement.type == "import_statement":
        for name in statement.children_by_field_name("name"):
            if name.type == "aliased_import":
                target = node_text(source, name.child_by_field_name("name"))
                alias = node_text(source, name.child_by_field_name("alias"))
                builder.reference(IMPORTS, key, target, line, alias)
            else:  # `import a.b` binds `a.b` itself: no alias
                builder.reference(IMPORTS, key, node_text(source, name), line)
        return
    module = statement.child_by_field_name("module_name")
    if module is None:
        return
    base = "".join(node_text(source, module).split())
    joiner = "" if base.endswith(".") else "."
    if any(child.type == "wildcard_import" for child in statement.children):
        builder.reference(IMPORTS, key, f"{base}{joiner}*", line)
        return
    for name in statement.children_by_field_name("name"):
        if name.type == "aliased_import":
            written = node_text(source, name.child_by_field_name("name"))
            alias = node_text(source, name.child_by_field_name("alias"))
        else:
            written = alias = node_text(source, name)
        builder.reference(IMPORTS, key, f"{base}{joiner}{written}", line, alias)


def build(path: str, source: bytes, root: tree_sitter.Node, end_line: int, grammar: str) -> Builder:
    builder = Builder(path, module_name(path), end_line, _docstring(source, root))
    captured = captures(PYTHON, QUERY, root)
    walk_definitions(builder, captured.get("definition", ()), _describer(source))
    for statement in captured.get("import", ()):
        _imports(builder, source, statement)
    for callee in captured.get("call", ()):
        text = node_text(source, callee)
        if text.startswith("super()."):  # super().save() → super.save
            text = "super" + text[7:]
        target = dotted(text)
        if target:
            builder.call(callee.start_byte, target, callee.start_point[0] + 1)
    return builder
