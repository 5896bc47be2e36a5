"""resolve_edges across the files of small repositories per language: imports (relative,
absolute, aliases, index files, package directories), inheritance, self and inherited methods,
same-package names; and that the result is pure and independent of input order."""

from __future__ import annotations

import random
import textwrap
import time

from enrichment_assets.lib.code_graph.languages import language_for
from enrichment_assets.lib.code_graph.parsing import parse_file
from enrichment_assets.lib.code_graph.records import CodeNode, Edge, Reference
from enrichment_assets.lib.code_graph.resolution import (
    ResolvableFile,
    resolve_edges,
    resolve_edges_counted,
)


def repository(sources: dict[str, str]) -> dict[str, ResolvableFile]:
    files = {}
    for path, text in sources.items():
        graph = parse_file(path, textwrap.dedent(text).encode(), language_for(path))
        assert graph.error is None, (path, graph.error)
        files[path] = ResolvableFile(graph.language, graph.nodes, graph.references)
    return files


def edges(files: dict[str, ResolvableFile], kind: str) -> set[tuple[str, str]]:
    """(source, target) keys of one kind, over every file."""
    result = resolve_edges(files)
    return {(e.source, e.target) for found in result.values() for e in found if e.kind == kind}


PYTHON = {
    "pkg/__init__.py": "",
    "pkg/util.py": """
        def helper():
            pass

        class Base:
            def save(self):
                pass
        """,
    "pkg/models.py": """
        import pkg.util
        import json
        from .util import helper as h, Base
        from . import util as u
        from .sub import deep

        class Model(Base):
            def run(self):
                self.save()
                self.check()
                h()
                pkg.util.helper()
                u.helper()
                deep.dive()
                json.dumps({})
                Model.build()

            def check(self):
                pass

            @classmethod
            def build(cls):
                return cls.check(None)
        """,
    "pkg/json.py": "def dumps(x):\n    pass\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/deep.py": """
        from ..util import Base
        from ...outside import nothing

        def dive():
            Base().save()
        """,
    "src/app/__init__.py": "",
    "src/app/main.py": """
        from app.cli import run as go
        from pkg.models import *

        go()
        Model().run()
        """,
    "src/app/cli.py": "def run():\n    pass\n",
}


def test_python_imports_calls_and_inheritance():
    files = repository(PYTHON)
    models, util = "pkg/models.py::pkg.models", "pkg/util.py::pkg.util"
    deep, main = "pkg/sub/deep.py::pkg.sub.deep", "src/app/main.py::src.app.main"
    assert edges(files, "IMPORTS") == {
        (models, util),
        (models, "pkg/sub/deep.py::pkg.sub.deep"),
        (deep, util),
        (main, "src/app/cli.py::src.app.cli"),  # `app.cli` under the src/ root
        (main, models),
    }
    assert edges(files, "INHERITS") == {(f"{models}.Model", f"{util}.Base")}
    calls = edges(files, "CALLS")
    run = f"{models}.Model.run"
    assert {target for source, target in calls if source == run} == {
        f"{util}.Base.save",  # inherited, through self
        f"{models}.Model.check",  # self
        f"{util}.helper",  # aliased from-import, absolute dotted, module alias
        f"{deep}.dive",  # from . import of a subpackage's module
        f"{models}.Model.build",  # Class.method
    }  # json.dumps is the standard library's, not pkg/json.py's
    assert (f"{models}.Model.build", f"{models}.Model.check") in calls  # cls.
    assert (f"{deep}.dive", f"{util}.Base") in calls  # a class called → the class
    assert (f"{deep}.dive", f"{util}.Base.save") not in calls  # Base().save: not a name
    assert (main, "src/app/cli.py::src.app.cli.run") in calls  # aliased `go`
    assert (main, f"{models}.Model") in calls  # star import


def test_contains_edges_follow_parents():
    files = repository(PYTHON)
    contains = edges(files, "CONTAINS")
    models = "pkg/models.py::pkg.models"
    assert (models, f"{models}.Model") in contains
    assert (f"{models}.Model", f"{models}.Model.run") in contains
    assert len(contains) == sum(len(f.nodes) - 1 for f in files.values())


def test_every_file_has_an_entry_and_targets_stay_inside():
    files = repository(PYTHON)
    result = resolve_edges(files)
    assert set(result) == set(files)
    assert result["pkg/__init__.py"] == frozenset()
    keys = {n.key for f in files.values() for n in f.nodes}
    for path, found in result.items():
        for edge in found:
            assert edge.source_path == path
            assert edge.source in keys and edge.target in keys
    _, unresolved = resolve_edges_counted(files)
    assert unresolved > 0  # json, ...outside, Base().save


