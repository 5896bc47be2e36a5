"""The UI for real: `dagster dev` (webserver and daemon) on the embedded default, driven by
headless Chromium (Debian's package, through Playwright) and through Dagster's GraphQL API."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts"
# Both tests drive a live `dagster dev`: one through Chromium, one through its GraphQL API.
pytestmark = pytest.mark.browser
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]  # fmt: skip

INSTANCE_YAML = """
storage:
  sqlite:
    base_dir: {home}/storage
local_artifact_storage:
  module: dagster._core.storage.root
  class: LocalArtifactStorage
  config:
    base_dir: {home}
compute_logs:
  module: dagster._core.storage.local_compute_log_manager
  class: LocalComputeLogManager
  config:
    base_dir: {home}/logs
telemetry:
  enabled: false
nux:
  enabled: false
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.format(home=home))
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "posts", root / "landing")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "LANDING_DIR": str(root / "landing"),
           "DATABASE_URL": f"sqlite:///{root / 'app.db'}", "LLM_PROVIDER": "local",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip
    log = (root / "dagster-dev.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, (root / "dagster-dev.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "dagster dev did not answer within 180 s"
        try:
            if httpx.get(f"{base}/server_info", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def graphql(base: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                          timeout=30)  # fmt: skip
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


RUNS_FOR_PARTITION = """
query ($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""


def wait_for_run(base: str, partition: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = graphql(base, RUNS_FOR_PARTITION, {"partition": partition})["runsOrError"]["results"]
        by_hand = [r for r in runs if not any(t["key"] == "dagster/sensor_name" for t in r["tags"])]
        if by_hand and by_hand[0]["status"] in {"SUCCESS", "FAILURE", "CANCELED"}:
            return by_hand[0]
        time.sleep(2)
    raise AssertionError(f"no finished run for partition {partition} within {timeout} s")


@pytest.fixture
def page():
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # The "join the community" dialog shows once per browser on localhost: seen already.
        page.add_init_script("localStorage.setItem('communityNux', JSON.stringify('1'))")
        yield page
        browser.close()


def test_a_partition_materialized_from_the_asset_graph_succeeds(webserver, page):
    page.goto(f"{webserver}/asset-groups")
    page.get_by_text("posts", exact=True).first.wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=SCREENSHOTS / "asset-graph.png")

    page.goto(f"{webserver}/assets/posts")
    page.get_by_text("Posts from the landing folder").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Materialize…").first.click(timeout=60_000)
    page.get_by_text("Show all partitions").click()
    partitions = page.get_by_placeholder("ex: 2020-01-01", exact=False)
    partitions.fill("2024-05-03")
    partitions.press("Enter")
    page.get_by_role("button", name="Launch 1 run").click()

    run = wait_for_run(webserver, "2024-05-03")
    assert run["status"] == "SUCCESS"
    page.goto(f"{webserver}/runs/{run['runId']}")
    page.get_by_text("posts_match_source_files").first.wait_for(timeout=60_000)
    page.screenshot(path=SCREENSHOTS / "partition-run.png", full_page=True)
    page.goto(f"{webserver}/assets/posts")
    page.get_by_text("per_channel").first.wait_for(timeout=60_000)
    page.screenshot(path=SCREENSHOTS / "posts-asset.png", full_page=True)


LAUNCH_BACKFILL = """
mutation ($start: String!, $end: String!) {
  launchPartitionBackfill(backfillParams: {
    partitionsByAssets: [{assetKey: {path: ["posts"]},
                          partitions: {range: {start: $start, end: $end}}}]
    title: "GraphQL range backfill"
  }) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""

BACKFILL_STATUS = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status numPartitions runs(limit: 10) { runId status } }
  }
}
"""


def test_a_partition_range_backfill_through_graphql_runs_in_one_run(webserver):
    launched = graphql(webserver, LAUNCH_BACKFILL, {"start": "2024-05-05", "end": "2024-05-09"})
    result = launched["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        backfill = graphql(webserver, BACKFILL_STATUS, {"id": result["backfillId"]})
        backfill = backfill["partitionBackfillOrError"]
        if backfill["status"] not in {"REQUESTED", "CANCELING"}:
            break
        time.sleep(2)
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
    assert backfill["numPartitions"] == 5
    assert [run["status"] for run in backfill["runs"]] == ["SUCCESS"]  # single-run policy
