"""The near-duplicate threshold, measured on the real model: retellings of one post are above
it, another story (even on the same topic) is below, and so is a report whose figures differ.
docs/embeddings.md ("Near-duplicate stories") quotes these cases."""

from __future__ import annotations

import pytest

from enrichment_assets.lib.common.figures import figures
from enrichment_assets.lib.embeddings.similarity import (
    NEAR_DUPLICATE_THRESHOLD,
    figures_agree,
)

BASE = (
    "Heavy rains flooded the old town overnight; the mayor closed schools and two bridges, "
    "and the river is expected to peak on Thursday."
)
SAME_STORY = {
    "repost with a channel signature": BASE + " Subscribe to @citynews for updates.",
    "BREAKING prefix and emoji": "⚡️BREAKING: " + BASE,
    "light edit": "Heavy rain flooded the old town overnight: the mayor has closed the schools "
    "and two bridges; the river should peak on Thursday.",
    "shortened": "Old town flooded overnight, schools and two bridges closed.",
    "rewritten": "Overnight rain flooded the old town. The mayor shut the schools and two "
    "bridges; the river should crest on Thursday.",
}
OTHER_STORY = {
    "free paraphrase": "After a night of downpours, water filled the historic centre, prompting "
    "the mayor to shut schools and a pair of bridges ahead of Thursday's expected crest.",
    "same topic, another story": "The mayor presented a plan to build new flood barriers along "
    "the river by 2027.",
    "another story": "The city council approved a new budget for public libraries and parks.",
}


@pytest.fixture(scope="module")
def cosine():
    from enrichment_assets.resources.embedder import EmbedderResource

    embedder = EmbedderResource()
    base = embedder.encode([BASE])[0]

    def score(text: str) -> float:
        return float(embedder.encode([text])[0] @ base)

    return score


@pytest.mark.parametrize("case", SAME_STORY)
def test_retellings_are_near_duplicates(cosine, case):
    assert cosine(SAME_STORY[case]) >= NEAR_DUPLICATE_THRESHOLD


@pytest.mark.parametrize("case", OTHER_STORY)
def test_other_texts_are_not(cosine, case):
    assert cosine(OTHER_STORY[case]) < NEAR_DUPLICATE_THRESHOLD


def test_a_report_with_other_figures_is_close_but_not_the_same_story(cosine):
    """Numbers barely move the vector, which is why figures must agree as well."""
    first = "The launch of the lunar lander test was postponed by 4 days because of a sensor fault."
    other = (
        "The launch of the lunar lander test was postponed by 11 days because of a sensor fault."
    )
    assert cosine(first) < NEAR_DUPLICATE_THRESHOLD  # unrelated to BASE, as a sanity check
    from enrichment_assets.resources.embedder import EmbedderResource

    vectors = EmbedderResource().encode([first, other])
    assert float(vectors[0] @ vectors[1]) >= NEAR_DUPLICATE_THRESHOLD
    assert not figures_agree(figures(first), figures(other))