def test_order_does_not_matter_and_stored_references_resolve_the_same():
    files = repository(PYTHON | JAVASCRIPT | GO | JAVA)
    expected = resolve_edges(files)
    items = list(files.items())
    for seed in range(3):
        random.Random(seed).shuffle(items)
        shuffled = {
            path: ResolvableFile(
                f.language,
                random.Random(seed).sample(list(f.nodes), len(f.nodes)),
                [Reference.from_json(r.to_json()) for r in reversed(f.references)],
            )
            for path, f in items
        }
        assert resolve_edges(shuffled) == expected


JAVASCRIPT = {
    "web/src/index.js": """
        const lib = require('./lib');
        import { slugify as slug } from './text/strings';
        import Widget from './widget.js';

        lib.start();
        slug('A b');
        new Widget();
        """,
    "web/src/lib/index.js": "export function start() { return stop(); }\nfunction stop() {}\n",
    "web/src/text/strings.js": "export function slugify(s) { return s; }\n",
    "web/src/widget.js": """
        import { Base } from './base';
        export default class Widget extends Base {
          render() { this.paint(); this.draw(); }
          draw() {}
        }
        """,
    "web/src/base.js": "export class Base { paint() {} }\n",
    "web/types/shapes.ts": """
        export interface Shape { area(): number; }
        export class Circle implements Shape {
          area(): number { return helper(); }
        }
        function helper(): number { return 1; }
        """,
    "web/types/use.ts": """
        import { Circle } from './shapes.js';
        import * as shapes from './shapes';
        export const make = () => new Circle();
        export function other() { return shapes.Circle; }
        """,
}


def test_javascript_and_typescript():
    files = repository(JAVASCRIPT)
    index, lib = "web/src/index.js::web.src.index", "web/src/lib/index.js::web.src.lib.index"
    strings, widget = "web/src/text/strings.js::web.src.text.strings", "web/src/widget.js"
    shapes, use = "web/types/shapes.ts::web.types.shapes", "web/types/use.ts::web.types.use"
    assert edges(files, "IMPORTS") == {
        (index, lib),  # require('./lib') → lib/index.js
        (index, strings),
        (index, f"{widget}::web.src.widget"),
        (f"{widget}::web.src.widget", "web/src/base.js::web.src.base"),
        (use, shapes),  # './shapes.js' → shapes.ts
    }
    assert edges(files, "INHERITS") == {
        (f"{widget}::web.src.widget.Widget", "web/src/base.js::web.src.base.Base"),
        (f"{shapes}.Circle", f"{shapes}.Shape"),  # implements
    }
    calls = edges(files, "CALLS")
    assert (index, f"{lib}.start") in calls
    assert (index, f"{strings}.slugify") in calls
    assert (f"{lib}.start", f"{lib}.stop") in calls
    render = f"{widget}::web.src.widget.Widget.render"
    assert (render, "web/src/base.js::web.src.base.Base.paint") in calls  # inherited
    assert (render, f"{widget}::web.src.widget.Widget.draw") in calls
    assert (f"{shapes}.Circle.area", f"{shapes}.helper") in calls
    assert (f"{use}.make", f"{shapes}.Circle") in calls  # new Circle()
    # A default import named like the module's definition binds that definition.
    assert (index, f"{widget}::web.src.widget.Widget") in calls


GO = {
    "cmd/server/main.go": """
        package main

        import (
            "fmt"
            u "example.com/app/internal/util"
            "example.com/app/internal/store"
        )

        func main() {
            s := NewServer()
            s.Routes()
            u.Slug("x")
            store.Open()
            fmt.Println("up")
        }
        """,
    "cmd/server/server.go": """
        package main

        type Server struct {
            store.Base
        }

        func NewServer() *Server { return &Server{} }

        func (s *Server) helper() {}
        """,
    "cmd/server/routes.go": """
        package main

        func (srv *Server) Routes() {
            srv.helper()
            srv.Close()
        }
        """,
    "internal/util/slug.go": "package util\n\nfunc Slug(s string) string { return s }\n",
    "internal/store/store.go": """
        package store

        type Base struct{}

        func (b *Base) Close() {}

        func Open() {}
        """,
}


