"""`make demo` end to end: a fresh instance and database, the sample, every asset; then again."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_demo(home: Path) -> str:
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DATABASE_URL": f"sqlite:///{home / 'app.db'}",
        "LANDING_DIR": str(home / "landing"),
    }
    completed = subprocess.run(
        [sys.executable, "-m", "enrichment_assets.demo"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


def table_counts(output: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r"^  (\w+)\s+(\d+) rows$", output, re.M)}


def test_demo_materializes_everything_and_a_second_run_changes_no_row(tmp_path):
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    first = run_demo(tmp_path)
    counts = table_counts(first)
    assert counts["posts"] >= 200
    assert counts["channels"] >= 4
    assert "posts partitions: 16 days, 2024-05-01 … 2024-05-16" in first
    assert "check ✗" not in first

    second = run_demo(tmp_path)
    assert "0 sample files copied" in second
    assert table_counts(second) == counts
    for inserted, updated in re.findall(r"inserted=(\d+), updated=(\d+)", second):
        assert (inserted, updated) == ("0", "0")
