"""The house's rules, checked: the import contracts of pyproject.toml ([tool.importlinter]), and
two rules import-linter cannot express.

- The flow runs one way: defs → resources → lib → storage; storage uses only lib.common from
  lib; lib imports no Dagster and reads no settings (it is handed plain values).
- lib writes no SQL: from sqlalchemy it may import only the Engine and Connection type names
  (to annotate what it hands to storage/<domain>.py).
- No file is over 450 lines unless its opening docstring says why it is "one piece".
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT_ROOT / "enrichment_assets"
MAX_LINES = 450
SQLALCHEMY_TYPE_NAMES = {"Engine", "Connection"}


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def test_import_contracts_are_kept():
    # This checkout's package, whichever copy the environment has installed.
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    assert "broken" not in completed.stdout.lower()


def _sqlalchemy_imports_beyond_type_names(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [
                f"l.{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names = {alias.name for alias in node.names}
            if node.module not in {"sqlalchemy", "sqlalchemy.engine"} or (
                names - SQLALCHEMY_TYPE_NAMES
            ):
                found.append(f"l.{node.lineno}: from {node.module} import {', '.join(names)}")
    return found


def test_lib_writes_no_sql():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): imports
        for path in _python_files(PACKAGE / "lib")
        if (imports := _sqlalchemy_imports_beyond_type_names(path))
    }
    assert not offenders, (
        f"SQL in lib/ (hand an Engine or Connection to storage/<domain>.py instead): {offenders}"
    )


def test_no_file_is_over_450_lines_without_saying_why():
    too_long = {}
    for path in _python_files(PACKAGE):
        if "migrations" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_LINES and "one piece" not in (ast.get_docstring(ast.parse(text)) or ""):
            too_long[str(path.relative_to(PROJECT_ROOT))] = lines
    assert not too_long, (
        f"split these, or say in the opening docstring why each is one piece: {too_long}"
    )
