"""Tests that kill a step mid-run (a KeyboardInterrupt standing for a dying process)."""

from __future__ import annotations

import dagster as dg
import pytest


def without_retry_policy(monkeypatch: pytest.MonkeyPatch, *assets: dg.AssetsDefinition) -> None:
    """Take the assets' retry policies off for one test. Under a policy Dagster retries an
    interrupted step in place (right for a preempted worker); a test that simulates a killed
    process needs the interrupt to end the run, as a real kill does."""
    for asset in assets:
        monkeypatch.setattr(asset.op, "_retry_policy", None)
