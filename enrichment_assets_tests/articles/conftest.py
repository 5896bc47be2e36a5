"""Fixtures for article tests: the encoder once per session, a database holding one story told
by three channels and one told by a single channel (posts with their vectors), and a way to
run the `generate_article` job on a fresh instance exactly as the sensor's run would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg
import numpy as np
import pytest
from sqlalchemy.engine import Engine

from enrichment_assets.definitions import defs
from enrichment_assets.defs.partitions import article_requests
from enrichment_assets.lib.articles.requests import RunToRequest, make_request
from enrichment_assets.lib.embeddings.models import load_sentence_transformer
from enrichment_assets.storage import articles as repository
from enrichment_assets.storage.engine import reading
from enrichment_assets.storage.tables import embeddings
from enrichment_assets.storage.upsert import upsert
from enrichment_assets_tests.support.factories import insert_post

MODEL = "all-MiniLM-L6-v2"

# One story, three channels, in the style of the sample's news posts.
FLOODS = [
    (
        "kyiv_wire",
        "Rescue teams said 80,000 people were displaced by the floods in the Odesa region on "
        "12 May 2024. The Red Cross opened 40 shelters in the old town.",
    ),
    (
        "odesa_news",
        "Thousands of people fled the floods in the Odesa region, and roads near the river "
        "closed on Monday. About 300 schools shut for the week, the city council said.",
    ),
    (
        "south_daily",
        "Flood water in the Odesa region began to fall on Tuesday, and people displaced by the "
        "floods began to return. Crews will check the dams, the regional governor said.",
    ),
]
# A story only one channel tells.
MUSEUM = [
    (
        "kyiv_wire",
        "The city museum will return 38 paintings to Greece under a deal signed on "
        "Thursday. The paintings will go on show in Athens in June.",
    ),
]
OTHER = [
    ("odesa_news", "The football club signed a new coach on a two-year contract."),
    ("south_daily", "Bread prices rose 4% in April, the statistics office said."),
]


@pytest.fixture(scope="session")
def encode():
    model = load_sentence_transformer(MODEL)

    def encode_texts(texts: list[str]) -> np.ndarray:
        return np.asarray(
            model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False),
            dtype=np.float32,
        )

    return encode_texts


def seed_posts(engine: Engine, encode, stories=(FLOODS, MUSEUM, OTHER)) -> list[int]:
    """Posts with their vectors under MODEL, as `post_embeddings` would leave them."""
    ids, texts = [], []
    for story in stories:
        for channel, text in story:
            ids.append(insert_post(engine, text, external_id=f"p{len(ids)}", channel=channel))
            texts.append(text)
    vectors = encode(texts)
    with engine.begin() as connection:
        upsert(
            connection,
            embeddings,
            [
                {
                    "entity_type": "post",
                    "entity_id": post_id,
                    "model": MODEL,
                    "dim": 384,
                    "content_hash": f"h{post_id}",
                    "vector": vector.astype("<f4").tobytes(),
                }
                for post_id, vector in zip(ids, vectors, strict=True)
            ],
            key=["entity_type", "entity_id", "model"],
        )
    return ids


@pytest.fixture
def seeded(engine, encode) -> Engine:
    seed_posts(engine, encode)
    return engine


@dataclass
class Generated:
    result: dg.ExecuteInProcessResult
    key: str
    article: object

    def check(self, name: str) -> bool:
        evaluations = {e.check_name: e.passed for e in self.result.get_asset_check_evaluations()}
        return evaluations[name]


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


def request(engine: Engine, topic: str, keywords=(), approve: bool = True) -> str:
    return make_request(engine, topic, list(keywords), approve=approve).partition_key


def generate(
    instance: dg.DagsterInstance,
    engine: Engine,
    key: str,
    resources: dict | None = None,
    only: list[str] | None = None,
) -> Generated:
    """Run `generate_article` (or the stages in `only`) for `key`, on `instance`."""
    definitions = defs()
    if not instance.has_dynamic_partition(article_requests.name, key):
        instance.add_dynamic_partitions(article_requests.name, [key])
    with reading(engine) as connection:
        row = repository.get_request(connection, key)
    assets = [*definitions.assets]
    selection = (
        dg.AssetSelection.assets(*only)
        if only
        else dg.AssetSelection.groups("articles") - dg.AssetSelection.assets("trending_topics")
    )
    result = dg.materialize(
        assets,
        selection=selection,
        instance=instance,
        partition_key=key,
        resources={**definitions.resources, **(resources or {})},
        tags=RunToRequest(key, row.version, row.priority).tags,
        raise_on_error=False,
    )
    with reading(engine) as connection:
        row = repository.get_request(connection, key)
        article = repository.get_article(connection, row.id, row.version)
    return Generated(result, key, article)
