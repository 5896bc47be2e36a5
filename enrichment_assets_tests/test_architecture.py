"""The house's rules, checked: the import contracts of pyproject.toml ([tool.importlinter]), and
two rules import-linter cannot express.

- The flow runs one way: defs → resources → lib → storage; storage uses only lib.common from
  lib; lib imports no Dagster and reads no settings (it is handed plain values).
- lib writes no SQL: from sqlalchemy it may import only the Engine, Connection and Row type names
  (to annotate what it hands to storage/<domain>.py).
- The environment is read in settings.py and resources/ only (and by the model loader's offline
  guard, which sets HF_HUB_OFFLINE before any model loads).
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
SQLALCHEMY_TYPE_NAMES = {"Engine", "Connection", "Row"}


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
    assert "0 broken" in completed.stdout, completed.stdout[-2000:]


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


# The one read outside settings and resources: the model loader makes sure a missing model fails
# fast instead of downloading, whatever the caller's environment says.
ENVIRONMENT_READERS_ALLOWED = {"enrichment_assets/lib/embeddings/models.py"}


READERS = {"environ", "environb", "getenv"}


def _reads_the_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in READERS:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and {alias.name for alias in node.names} & READERS
        ):
            return True
    return False


def test_the_environment_is_read_by_settings_and_resources_only(tmp_path):
    # The detector sees both spellings (settings.py itself reads through pydantic-settings).
    for snippet in ("import os\nos.environ.get('X')\n", "from os import getenv\ngetenv('X')\n"):
        (tmp_path / "probe.py").write_text(snippet)
        assert _reads_the_environment(tmp_path / "probe.py")

    readers = {
        str(path.relative_to(PROJECT_ROOT))
        for path in _python_files(PACKAGE)
        if _reads_the_environment(path)
    }
    outside = {
        name
        for name in readers
        if name != "enrichment_assets/settings.py"
        and not name.startswith("enrichment_assets/resources/")
    }
    assert outside == ENVIRONMENT_READERS_ALLOWED, outside
