"""The UI for real: `dagster dev` (webserver and daemon) on the embedded default, driven by
headless Chromium (Debian's package, through Playwright) and through Dagster's GraphQL API.
Every sensor runs as configured except `automation` (see `stop_sensor`)."""

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
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from enrichment_assets.storage import tables

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts"
# The tests drive a live `dagster dev` through Chromium and through its GraphQL API.
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
def ui_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui")


@pytest.fixture(scope="module")
def app_database_url(ui_root) -> str:
    """The application database the webserver's runs write (DATABASE_URL)."""
    return f"sqlite:///{ui_root / 'app.db'}"


@pytest.fixture(scope="module")
def webserver(ui_root, app_database_url):
    root = ui_root
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.format(home=home))
    shutil.copytree(PROJECT_ROOT / "data" / "sample" / "posts", root / "landing")
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "LANDING_DIR": str(root / "landing"),
           "DATABASE_URL": app_database_url, "LLM_PROVIDER": "local",
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
    stop_sensor(base, "automation")
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


SENSOR = """
query ($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) { ... on Sensor { id } }
}
"""
STOP_SENSOR = """
mutation ($id: String!) {
  stopSensor(id: $id) { ... on StopSensorMutationResult { instigationState { status } } }
}
"""


def stop_sensor(base: str, name: str) -> None:
    """Stop a sensor as a person does in the UI. The automation sensor would enrich and embed
    all 240 sample posts (three runs of local enrichment for 3 minutes on 2 cores) beside every
    run under test and slow each 2-5x; no test here is about it. Stopped as soon as the
    webserver answers, it has not yet seen the landed posts, so it starts nothing."""
    selector = {"repositoryLocationName": "enrichment_assets",
                "repositoryName": "__repository__", "sensorName": name}  # fmt: skip
    sensor = graphql(base, SENSOR, {"selector": selector})["sensorOrError"]
    stopped = graphql(base, STOP_SENSOR, {"id": sensor["id"]})["stopSensor"]
    assert stopped["instigationState"]["status"] == "STOPPED", stopped


RUNS_FOR_PARTITION = """
query ($partition: String!) {
  runsOrError(filter: {tags: [{key: "dagster/partition", value: $partition}]}) {
    ... on Runs { results { runId status creationTime startTime endTime tags { key value } } }
  }
}
"""


FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def wait_for_run(
    base: str, partition: str, timeout: float = 240, sensor: str | None = None
) -> dict:
    """The latest finished run of `partition` launched by `sensor` (None: by hand)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = graphql(base, RUNS_FOR_PARTITION, {"partition": partition})["runsOrError"]["results"]
        wanted = [r for r in runs if _sensor_of(r) == sensor]
        if wanted and wanted[0]["status"] in FINISHED:
            return wanted[0]
        time.sleep(2)
    raise AssertionError(f"no finished run for partition {partition} within {timeout} s")


def _sensor_of(run: dict) -> str | None:
    return next((t["value"] for t in run["tags"] if t["key"] == "dagster/sensor_name"), None)


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


# The story two channels tell, and the UTC days of its posts in data/sample/posts: World Brief
# Daily message 4273 (2024-05-11 01:22 UTC) and Science & Health Review entry 22 (2024-05-10).
STORY_DAYS = ("2024-05-10", "2024-05-11")
STORY_CHANNELS = {"World Brief Daily", "Science & Health Review"}
ARTICLE_TOPIC = "Real Madrid beat Bayern Munich to reach the final"
REQUEST_YAML = f"""ops:
  record_article_request:
    config:
      topic: {ARTICLE_TOPIC}
      keywords: [Real Madrid, Bayern Munich]
      approve: true
