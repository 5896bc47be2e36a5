"""Plain functions: the text that is encoded, the vector format, ranking and grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from enrichment_assets.lib.common.figures import figures
from enrichment_assets.lib.embeddings.similarity import (
    figures_agree,
    near_duplicate_groups,
    top_k,
)
from enrichment_assets.lib.embeddings.sync import (
    MAX_TEXT_CHARS,
    bytes_to_vector,
    dataset_embedding_text,
    keywords_from_payload,
    page_titles_from_payload,
    post_embedding_text,
    tags_from_payload,
    vector_to_bytes,
)
from enrichment_assets.resources.embedder import canonical_model_name
from enrichment_assets.storage import embeddings_pgvector as vectors


def test_post_text_is_led_by_keywords_and_normalised():
    assert post_embedding_text("  Rates   rise\n today ", ["central bank", "rates"]) == (
        "Keywords: central bank, rates. Rates rise today"
    )
    assert post_embedding_text("Rates rise", None) == "Rates rise"
    assert post_embedding_text("   ", ["keywords", "alone"]) == ""


def test_post_text_leads_with_keywords_tags_and_the_titles_of_pages_read():
    assert (
        post_embedding_text(
            "Rates rise", ["rates"], ["central bank", " "], ["Bank raises rates", ""]
        )
        == "Keywords: rates. Tags: central bank. Linked: Bank raises rates. Rates rise"
    )
    assert post_embedding_text("", ["rates"], ["tag"], ["Title"]) == ""


def test_tags_and_page_titles_are_read_only_from_well_formed_payloads():
    assert tags_from_payload({"tags": ["ai", 3, {"x": 1}]}) == ["ai", "3"]
    assert tags_from_payload({"tags": "ai"}) == []
    assert tags_from_payload(None) == []
    pages = [
        {"title": "Read", "text": "body"},
        {"title": "Not read", "text": ""},
        {"title": None, "text": "body"},
        "not a page",
    ]
    assert page_titles_from_payload({"pages": pages}) == ["Read"]
    assert page_titles_from_payload({"pages": "x"}) == []


def test_long_text_is_capped_so_the_keywords_survive():
    text = post_embedding_text("word " * 5000, ["kept"])
    assert len(text) <= MAX_TEXT_CHARS
    assert text.startswith("Keywords: kept.")


def test_dataset_text_is_title_tags_description():
    assert dataset_embedding_text("Iris", "Fisher's flowers.", ["biology", "tabular"]) == (
        "Iris Tags: biology, tabular. Fisher's flowers."
    )
    assert dataset_embedding_text(None, None, []) == ""
    assert dataset_embedding_text(None, "only a description", None) == "only a description"


@pytest.mark.parametrize(
    ("payload", "keywords"),
    [
        ({"keywords": ["a", "b"]}, ["a", "b"]),
        ({"keywords": "not a list"}, []),
        ({"summary": "no keywords"}, []),
        (None, []),
        (["a list"], []),
        ({"keywords": ["a", {"nested": 1}, 3]}, ["a", "3"]),
    ],
)
def test_keywords_from_payload_accepts_only_a_list(payload, keywords):
    assert keywords_from_payload(payload) == keywords


def test_vectors_round_trip_as_float32_little_endian():
    vector = np.array([0.25, -1.5, 3.0], dtype=np.float64)
    data = vector_to_bytes(vector)
    assert data == np.array([0.25, -1.5, 3.0], dtype="<f4").tobytes()
    assert bytes_to_vector(data, 3).tolist() == [0.25, -1.5, 3.0]
    with pytest.raises(ValueError, match="dim=4"):
        bytes_to_vector(data, 4)


def test_top_k_is_best_first_and_bounded():
    matrix = np.eye(4, dtype=np.float32)
    query = np.array([0.1, 0.9, 0.0, 0.4], dtype=np.float32)
    assert [i for i, _ in top_k(matrix, query, 2)] == [1, 3]
    assert len(top_k(matrix, query, 10)) == 4
    assert top_k(np.zeros((0, 4), dtype=np.float32), query, 3) == []


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_near_duplicates_join_channels_within_the_gap_only():
    day = datetime(2024, 5, 1, 12, tzinfo=UTC)
    story = _unit(1, 0.05, 0)
    retold = _unit(1, 0.1, 0)
    retold_again = _unit(1, 0.0, 0.1)
    other = _unit(0, 1, 0)
    matrix = np.stack([story, retold, retold_again, other, story, story])
    groups = near_duplicate_groups(
        post_ids=[10, 11, 12, 13, 14, 15],
        channel_ids=[1, 2, 3, 2, 1, 4],  # 14 repeats channel 1 only; 15 is a week later
        published_at=[
            day,
            day + timedelta(hours=3),
            day + timedelta(hours=30),
            day,
            day + timedelta(hours=1),
            day + timedelta(days=7),
        ],
        matrix=matrix,
        threshold=0.95,
        max_gap=timedelta(hours=48),
    )
    assert len(groups) == 1
    group = groups[0]
    # 14 joins through 11 and 12 (other channels), not through 10 (its own channel).
    assert group.post_ids == (10, 14, 11, 12)
    assert group.group_post_id == 10
    assert group.channel_count == 3
    assert all(score >= 0.95 for score in group.similarity.values())


def test_same_channel_repeats_are_not_a_story_across_channels():
    day = datetime(2024, 5, 1, tzinfo=UTC)
    matrix = np.stack([_unit(1, 0), _unit(1, 0)])
    assert near_duplicate_groups([1, 2], [7, 7], [day, day], matrix, threshold=0.9) == []


def test_packaged_aliases_are_one_model_and_any_other_name_is_another():
    assert canonical_model_name("sentence-transformers/all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    assert canonical_model_name("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"
    assert canonical_model_name("/models/minilm-copy") == "/models/minilm-copy"


def test_pgvector_statements_match_the_index_they_rely_on():
    literal = vectors.vector_literal(np.array([0.5, -0.25], dtype=np.float32))
    assert literal == "[0.5,-0.25]"
    ddl = vectors.index_ddl("post", "it's-a-model", 384)
    assert "USING hnsw ((embedding::vector(384)) vector_cosine_ops)" in ddl
    assert "model = 'it''s-a-model'" in ddl  # quotes doubled: a literal, not an injection
    query = vectors.nearest_sql("post", "it's-a-model", 384)
    # The planner uses a partial expression index only for the same expression and predicate.
    assert "(embedding::vector(384)) <=>" in query
    assert ddl.split("WHERE ", 1)[1] in query
    assert vectors.index_name("post", "a", 384) != vectors.index_name("post", "b", 384)


def test_figures_are_the_numbers_a_text_states_not_its_links():
    text = "80,000 displaced; rates at 3,75% and 1.9% https://x.example/2024/05/15 #2024 @wire7"
    assert figures(text) == {"80000", "3.75", "1.9"}
    assert figures("no numbers here") == frozenset()


@pytest.mark.parametrize(
    ("first", "second", "agree"),
    [
        ({"4"}, {"11"}, False),  # "delayed by 4 days" / "by 11 days": another report
        ({"7.3", "4.5", "3.9"}, {"4.1", "1.2", "3.9"}, False),  # one figure in three shared
        ({"1.1", "950000"}, {"1.1"}, True),  # a shortened retelling dropped a figure
        ({"2", "1"}, {"1", "2"}, True),
        (set(), {"5"}, True),  # nothing to compare
    ],
)
def test_figures_agree_unless_a_retelling_changes_them(first, second, agree):
    assert figures_agree(frozenset(first), frozenset(second)) is agree


def test_posts_whose_figures_disagree_are_not_grouped():
    day = datetime(2024, 5, 1, tzinfo=UTC)
    matrix = np.stack([_unit(1, 0), _unit(1, 0.01), _unit(1, 0.02)])
    stated = [frozenset({"4"}), frozenset({"11"}), frozenset({"4", "2024"})]
    groups = near_duplicate_groups(
        [1, 2, 3], [7, 8, 9], [day, day, day], matrix, threshold=0.9, stated_figures=stated
    )
    assert [group.post_ids for group in groups] == [(1, 3)]


def test_the_pgvector_write_casts_the_text_form_on_the_server():
    """What `write_vectors` sends to a pgvector server, compiled without one."""
    from sqlalchemy.dialects import postgresql

    table = vectors._with_column
    statement = postgresql.insert(table).values(
        entity_type="post",
        entity_id=1,
        model="m",
        dim=2,
        content_hash="h",
        vector=b"",
        embedding=np.array([0.5, -0.25], dtype=np.float32),
    )
    compiled = statement.compile(dialect=postgresql.psycopg.dialect())
    assert "CAST(%(embedding)s AS vector)" in str(compiled)
    processor = table.c.embedding.type.bind_processor(postgresql.psycopg.dialect())
    assert processor(np.array([0.5, -0.25], dtype=np.float32)) == "[0.5,-0.25]"
