"""parse_file on small real sources per language: the nodes (kinds, qualified names, lines,
signatures, docstrings) and the references as written; errors, odd bytes, empty files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from enrichment_assets.lib.code_graph.languages import language_for, parser_fingerprint
from enrichment_assets.lib.code_graph.parsing import parse_file
from enrichment_assets.lib.code_graph.records import FileGraph, Reference


def parse(path: str, text: str, language: str | None = None) -> FileGraph:
    source = textwrap.dedent(text).lstrip("\n").encode()
    graph = parse_file(path, source, language or language_for(path))
    assert graph.error is None, graph.error
    return graph


def nodes(graph: FileGraph) -> dict:
    return {n.qualified_name: n for n in graph.nodes}


def refs(graph: FileGraph, kind: str) -> set[tuple]:
    """(source qualified name, target, alias) of every reference of one kind."""
    return {
        (r.source.partition("::")[2], r.target, r.alias) for r in graph.references if r.kind == kind
    }


PYTHON = '''
"""The models."""
import os.path
import numpy as np
from .util import helper as h, Base
from . import sibling
from ..core import *

@decorate
class Model(Base, mixins.Saving, Generic[T], metaclass=Meta):
    """A model.

    More text."""

    registry = make_registry()

    def save(self, force: bool = False) -> None:
        # not the docstring
        """Save it."""
        self.validate()
        super().save()
        h(os.path.join("a", "b"))

        def inner():
            return np.zeros(3)

    async def validate(self):
        return Model.check(self)


def run():
    Model().save()


def run():
    pass


run()
'''


def test_python_nodes():
    graph = parse("pkg/models.py", PYTHON)
    found = nodes(graph)
    assert graph.nodes[0].kind == "module"
    assert graph.nodes[0].key == "pkg/models.py::pkg.models"
    assert graph.nodes[0].docstring == "The models."
    model = found["pkg.models.Model"]
    assert (model.kind, model.start_line, model.end_line) == ("class", 8, 27)
    assert model.signature == "class Model(Base, mixins.Saving, Generic[T], metaclass=Meta)"
    assert model.docstring == "A model.\n\nMore text."
    save = found["pkg.models.Model.save"]
    assert (save.kind, save.start_line, save.parent) == ("method", 16, model.key)
    assert save.signature == "def save(self, force: bool = False) -> None"
    assert save.docstring == "Save it."
    inner = found["pkg.models.Model.save.inner"]
    assert (inner.kind, inner.parent, inner.docstring) == ("function", save.key, None)
    assert found["pkg.models.Model.validate"].signature == "async def validate(self)"
    # A redefinition gets #2, in source order.
    assert found["pkg.models.run"].start_line == 30
    assert found["pkg.models.run#2"].start_line == 34
    assert found["pkg.models.run#2"].name == "run"


def test_python_references():
    graph = parse("pkg/models.py", PYTHON)
    assert refs(graph, "IMPORTS") == {
        ("pkg.models", "os.path", None),
        ("pkg.models", "numpy", "np"),
        ("pkg.models", ".util.helper", "h"),
        ("pkg.models", ".util.Base", "Base"),
        ("pkg.models", ".sibling", "sibling"),
        ("pkg.models", "..core.*", None),
    }
    assert refs(graph, "INHERITS") == {
        ("pkg.models.Model", "Base", None),
        ("pkg.models.Model", "mixins.Saving", None),
        ("pkg.models.Model", "Generic", None),
    }
    calls = {(source, target) for source, target, _ in refs(graph, "CALLS")}
    assert {
        ("pkg.models", "decorate") not in calls,  # a bare decorator is no call
        ("pkg.models", "make_registry") in calls,  # class body: runs at import
        ("pkg.models.Model.save", "self.validate") in calls,
        ("pkg.models.Model.save", "super.save") in calls,
        ("pkg.models.Model.save", "h") in calls,
        ("pkg.models.Model.save", "os.path.join") in calls,
        ("pkg.models.Model.save.inner", "np.zeros") in calls,
        ("pkg.models.Model.validate", "Model.check") in calls,
        ("pkg.models.run", "Model") in calls,
        ("pkg.models", "run") in calls,
    } == {True}
    assert ("pkg.models.run", "Model().save") not in calls  # not a dotted name
    lines = {r.target: r.line for r in graph.references if r.kind == "CALLS"}
    assert lines["self.validate"] == 19


def test_python_package_init_and_aliased_import():
    graph = parse("pkg/sub/__init__.py", "import a.b as c\nfrom x.y import z\n")
    assert graph.nodes[0].qualified_name == "pkg.sub"
    assert refs(graph, "IMPORTS") == {("pkg.sub", "a.b", "c"), ("pkg.sub", "x.y.z", "z")}


JAVASCRIPT = """
import express, { Router as R } from './router';
import * as utils from '../utils/index.js';
export { slugify } from './strings';
export * from './more';
const fs = require('fs');
const { join, resolve: res } = require('./paths');

