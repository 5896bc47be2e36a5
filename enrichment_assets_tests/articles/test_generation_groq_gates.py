"""Every check on `article_scores`, through the `generate_article` job against the fake Groq
server: a draft crafted to fail one gate fails that check, and only that one, and the article
is held for review; a gate the pipeline stops evaluating is caught. Behaviour, not storage:
SQLite only (test_generation_groq.py runs the storage cases on both databases)."""

from __future__ import annotations

import pytest

from enrichment_assets.defs.articles.assets import CHECKS
from enrichment_assets.lib.articles import pipeline
from enrichment_assets_tests.articles.conftest import request
from enrichment_assets_tests.articles.groq_runs import (
    SQLITE_ONLY,
    assert_every_check_evaluated,
    check_results,
    failed_checks,
    materialized,
    run_job,
    run_with_writing,
)

# The fixtures: `dagster_instance`, `one_torch_thread`, and the fake Groq server's `groq_env`.
pytest_plugins = ("enrichment_assets_tests.articles.groq_fixtures",)
pytestmark = pytest.mark.usefixtures("one_torch_thread")

FLOODS = ("Floods displace thousands", ["floods", "shelters"])
HARD = (
    "Governmental administrative infrastructure considerations, notwithstanding organizational "
    "responsibilities, necessitated comprehensive evaluations"
)


def case(sections):
    """A `write` for `run_with_writing`: the lead quotes kyiv_wire (its 80,000 and its date);
    `sections(kyiv, odesa, south)` gives the two sections' text."""

    def write(sources):
        kyiv, odesa, south = (sources[c] for c in ("kyiv_wire", "odesa_news", "south_daily"))
        return (kyiv.said(), *sections(kyiv, odesa, south))

    return write


# Check -> (topic, what the writer answers; None: the fake's own honest answers), each failing
# that check and no other (see ALSO_FAILING).
CASES = {
    # [9] is no source; the sentence states no fact, so no other gate minds it.
    "citations_resolve": (
        FLOODS,
        case(lambda k, o, s: (o.said(), f"{s.said()} Crews will check the dams [9].")),
    ),
    # 60 doctors and Odesa are in no source: 2 of 3 fact-bearing claims, under 80%.
    "facts_supported": (
        FLOODS,
        case(
            lambda k, o, s: (
                f"{o.said()} The Red Cross sent 60 doctors to Odesa [{k.n}].",
                s.said(),
            )
        ),
    ),
    # 900 schools where odesa_news says 300: contradicted, while 4 of 5 facts (80%) still hold.
    "no_contradicted_claims": (
        FLOODS,
        case(
            lambda k, o, s: (
                f"{o.said()} About 900 schools shut for the week [{o.n}].",
                f'{s.said()} odesa_news reports: "About 300 schools shut for the week because '
                f'of the floods" [{o.n}]. kyiv_wire reports: "The Red Cross opened 40 shelters in '
                f'the old town" [{k.n}]. kyiv_wire reports: "The Red Cross opened 40 shelters" '
                f"[{k.n}].",
            )
        ),
    ),
    "bias": (
        FLOODS,
        case(
            lambda k, o, s: (
                o.said(),
                f"{s.said()} Officials called the shameful, disgraceful response a scandalous "
                f"failure [{s.n}].",
            )
        ),
    ),
    # Every sentence cites kyiv_wire: one channel holds the whole article.
    "perspective_balance": (
        FLOODS,
        case(
            lambda k, o, s: (
                f'kyiv_wire reports: "The Red Cross opened 40 shelters in the old town" [{k.n}].',
                f'kyiv_wire reports: "The Red Cross opened 40 shelters" [{k.n}].',
            )
        ),
    ),
    "readability": (
        FLOODS,
        case(
            lambda k, o, s: (
                o.said(),
                f"{s.said()} {HARD} [{s.n}].",
            )
        ),
    ),
    # Nine words of south_daily copied without quotation marks: a quarter of the article.
    "plagiarism": (
        FLOODS,
        case(
            lambda k, o, s: (
                o.said(),
                f"Crews will check the dams, the regional governor said [{s.n}].",
            )
        ),
    ),
    # A story one channel tells: research finds too few sources, and one channel is no balance.
    "enough_sources": (("Paintings return to Greece", ["museum", "paintings"]), None),
}
ALSO_FAILING = {"enough_sources": {"perspective_balance"}}


def test_every_declared_check_has_a_case_here():
    assert set(CASES) == set(CHECKS)


@SQLITE_ONLY
@pytest.mark.parametrize("check", CHECKS)
def test_a_failing_gate_fails_its_check_and_holds_the_article_for_review(
    check, seeded, database_url, dagster_instance, groq_env
):
    (topic, keywords), write = CASES[check]
    key = request(seeded, topic, keywords)
    if write is None:
        made = run_job(dagster_instance, seeded, database_url, key)
    else:
        made = run_with_writing(dagster_instance, seeded, database_url, key, groq_env, write)

    assert failed_checks(made) == {check} | ALSO_FAILING.get(check, set())
    assert_every_check_evaluated(made)
    reason = check_results(made)[check].description
    assert reason and f"{check}: {reason}" in made.article.review_reason
    assert made.article.status == "needs_review"
    assert made.article.checks[check]["passed"] is False
    assert "article_publication" not in materialized(made)


@SQLITE_ONLY
def test_the_honest_article_passes_every_check(seeded, database_url, dagster_instance, groq_env):
    made = run_job(dagster_instance, seeded, database_url, request(seeded, *FLOODS))
    assert failed_checks(made) == set()
    assert_every_check_evaluated(made)
    assert made.article.status == "ready"
    assert "article_publication" in materialized(made)


@SQLITE_ONLY
def test_a_gate_the_pipeline_stops_evaluating_is_caught(
    seeded, database_url, dagster_instance, groq_env, monkeypatch
):
    every_gate = pipeline.run_gates
    monkeypatch.setattr(pipeline, "run_gates", lambda *args: every_gate(*args)[:-1])
    made = run_job(dagster_instance, seeded, database_url, request(seeded, *FLOODS))
    with pytest.raises(AssertionError, match="not evaluated"):
        assert_every_check_evaluated(made)
    assert set(made.article.checks) == set(CHECKS) - {"plagiarism"}
    # Nor does the run pass for it: a declared check without a result fails the step.
    assert not made.result.success
    assert made.article.status != "published"