"""

LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN_STATUS = """
query ($runId: ID!) { runOrError(runId: $runId) { ... on Run { runId status endTime } } }
"""


def wait_for_run_id(base: str, run_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = graphql(base, RUN_STATUS, {"runId": run_id})["runOrError"]
        if run["status"] in FINISHED:
            return run
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")


def launch_story_embeddings(base: str) -> str:
    """The post pipeline's posts and post_embeddings for the story's days, in one run, in one
    process: research needs the posts' vectors, not their enrichment (automation adds that)."""
    params = {
        "selector": {"repositoryLocationName": "enrichment_assets",
                     "repositoryName": "__repository__", "jobName": "post_pipeline",
                     "assetSelection": [{"path": ["posts"]}, {"path": ["post_embeddings"]}]},
        "runConfigData": {"execution": {"config": {"in_process": {}}}},
        "executionMetadata": {"tags": [
            {"key": "dagster/asset_partition_range_start", "value": STORY_DAYS[0]},
            {"key": "dagster/asset_partition_range_end", "value": STORY_DAYS[1]}]},
    }  # fmt: skip
    launched = graphql(base, LAUNCH_RUN, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def test_a_request_from_the_launchpad_becomes_a_ready_article(webserver, app_database_url, page):
    started = time.monotonic()
    data_run = launch_story_embeddings(webserver)

    # Typed into the launchpad's editor as a person pastes it, while the posts are embedded.
    page.goto(f"{webserver}/locations/enrichment_assets/jobs/request_article/playground")
    editor = page.locator(".CodeMirror").first
    editor.wait_for(timeout=60_000)
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(REQUEST_YAML)
    assert wait_for_run_id(webserver, data_run)["status"] == "SUCCESS"
    embedded = time.monotonic()

    # Approved at once: launching it is all a person does; the sensor does the rest.
    page.get_by_role("button", name="Launch Run").click()
    page.wait_for_url("**/runs/*", timeout=60_000)
    request_run = wait_for_run_id(webserver, page.url.rsplit("/", 1)[-1])
    assert request_run["status"] == "SUCCESS"
    requested = time.monotonic()

    engine = sa.create_engine(app_database_url)
    with engine.connect() as connection:
        request = connection.execute(
            sa.select(tables.article_requests).where(
                tables.article_requests.c.requested_by == f"ui:{request_run['runId'][:8]}"
            )
        ).one()
    assert (request.topic, request.keywords, request.status) == (
        ARTICLE_TOPIC, ["Real Madrid", "Bayern Munich"], "approved"
    )  # fmt: skip
    key = request.partition_key

    generated = wait_for_run(webserver, key, timeout=180, sensor="article_requests_sensor")
    assert generated["status"] == "SUCCESS", generated
    finished = time.monotonic()
    with engine.connect() as connection:
        article = connection.execute(
            sa.select(tables.articles).where(tables.articles.c.request_id == request.id)
        ).one()
    engine.dispose()
    assert article.status == "ready", (article.status, article.review_reason)
    assert {source["channel"] for source in article.sources} == STORY_CHANNELS
    assert all(check["passed"] for check in article.checks.values()), article.checks
    assert "[1]" in article.markdown and "[2]" in article.markdown

    # What an operator reads: the markdown in the publication's metadata, the gates' reasons.
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.goto(f"{webserver}/assets/article_publication?partition={key}")
    page.get_by_role("heading", name=article.title).wait_for(timeout=60_000)
    page.get_by_text("ready", exact=True).first.wait_for()
    page.screenshot(path=SCREENSHOTS / "article-publication.png")
    page.goto(f"{webserver}/assets/article_scores?view=checks&partition={key}")
    page.get_by_text(article.checks["bias"]["reason"]).first.wait_for(timeout=60_000)
    page.get_by_text("Loaded language").first.wait_for()  # the check's description
    page.screenshot(path=SCREENSHOTS / "article-checks.png")
    timings = {"embedded": embedded - started, "requested": requested - embedded,
               "sensor": generated["creationTime"] - request_run["endTime"],
               "article run": generated["endTime"] - generated["creationTime"],
               "article": finished - requested, "pages": time.monotonic() - finished}  # fmt: skip
    print("\n" + ", ".join(f"{step} {seconds:.0f} s" for step, seconds in timings.items()))
