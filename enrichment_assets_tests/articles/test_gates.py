import dataclasses

import pytest

from enrichment_assets.lib.articles import gates
from enrichment_assets.lib.articles.gates import GATES, run_gates
from enrichment_assets.lib.articles.records import GateResult
from enrichment_assets_tests.articles.fixtures import DRAFT, DRAFT_SOURCES, HONEST, SOURCES, TEXTS


def _by_name(results):
    return {result.name: result for result in results}


def test_every_gate_runs_in_order():
    assert [result.name for result in run_gates(HONEST, SOURCES)] == list(GATES)


def test_an_honest_extractive_article_passes_every_gate():
    results = run_gates(HONEST, SOURCES)
    assert [r for r in results if not r.passed] == []
    assert all(result.score is not None for result in results)


def test_the_issue_draft_fails_and_each_reason_names_the_problem():
    results = _by_name(run_gates(DRAFT, [tuple(source) for source in DRAFT_SOURCES]))
    assert not results["citations_resolve"].passed
    assert "no such source: [3]" in results["citations_resolve"].reason
    assert not results["facts_supported"].passed
    assert "120000 not in [1]" in results["facts_supported"].reason
    assert "[3], which does not exist" in results["facts_supported"].reason
    assert not results["no_contradicted_claims"].passed
    assert "but [1] says 80000 displaced" in results["no_contradicted_claims"].reason


def test_a_gate_that_cannot_compute_fails_with_no_score(monkeypatch):
    def broken(markdown, sources):
        raise ValueError("boom")

    monkeypatch.setattr(gates, "plagiarism", broken)
    result = _by_name(run_gates(HONEST, SOURCES))["plagiarism"]
    assert not result.passed
    assert result.score is None
    assert result.reason == "no score: ValueError: boom"


def test_an_empty_article_passes_nothing():
    results = run_gates("", SOURCES)
    assert not any(result.passed for result in results)


def test_a_result_cannot_pass_without_a_score():
    with pytest.raises(ValueError, match="without a score"):
        GateResult("x", True, None, 1.0, "")
    with pytest.raises(ValueError, match="without a score"):
        GateResult("x", True, float("nan"), 1.0, "")
    failed = GateResult.no_score("x", 1.0, "why")
    assert dataclasses.astuple(failed) == ("x", False, None, 1.0, "no score: why")


def test_an_attribution_naming_the_cited_sources_channel_is_supported():
    markdown = (
        "# Floods\n\nWorld Brief Daily reports: “The Red Cross opened 40 shelters in the old "
        "town.” [1] Odesa News Agency says: “Roads near the river were closed on Monday.” [2]\n"
    )
    sources = [(1, "World Brief Daily", TEXTS[1]), (2, "Odesa News Agency", TEXTS[2])]
    assert _by_name(run_gates(markdown, sources))["facts_supported"].passed
    swapped = [(1, "Odesa News Agency", TEXTS[1]), (2, "World Brief Daily", TEXTS[2])]
    result = _by_name(run_gates(markdown, swapped))["facts_supported"]
    assert not result.passed
    assert "brief daily not in [1]" in result.reason