def test_go_packages_across_files():
    files = repository(GO)
    main = "cmd/server/main.go::cmd.server"
    server, routes = "cmd/server/server.go::cmd.server", "cmd/server/routes.go::cmd.server"
    util, store = "internal/util/slug.go::internal.util", "internal/store/store.go::internal.store"
    assert edges(files, "IMPORTS") == {(main, util), (main, store)}
    assert edges(files, "INHERITS") == set()  # store.Base: server.go does not import store
    calls = edges(files, "CALLS")
    assert (f"{main}.main", f"{server}.NewServer") in calls  # same package, other file
    assert (f"{main}.main", f"{util}.Slug") in calls  # aliased import path
    assert (f"{main}.main", f"{store}.Open") in calls  # by directory suffix
    # A method on a type declared in another file, calling a sibling method through its receiver.
    assert (f"{routes}.Server.Routes", f"{server}.Server.helper") in calls
    contains = edges(files, "CONTAINS")
    assert (routes, f"{routes}.Server.Routes") in contains
    assert (f"{server}.Server", f"{server}.Server.helper") in contains


def test_go_embedded_struct_inherits_through_an_import():
    sources = dict(GO)
    sources["cmd/server/server.go"] = sources["cmd/server/server.go"].replace(
        "package main\n", 'package main\n\nimport "example.com/app/internal/store"\n'
    )
    files = repository(sources)
    server, store = "cmd/server/server.go::cmd.server", "internal/store/store.go::internal.store"
    assert edges(files, "INHERITS") == {(f"{server}.Server", f"{store}.Base")}
    # srv.Close() is found on the embedded Base.
    assert ("cmd/server/routes.go::cmd.server.Server.Routes", f"{store}.Base.Close") in edges(
        files, "CALLS"
    )


JAVA = {
    "src/com/acme/util/Strings.java": """
        package com.acme.util;

        public class Strings {
            public static String slug(String s) { return s; }
            public static String trim(String s) { return s; }
        }
        """,
    "src/com/acme/app/Base.java": """
        package com.acme.app;

        public abstract class Base {
            protected void log(String m) {}
        }
        """,
    "src/com/acme/app/Helper.java": "package com.acme.app;\n\nclass Helper { void assist() {} }\n",
    "src/com/acme/app/App.java": """
        package com.acme.app;

        import com.acme.util.Strings;
        import static com.acme.util.Strings.trim;

        public class App extends Base {
            public void run() {
                log("start");
                this.log("again");
                Strings.slug("x");
                trim(" y ");
                new Helper().assist();
                com.acme.util.Strings.slug("z");
            }
        }
        """,
}


def test_java_imports_and_same_package():
    files = repository(JAVA)
    app = "src/com/acme/app/App.java::com.acme.app"
    strings = "src/com/acme/util/Strings.java::com.acme.util"
    base, helper = "src/com/acme/app/Base.java::com.acme.app", "src/com/acme/app/Helper.java"
    assert edges(files, "IMPORTS") == {(app, strings)}
    assert edges(files, "INHERITS") == {(f"{app}.App", f"{base}.Base")}  # same package
    calls = {t for s, t in edges(files, "CALLS") if s == f"{app}.App.run"}
    assert calls == {
        f"{base}.Base.log",  # inherited, bare and through this
        f"{strings}.Strings.slug",  # imported class, and fully qualified
        f"{strings}.Strings.trim",  # static import
        f"{helper}::com.acme.app.Helper",  # new Helper(), same package
    }


def test_resolving_a_large_repository_is_fast():
    # 3,000 files of 13 nodes with the references a real module has: well under a few seconds.
    files = {}
    for i in range(3000):
        path = f"pkg{i % 30}/mod{i}.py"
        module = f"pkg{i % 30}.mod{i}"
        key = f"{path}::{module}"
        nodes = [CodeNode("module", module, f"mod{i}", path, 1, 100, path, None, None)]
        refs = [Reference("IMPORTS", key, f"pkg{(i + 1) % 30}.mod{(i + 1) % 3000}", 1, "other")]
        for c in range(3):
            cls = f"{module}.C{c}"
            nodes.append(CodeNode("class", cls, f"C{c}", path, 2, 50, "", None, key))
            refs.append(Reference("INHERITS", f"{path}::{cls}", f"other.C{c}", 2))
            for m in range(3):
                method = f"{cls}.m{m}"
                parent = f"{path}::{cls}"
                nodes.append(CodeNode("method", method, f"m{m}", path, 3, 4, "", None, parent))
                for target in (f"self.m{(m + 1) % 3}", "other.C0", "len", f"other.C1.m{m}"):
                    refs.append(Reference("CALLS", f"{path}::{method}", target, 3))
        files[path] = ResolvableFile("python", nodes, refs)
    start = time.perf_counter()
    result = resolve_edges(files)
    elapsed = time.perf_counter() - start
    assert sum(len(found) for found in result.values()) > 100_000
    assert elapsed < 4.0, elapsed


def test_edge_paths():
    edge = Edge("CALLS", "a/b.py::a.b.f", "c/d.py::c.d.g")
    assert (edge.source_path, edge.target_path) == ("a/b.py", "c/d.py")
