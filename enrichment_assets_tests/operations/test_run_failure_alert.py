"""A failed run becomes one alert: logged, and posted to a webhook on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import dagster as dg
import pytest

from enrichment_assets.defs.operations.sensors import run_failure_alert
from enrichment_assets.resources.alerts import AlertsResource
from enrichment_assets.resources.database import DatabaseResource


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/T000/secret-token", _Webhook.received
    server.shutdown()


@dg.asset(partitions_def=dg.DailyPartitionsDefinition(start_date="2024-05-01"))
def fragile() -> None:
    raise ValueError("upstream file vanished")


@dg.asset
def needs_the_database(db: DatabaseResource) -> None:
    raise AssertionError("never reached: the resource fails first")


def failed_run_context(instance, asset=fragile, partition_key="2024-05-02", resources=None):
    result = dg.materialize([asset], instance=instance, partition_key=partition_key,
                            resources=resources, raise_on_error=False)  # fmt: skip
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure_event = next(
        event.dagster_event
        for event in instance.all_logs(result.run_id)
        if event.dagster_event and event.dagster_event.event_type_value == "PIPELINE_FAILURE"
    )
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=failure_event,
        resources={"alerts": AlertsResource()},
    ).for_run_failure()


def test_a_failed_run_is_posted_to_the_webhook(webhook, monkeypatch):
    url, received = webhook
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    with dg.instance_for_test() as instance:
        run_failure_alert(failed_run_context(instance))
    (alert,) = received
    assert alert["partition"] == "2024-05-02"
    assert alert["failed_steps"] == ["fragile"]
    assert "failed in fragile" in alert["text"]
    assert "ValueError: upstream file vanished" in alert["text"]
    assert "secret-token" not in json.dumps(alert)


def test_without_a_webhook_the_alert_is_only_logged(capfd):
    with dg.instance_for_test() as instance:
        context = failed_run_context(instance)
        capfd.readouterr()
        run_failure_alert(context)
    logged = capfd.readouterr().err
    assert "no ALERT_WEBHOOK_URL set" in logged
    assert "failed in fragile: ValueError: upstream file vanished" in logged


def test_a_run_that_failed_before_any_step_is_alerted_with_the_setting(webhook, monkeypatch):
    url, received = webhook
    monkeypatch.setenv("ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app:hunter2@127.0.0.1:1/nowhere")
    with dg.instance_for_test() as instance:
        context = failed_run_context(instance, needs_the_database, None, {"db": DatabaseResource()})
        run_failure_alert(context)
    (alert,) = received
    assert alert["failed_steps"] == []
    assert (
        "DATABASE_URL: cannot connect to postgresql+psycopg://app:***@127.0.0.1:1/nowhere"
        in (alert["text"])
    )
    assert "hunter2" not in json.dumps(alert)
