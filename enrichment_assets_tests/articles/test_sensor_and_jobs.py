"""The ways into a run: the requests sensor (a partition and one run per approved request and
version) and the two jobs people use in the UI (request an article; approve, reject, publish,
regenerate), run through the project's own definitions on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import dagster as dg
import pytest
from sqlalchemy.engine import Engine

from enrichment_assets.definitions import defs
from enrichment_assets.defs.articles.jobs import record_article_request
from enrichment_assets.defs.articles.sensors import article_requests_sensor
from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.lib.articles.requests import MAX_RUNTIME_SECONDS, decide, make_request
from enrichment_assets.resources.database import DatabaseResource
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def evaluate(instance: dg.DagsterInstance, database_url: str) -> dg.SensorResult:
    resources = {"db": DatabaseResource(url=database_url)}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        return article_requests_sensor(context)


def added_keys(result: dg.SensorResult) -> list[str]:
    return [key for add in result.dynamic_partitions_requests for key in add.partition_keys]


def run_job(definitions, name: str, database_url: str, config: dict) -> dg.ExecuteInProcessResult:
    return definitions.resolve_job_def(name).execute_in_process(
        run_config={"ops": config},
        resources={"db": DatabaseResource(url=database_url)},
        raise_on_error=False,
    )


def review(definitions, database_url: str, **config) -> dg.ExecuteInProcessResult:
    return run_job(
        definitions, "review_articles", database_url, {"apply_review": {"config": config}}
    )


def get_request(engine: Engine, key: str):
    with reading(engine) as connection:
        return repository.get_request(connection, key)


def article_of(engine: Engine, key: str, version: int | None = None):
    with reading(engine) as connection:
        request = repository.get_request(connection, key)
        return repository.get_article(connection, request.id, version or request.version)


def set_status(engine: Engine, key: str, status: str) -> None:
    """Stand in for a run that got the article to `status` (the generation tests run it)."""
    request = get_request(engine, key)
    article = repository.ensure_article(engine, request.id, request.version)
    repository.update_article(engine, article.id, status=status, stage="scores")


def warnings_of(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.WARNING and entry.user_message
    ]


# --- the sensor -----------------------------------------------------------------------------------


def test_an_approved_request_gets_its_partition_and_one_prioritised_run(
    engine, database_url, instance
):
    key = make_request(engine, "Floods", ["floods"], priority="high", approve=True).partition_key
    result = evaluate(instance, database_url)
    assert added_keys(result) == [key]
    assert result.dynamic_partitions_requests[0].partitions_def_name == article_requests.name
    [run] = result.run_requests
    assert run.run_key == f"{key}:v1"
    assert run.partition_key == key
    assert run.tags["dagster/priority"] == "10"
    assert run.tags["dagster/max_runtime"] == str(MAX_RUNTIME_SECONDS) == "1800"
    # Once the partition exists it is not added again; the run key stays the same, so Dagster
    # launches it once however often the sensor asks.
    instance.add_dynamic_partitions(article_requests.name, [key])
    again = evaluate(instance, database_url)
    assert again.dynamic_partitions_requests == []
    assert [r.run_key for r in again.run_requests] == [f"{key}:v1"]


def test_pending_rejected_and_started_requests_get_no_run(engine, database_url, instance):
    make_request(engine, "Waiting for a person")
    rejected = make_request(engine, "Refused").partition_key
    decide(engine, rejected, approve=False)
    started = make_request(engine, "Started", approve=True).partition_key
    assert [run.partition_key for run in evaluate(instance, database_url).run_requests] == [started]
    # Queued (made, no stage begun yet) still wants its run: the same run key, launched once.
    set_status(engine, started, "queued")
    assert [run.run_key for run in evaluate(instance, database_url).run_requests] == [
        f"{started}:v1"
    ]
    for status in ("researching", "drafting", "failed", "needs_review", "ready", "published"):
        set_status(engine, started, status)
        result = evaluate(instance, database_url)
        assert result.run_requests == [] and result.dynamic_partitions_requests == [], status
        assert "no approved request" in result.skip_reason.skip_message


def test_two_approved_requests_are_two_independent_runs(engine, database_url, instance):
    low = make_request(engine, "Bread prices", priority="low", approve=True).partition_key
    normal = make_request(engine, "Floods", approve=True).partition_key
    result = evaluate(instance, database_url)
    assert sorted(added_keys(result)) == sorted([low, normal])
    runs = {run.partition_key: run for run in result.run_requests}
    assert set(runs) == {low, normal}
    assert runs[low].run_key != runs[normal].run_key
    assert runs[low].tags["dagster/priority"] == "-10"
    assert runs[normal].tags["dagster/priority"] == "0"
    assert runs[low].tags["article/request"] == low
    # One failing does not hold the other back: a failed article asks for no new run, the other
    # still gets its own.
    set_status(engine, low, "failed")
    assert [run.partition_key for run in evaluate(instance, database_url).run_requests] == [normal]


# --- request_article ------------------------------------------------------------------------------


def test_request_article_from_the_launchpad_records_the_request(definitions, engine, database_url):
    config = {"topic": "  Floods in Kyiv ", "keywords": ["floods", "shelters"]}
    config |= {"priority": "high", "approve": True}
    result = run_job(
        definitions, "request_article", database_url, {"record_article_request": {"config": config}}
    )
    assert result.success
    key = result.output_for_node("record_article_request")
    [output] = [e for e in result.all_node_events if e.is_successful_output]
    metadata = output.step_output_data.metadata
    assert metadata["partition_key"].value == key
    assert metadata["status"].value == "approved"
    row = get_request(engine, key)
    assert (row.topic, row.keywords, row.priority) == (
        "Floods in Kyiv",
        ["floods", "shelters"],
        "high",
    )
    assert row.requested_by == f"ui:{result.run_id[:8]}"


def test_request_article_with_an_empty_topic_fails_with_the_reason_and_no_retry(
    definitions, engine, database_url
):
    config = {"record_article_request": {"config": {"topic": "   "}}}
    result = run_job(definitions, "request_article", database_url, config)
    assert not result.success
    failure = result.failure_data_for_node("record_article_request")
    assert "topic is empty" in failure.user_failure_data.description
    # Even under a retry policy the op does not try again: the input will not change.
    with_retries = dg.GraphDefinition(
        name="request_with_retries", node_defs=[record_article_request]
    ).to_job(op_retry_policy=dg.RetryPolicy(max_retries=3))
    retried = with_retries.execute_in_process(
        run_config={"ops": config},
        resources={"db": DatabaseResource(url=database_url)},
        raise_on_error=False,
    )
    assert not retried.success
    kinds = {event.event_type for event in retried.all_events}
    assert dg.DagsterEventType.STEP_FAILURE in kinds
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in kinds
    with reading(engine) as connection:
        assert repository.list_requests(connection) == []


# --- review_articles ------------------------------------------------------------------------------


def test_review_approves_and_rejects(definitions, engine, database_url, instance):
    yes = make_request(engine, "Floods").partition_key
    no = make_request(engine, "Museum").partition_key
    result = review(definitions, database_url, approve=[yes], reject=[no], reason="checked")
    assert result.success
    assert get_request(engine, yes).status == "approved"
    assert (get_request(engine, no).status, get_request(engine, no).reason) == (
        "rejected",
        "checked",
    )
    assert [run.partition_key for run in evaluate(instance, database_url).run_requests] == [yes]


def test_review_publishes_a_ready_article_and_refuses_one_that_needs_review(
    definitions, engine, database_url
):
    ready = make_request(engine, "Floods", approve=True).partition_key
    doubtful = make_request(engine, "Museum", approve=True).partition_key
    set_status(engine, ready, "ready")
    set_status(engine, doubtful, "needs_review")
    with dg.instance_for_test() as instance:
        result = definitions.resolve_job_def("review_articles").execute_in_process(
            run_config={"ops": {"apply_review": {"config": {"publish": [ready, doubtful]}}}},
            resources={"db": DatabaseResource(url=database_url)},
            instance=instance,
        )
        warnings = warnings_of(instance, result)
    assert result.success
    published = article_of(engine, ready)
    assert published.status == "published" and published.published_at is not None
    kept = article_of(engine, doubtful)
    assert kept.status == "needs_review" and kept.published_at is None
    assert any(doubtful in w and "needs_review" in w and ready not in w for w in warnings)


def test_review_regenerates_as_a_new_version_keeping_the_old_article(
    definitions, engine, database_url, instance
):
    key = make_request(engine, "Floods", approve=True).partition_key
    set_status(engine, key, "needs_review")
    assert evaluate(instance, database_url).run_requests == []
    result = review(definitions, database_url, regenerate=[key])
    assert result.success
    assert get_request(engine, key).version == 2
    assert article_of(engine, key, version=1).status == "needs_review"
    assert article_of(engine, key) is None
    [run] = evaluate(instance, database_url).run_requests
    assert run.run_key == f"{key}:v2" and run.tags["article/version"] == "2"


def test_review_of_an_unknown_key_fails_naming_it_and_changes_nothing(
    definitions, engine, database_url
):
    known = make_request(engine, "Floods").partition_key
    result = review(definitions, database_url, approve=[known, "r404-missing"])
    assert not result.success
    failure = result.failure_data_for_node("apply_review")
    assert "r404-missing" in failure.user_failure_data.description
    assert get_request(engine, known).status == "pending"
    contradictory = review(definitions, database_url, approve=[known], reject=[known])
    assert not contradictory.success
    failure = contradictory.failure_data_for_node("apply_review")
    assert f"{known} is both approved and rejected" in failure.user_failure_data.description
    assert get_request(engine, known).status == "pending"
