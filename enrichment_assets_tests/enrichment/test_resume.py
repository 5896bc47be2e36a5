"""Progress is committed text by text: a run killed half-way keeps what it wrote, and the next
run does only the rest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from enrichment_assets.lib.enrichment.runner import Outcome
from enrichment_assets.lib.enrichment.usage import RunTotals
from enrichment_assets.lib.enrichment.workflow import run_enrichment
from enrichment_assets.storage.tables import post_enrichment
from enrichment_assets_tests.support.factories import insert_post

START, END = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC)


class Killed(Exception):
    pass


class ScriptedBackend:
    provider, model, prompt_version = "groq", "m", "v1"

    def __init__(self, die_after: int | None = None) -> None:
        self.die_after = die_after
        self.asked: list[str] = []
        self.closed = False

    def process(self, items, on_outcome) -> RunTotals:
        for number, item in enumerate(items):
            if self.die_after is not None and number == self.die_after:
                raise Killed
            self.asked.append(item.text)
            payload = {"keywords": [item.text.split()[0]], "category": "other",
                       "sentiment": "neutral", "entities": []}  # fmt: skip
            on_outcome(Outcome(item.content_hash, "completed", payload=payload))
        return RunTotals()

    def close(self) -> None:
        self.closed = True


def test_a_killed_run_keeps_its_rows_and_the_next_run_does_the_rest(engine):
    for i in range(5):
        insert_post(engine, f"Post{i} with its own text", external_id=str(i))
    dying = ScriptedBackend(die_after=3)
    with pytest.raises(Killed):
        run_enrichment(engine, dying, "llm", START, END)
    assert dying.closed  # the client is released even when the run dies
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(post_enrichment)).scalar()
            == 3
        )
    resumed = ScriptedBackend()
    summary = run_enrichment(engine, resumed, "llm", START, END)
    assert summary.already_done == 3 and len(resumed.asked) == 2
    assert summary.statuses["completed"] == 2