/**
 * A service.
 * @class
 */
export class Service extends base.Service {
  constructor(options) {
    super(options);
    this.router = new R();
  }

  start() {
    this.listen(utils.port());
    return helper?.run();
  }

  handle = (request) => this.start();
}

/** Makes one. */
export const makeService = (options) => new Service(options);

function helper() {
  return join('a', 'b');
}
"""


def test_javascript_nodes_and_references():
    graph = parse("src/app/service.js", JAVASCRIPT)
    found = nodes(graph)
    assert graph.nodes[0].qualified_name == "src.app.service"
    service = found["src.app.service.Service"]
    assert (service.kind, service.start_line, service.end_line) == ("class", 12, 24)
    assert service.signature == "class Service extends base.Service"
    assert service.docstring == "A service.\n@class"
    assert found["src.app.service.Service.start"].kind == "method"
    assert found["src.app.service.Service.start"].signature == "start()"
    assert found["src.app.service.Service.handle"].kind == "method"
    make = found["src.app.service.makeService"]
    assert (make.kind, make.docstring) == ("function", "Makes one.")
    assert make.signature == "makeService = (options) =>"
    assert found["src.app.service.helper"].signature == "function helper()"
    assert refs(graph, "IMPORTS") == {
        ("src.app.service", "./router", "express"),
        ("src.app.service", "./router:Router", "R"),
        ("src.app.service", "../utils/index.js", "utils"),
        ("src.app.service", "./strings:slugify", None),
        ("src.app.service", "./more", None),
        ("src.app.service", "fs", "fs"),
        ("src.app.service", "./paths:join", "join"),
        ("src.app.service", "./paths:resolve", "res"),
    }
    assert refs(graph, "INHERITS") == {("src.app.service.Service", "base.Service", None)}
    calls = {(s, t) for s, t, _ in refs(graph, "CALLS")}
    assert calls == {
        ("src.app.service.Service.constructor", "R"),
        ("src.app.service.Service.start", "this.listen"),
        ("src.app.service.Service.start", "utils.port"),
        ("src.app.service.Service.start", "helper.run"),
        ("src.app.service.Service.handle", "this.start"),
        ("src.app.service.makeService", "Service"),
        ("src.app.service.helper", "join"),
    }


TYPESCRIPT = """
import type { Shape } from './shape';

/** Something with an area. */
export interface HasArea extends Shape<number> {
  area(): number;
}

export abstract class Square extends Base implements HasArea, Named {
  constructor(private side: number) { super(); }
  area(): number { return this.side ** 2; }
  abstract name(): string;
}

export function scale(s: Square): Square;
export function scale(s: Square, by: number): Square;
export function scale(s: Square, by = 2): Square {
  return make<Square>(s, by);
}

enum Color { Red, Green }
"""


def test_typescript_interfaces_implements_and_overloads():
    graph = parse("lib/geometry.ts", TYPESCRIPT)
    found = nodes(graph)
    has_area = found["lib.geometry.HasArea"]
    assert (has_area.kind, has_area.docstring) == ("class", "Something with an area.")
    assert has_area.signature == "interface HasArea extends Shape<number>"
    assert found["lib.geometry.HasArea.area"].kind == "method"
    square = found["lib.geometry.Square"]
    assert square.signature == "abstract class Square extends Base implements HasArea, Named"
    assert found["lib.geometry.Square.name"].signature == "abstract name(): string"
    assert found["lib.geometry.scale"].signature == "function scale(s: Square): Square"
    assert found["lib.geometry.scale#2"].start_line == 15
    assert found["lib.geometry.scale#3"].signature == ("function scale(s: Square, by = 2): Square")
    assert found["lib.geometry.Color"].kind == "class"
    assert refs(graph, "INHERITS") == {
        ("lib.geometry.HasArea", "Shape", None),
        ("lib.geometry.Square", "Base", None),
        ("lib.geometry.Square", "HasArea", None),
        ("lib.geometry.Square", "Named", None),
    }
    assert refs(graph, "IMPORTS") == {("lib.geometry", "./shape:Shape", "Shape")}
    assert ("lib.geometry.scale#3", "make", None) in refs(graph, "CALLS")


def test_tsx_uses_the_tsx_grammar():
    graph = parse(
        "ui/Button.tsx",
        """
        export function Button(props: Props) {
          return <button onClick={() => track('click')}>{props.label}</button>;
        }
        """,
    )
    assert nodes(graph)["ui.Button.Button"].kind == "function"
    assert ("ui.Button.Button", "track", None) in refs(graph, "CALLS")


GO = """
package server

