"""Every environment variable the code reads is documented in .env.example and the README."""

import re
from pathlib import Path

from enrichment_assets_tests.support.environment import PROJECT_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent


def variables_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "enrichment_assets").rglob("*.py"):
        found |= set(re.findall(r"""\benv\(\s*"([A-Z][A-Z0-9_]+)\"""", path.read_text()))
    for path in (ROOT / "deploy").glob("*.yaml"):
        found |= set(re.findall(r"env: ([A-Z][A-Z0-9_]+)", path.read_text()))
    return found


def test_every_variable_is_in_env_example():
    missing = variables_read_by_the_code() - set(PROJECT_ENVIRONMENT)
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_every_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in PROJECT_ENVIRONMENT if f"`{name}`" not in readme]
    assert not missing, f"document in the README: {missing}"
