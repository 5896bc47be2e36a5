"""Canonical node keys: one node per thing, however it was written."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest

from enrichment_assets.lib.graph.keys import (
    canonical_name,
    canonical_type,
    channel_key,
    dataset_key,
    entity_key,
    tag_key,
)
from enrichment_assets.lib.graph.records import (
    ChannelEvidence,
    PostEvidence,
    merge_nodes,
    post_records,
)


@pytest.mark.parametrize("written", ["OpenAI", "openai", "OpenAI,", " OPENAI ", "«OpenAI»"])
def test_spellings_of_one_name_share_a_key(written):
    assert entity_key(written, "org") == "ORG:openai"


def test_inner_punctuation_and_symbols_stay():
    assert canonical_name("U.S.") == "u.s"
    assert canonical_name("C++") == "c++"
    assert canonical_name("Dagster-PG") == "dagster-pg"
    assert canonical_name("New   York\n City") == "new york city"


def test_cyrillic_is_folded_and_yo_is_ye():
    assert entity_key("Яндекс", "ORG") == entity_key("ЯНДЕКС.", "org") == "ORG:яндекс"
    assert canonical_name("Ёлка") == canonical_name("елка") == "елка"
    # Latin and Cyrillic look-alikes are different letters, hence different names.
    assert canonical_name("Сoca") != canonical_name("Coca")


def test_composed_and_decomposed_diacritics_are_one_name():
    composed = unicodedata.normalize("NFC", "Café Müller")
    decomposed = unicodedata.normalize("NFD", "Café Müller")
    assert composed != decomposed
    assert entity_key(composed, "place") == entity_key(decomposed, "place") == "PLACE:café müller"
    assert canonical_name("résumé") != canonical_name("resume")  # diacritics are kept


def test_zero_width_characters_are_invisible():
    assert canonical_name("Open\u200bAI") == "openai"
    assert canonical_name("\ufeffOpenAI\u200d") == "openai"
    assert canonical_name("\u200b") == ""


def test_types_are_one_spelling_and_empty_names_are_no_key():
    assert canonical_type("Person ") == canonical_type("PERSON") == "PERSON"
    assert canonical_type("") == "OTHER"
    assert canonical_type("product line") == "PRODUCT_LINE"
    assert entity_key("  ,. ", "person") is None
    assert tag_key("#AI!") == "ai" and tag_key("…") is None


def test_channel_and_dataset_keys():
    assert channel_key("telegram", "durov") == "telegram:durov"
    assert dataset_key("kaggle", "owner/slug") == "kaggle:owner/slug"


def test_one_entity_node_keeps_its_first_spelling_and_gathers_the_others():
    post = PostEvidence(
        post_id=1,
        published_at=datetime(2024, 5, 1, tzinfo=UTC),
        text="t",
        urls=(),
        channel=ChannelEvidence(1, "telegram", "c", None),
        entities=(("OpenAI", "org"), ("openai", "ORG"), ("OpenAI,", "Org"), ("OpenAI", "person")),
    )
    nodes, edges = post_records(post)
    merged = merge_nodes(nodes)
    org = merged[("entity", "ORG:openai")]
    assert org.label == "OpenAI" and org.aliases == ("OpenAI", "OpenAI,", "openai")
    assert ("entity", "PERSON:openai") in merged  # another type, another node
    weights = {edge.target: edge.weight for edge in edges if edge.kind == "MENTIONS"}
    assert weights == {("entity", "ORG:openai"): 3.0, ("entity", "PERSON:openai"): 1.0}