import (
	"fmt"
	u "example.com/app/internal/util"
)

// Handler serves requests.
// It is safe for concurrent use.
type Handler struct {
	Base
	*util.Logger
	name string
}

type Store interface {
	io.Reader
	Get(key string) (string, error)
}

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w Writer, r *Request) {
	h.log(u.Slug(r.Path))
	fmt.Println("done")
}

func (s *Server) Routes() []Route {
	return nil
}

func New() *Handler { return &Handler{} }
"""


def test_go_types_methods_and_references():
    graph = parse("cmd/server/handler.go", GO)
    found = nodes(graph)
    module = graph.nodes[0]
    assert module.qualified_name == "cmd.server"
    handler = found["cmd.server.Handler"]
    assert (handler.kind, handler.start_line, handler.end_line) == ("class", 10, 14)
    assert handler.signature == "type Handler struct"
    assert handler.docstring == "Handler serves requests.\nIt is safe for concurrent use."
    assert found["cmd.server.Store"].signature == "type Store interface"
    assert found["cmd.server.Store.Get"].kind == "method"
    serve = found["cmd.server.Handler.ServeHTTP"]
    assert (serve.kind, serve.parent) == ("method", handler.key)
    assert serve.signature == "func (h *Handler) ServeHTTP(w Writer, r *Request)"
    assert serve.docstring == "ServeHTTP answers one request."
    # Server is declared in another file of the package: the method hangs off the module.
    routes = found["cmd.server.Server.Routes"]
    assert (routes.kind, routes.parent) == ("method", module.key)
    assert found["cmd.server.New"].kind == "function"
    assert refs(graph, "IMPORTS") == {
        ("cmd.server", "fmt", None),
        ("cmd.server", "example.com/app/internal/util", "u"),
    }
    assert refs(graph, "INHERITS") == {
        ("cmd.server.Handler", "Base", None),
        ("cmd.server.Handler", "util.Logger", None),
        ("cmd.server.Store", "io.Reader", None),
    }
    calls = {(s, t) for s, t, _ in refs(graph, "CALLS")}
    assert calls == {
        ("cmd.server.Handler.ServeHTTP", "h.log"),
        ("cmd.server.Handler.ServeHTTP", "u.Slug"),
        ("cmd.server.Handler.ServeHTTP", "fmt.Println"),
    }


JAVA = """
package com.acme.app;

import com.acme.util.Strings;
import com.acme.model.*;
import static com.acme.util.Checks.require;

/**
 * The application.
 */
@Component
public class App extends BaseApp implements Runnable, Closeable<App> {
    /** Makes one. */
    public App(Config config) { super(config); }

    public void run() {
        start();
        this.stop(1);
        Strings.slug("x");
        helper.assist();
        new Thread(new Runnable() {
            public void run() { inside(); }
        }).start();
        Registry<App> r = new Registry<>();
    }

    public void stop(int code) {}
    public void stop(String why) {}

    enum Mode { ON; boolean enabled() { return true; } }
}
"""


def test_java_classes_methods_and_references():
    graph = parse("src/main/java/com/acme/app/App.java", JAVA)
    found = nodes(graph)
    assert graph.nodes[0].qualified_name == "com.acme.app"
    app = found["com.acme.app.App"]
    assert (app.kind, app.start_line, app.docstring) == ("class", 10, "The application.")
    assert app.signature == (
        "@Component public class App extends BaseApp implements Runnable, Closeable<App>"
    )
    ctor = found["com.acme.app.App.App"]
    assert (ctor.kind, ctor.docstring, ctor.signature) == (
        "method",
        "Makes one.",
        "public App(Config config)",
    )
    assert found["com.acme.app.App.stop"].signature == "public void stop(int code)"
    assert found["com.acme.app.App.stop#2"].signature == "public void stop(String why)"
    assert found["com.acme.app.App.Mode.enabled"].kind == "method"
    # The anonymous Runnable's run() is part of App.run, not a method of App.
    assert "com.acme.app.App.run#2" not in found
    assert refs(graph, "IMPORTS") == {
        ("com.acme.app", "com.acme.util.Strings", "Strings"),
        ("com.acme.app", "com.acme.model.*", None),
        ("com.acme.app", "com.acme.util.Checks.require", "require"),
    }
    assert refs(graph, "INHERITS") == {
        ("com.acme.app.App", "BaseApp", None),
        ("com.acme.app.App", "Runnable", None),
        ("com.acme.app.App", "Closeable", None),
    }
    calls = {t for s, t, _ in refs(graph, "CALLS") if s == "com.acme.app.App.run"}
    assert calls == {
        "start",
        "this.stop",
        "Strings.slug",
        "helper.assist",
        "Thread",
        "Runnable",
        "inside",
        "Registry",
    }


def test_java_without_package_is_named_by_path():
    graph = parse("scripts/Tool.java", "class Tool { void go() {} }")
    assert [n.qualified_name for n in graph.nodes] == [
        "scripts.Tool",
        "scripts.Tool.Tool",
        "scripts.Tool.Tool.go",
    ]


@pytest.mark.parametrize(
    ("path", "source", "where"),
    [
        ("a.py", b"def f(:\n    pass\n", "line 1, column"),
        ("a.py", b"x = 1\n\nclass A(\n", "line 3, column"),
        ("a.ts", b"function f( {\n", "line 1, column"),
        ("a.go", b"package a\nfunc f() {\n", "line 2, column"),
        ("A.java", b"class A { void f( }\n", "line 1, column"),
    ],
)
def test_syntax_error_gives_the_first_position_and_nothing_else(path, source, where):
    graph = parse_file(path, source, language_for(path))
    assert graph.error is not None
    assert re.fullmatch(r"syntax error at line \d+, column \d+", graph.error)
    assert where in graph.error
    assert graph.nodes == () and graph.references == ()


def test_non_utf8_bytes_are_replaced():
    source = b'def cafe():\n    """Caf\xe9 au lait."""\n    return go("\xff")\n'
    graph = parse_file("m.py", source, "python")
    assert graph.error is None
    function = graph.nodes[1]
    assert function.docstring == "Caf\ufffd au lait."
    assert [r.target for r in graph.references] == ["go"]


@pytest.mark.parametrize("path", ["e.py", "e.js", "e.ts", "e.go", "E.java"])
def test_an_empty_file_is_a_module_without_definitions(path):
    graph = parse_file(path, b"", language_for(path))
    assert graph.error is None
    assert [n.kind for n in graph.nodes] == ["module"]
    assert (graph.nodes[0].start_line, graph.nodes[0].end_line) == (1, 1)
    assert graph.references == ()


def test_signature_is_collapsed_and_bounded():
    params = ",\n    ".join(f"argument_{i}: int" for i in range(40))
    graph = parse("long.py", f"def long(\n    {params},\n):\n    pass\n")
    signature = graph.nodes[1].signature
    assert len(signature) == 300
    assert "\n" not in signature and "  " not in signature
    assert signature.startswith("def long(argument_0: int, argument_1: int")


def test_references_are_deduplicated_per_source():
    graph = parse("d.py", "def f():\n    g()\n    g()\n\ndef h():\n    g()\n")
    calls = [(r.source, r.target, r.line) for r in graph.references if r.kind == "CALLS"]
    assert calls == [("d.py::d.f", "g", 2), ("d.py::d.h", "g", 6)]


def test_reference_json_round_trip():
    for ref in (Reference("IMPORTS", "a.py::a", "numpy", 1, "np"), Reference("CALLS", "k", "f", 3)):
        assert Reference.from_json(ref.to_json()) == ref


def test_language_for_and_fingerprint():
    assert [language_for(p) for p in ("a.py", "a.pyi", "b.mjs", "c.tsx", "d.go", "E.java")] == [
        "python",
        "python",
        "javascript",
        "typescript",
        "go",
        "java",
    ]
    assert language_for("README.md") is None
    assert re.fullmatch(r"[0-9a-f]{64}", parser_fingerprint())
    assert parser_fingerprint() == parser_fingerprint()


def test_a_slice_of_a_real_package():
    import dagster

    root = Path(dagster.__file__).parent
    files = sorted((root / "_core").rglob("*.py"))[:50]
    assert len(files) == 50
    total_nodes = total_refs = 0
    for file in files:
        path = file.relative_to(root.parent).as_posix()
        graph = parse_file(path, file.read_bytes(), "python")
        assert graph.error is None, (path, graph.error)
        assert graph.nodes[0].kind == "module"
        keys = [n.key for n in graph.nodes]
        assert len(keys) == len(set(keys))
        assert all(n.start_line <= n.end_line for n in graph.nodes)
        assert all(n.parent in keys for n in graph.nodes[1:])
        total_nodes += len(graph.nodes)
        total_refs += len(graph.references)
    assert total_nodes > 200
    assert total_refs > 500
