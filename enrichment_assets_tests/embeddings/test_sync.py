"""The incremental sync and the search, with the real packaged model, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from enrichment_assets.lib.embeddings.similarity import nearest
from enrichment_assets.lib.embeddings.sync import DatasetSource, PostSource, sync_embeddings
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage import embeddings_pgvector as vectors
from enrichment_assets.storage.embeddings import load_vectors, other_models
from enrichment_assets.storage.tables import datasets, embeddings, post_enrichment, posts
from enrichment_assets_tests.support.factories import insert_dataset, insert_post

DAY = PostSource(datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))
RATES = "The central bank raised interest rates by half a point to fight inflation."
RATES_PARAPHRASE = "To curb rising prices, the central bank hiked its key rate by 0.5 points."
FOOTBALL = "The home team won the football match 3-1 after a late goal in extra time."
RECIPE = "Whisk two eggs with flour and milk, then fry the pancakes in butter."


class CountingEncoder:
    """The real embedder, counting what it is asked to encode."""

    def __init__(self, embedder: EmbedderResource) -> None:
        self.embedder = embedder
        self.texts: list[str] = []

    def __call__(self, texts):
        self.texts.extend(texts)
        return self.embedder.encode(texts)


def _rows(engine, entity_type: str = "post") -> list[sa.Row]:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(embeddings)
            .where(embeddings.c.entity_type == entity_type)
            .order_by(embeddings.c.entity_id, embeddings.c.model)
        ).all()


def test_only_changed_texts_are_encoded_and_nothing_lingers(engine, embedder):
    first = insert_post(engine, RATES, external_id="1")
    second = insert_post(engine, FOOTBALL, external_id="2")
    third = insert_post(engine, RECIPE, external_id="3")
    model = embedder.model

    encoder = CountingEncoder(embedder)
    report = sync_embeddings(engine, DAY, model, encoder)
    assert (report.seen, report.encoded, report.unchanged) == (3, 3, 0)
    rows = _rows(engine)
    assert [(row.entity_id, row.model, row.dim) for row in rows] == [
        (first, model, 384),
        (second, model, 384),
        (third, model, 384),
    ]
    stored = np.frombuffer(rows[0].vector, dtype="<f4")
    assert stored.shape == (384,)
    assert abs(float(np.linalg.norm(stored)) - 1.0) < 1e-4  # normalised

    # Nothing changed: nothing is encoded, nothing is written.
    encoder.texts.clear()
    report = sync_embeddings(engine, DAY, model, encoder)
    assert (report.encoded, report.unchanged) == (0, 3)
    assert encoder.texts == []
    assert [row.updated_at for row in _rows(engine)] == [row.updated_at for row in rows]

    # One post edited, one enriched with keywords, one emptied, one deleted at the source.
    fourth = insert_post(engine, "A fourth post, published the same day.", external_id="4")
    with engine.begin() as connection:
        connection.execute(
            sa.update(posts).where(posts.c.id == first).values(text=RATES + " Markets fell.")
        )
        connection.execute(
            post_enrichment.insert().values(
                post_id=second, kind="llm", status="completed", payload={"keywords": ["football"]}
            )
        )
        connection.execute(sa.update(posts).where(posts.c.id == third).values(text="   "))
    report = sync_embeddings(engine, DAY, model, encoder)
    assert sorted(encoder.texts) == sorted(
        [
            RATES + " Markets fell.",
            "Keywords: football. " + FOOTBALL,
            "A fourth post, published the same day.",
        ]
    )
    assert (report.encoded, report.no_text, report.deleted_no_text) == (3, 1, 1)
    assert {row.entity_id for row in _rows(engine)} == {first, second, fourth}

    with engine.begin() as connection:
        connection.execute(sa.delete(posts).where(posts.c.id == fourth))
    report = sync_embeddings(engine, DAY, model, encoder)
    assert report.deleted_orphans == 1
    assert {row.entity_id for row in _rows(engine)} == {first, second}


def test_a_keywords_row_that_is_not_completed_is_ignored(engine, embedder):
    post = insert_post(engine, RATES, external_id="1")
    with engine.begin() as connection:
        connection.execute(
            post_enrichment.insert().values(
                post_id=post, kind="llm", status="error", payload={"keywords": ["ignored"]}
            )
        )
    encoder = CountingEncoder(embedder)
    sync_embeddings(engine, DAY, embedder.model, encoder)
    assert encoder.texts == [RATES]


def test_new_tags_or_a_crawled_title_re_embed_the_post(engine, embedder):
    post = insert_post(engine, RATES, external_id="1")
    encoder = CountingEncoder(embedder)
    sync_embeddings(engine, DAY, embedder.model, encoder)
    pages = [
        {"url": "https://a.example/1", "outcome": "ok", "title": "Rates up", "text": "Body."},
        {"url": "https://a.example/2", "outcome": "error", "title": "Not read", "text": ""},
    ]
    with engine.begin() as connection:
        connection.execute(
            post_enrichment.insert(),
            [
                {"post_id": post, "kind": "tags", "status": "completed",
                 "payload": {"tags": ["central bank", "inflation"]}},
                {"post_id": post, "kind": "crawl", "status": "completed",
                 "payload": {"pages": pages}},
            ],
        )  # fmt: skip
    encoder.texts.clear()
    report = sync_embeddings(engine, DAY, embedder.model, encoder)
    assert report.encoded == 1
    assert encoder.texts == [f"Tags: central bank, inflation. Linked: Rates up. {RATES}"]

    # The same tags and titles again: nothing to encode.
    encoder.texts.clear()
    assert sync_embeddings(engine, DAY, embedder.model, encoder).encoded == 0


def test_posts_outside_the_window_are_left_alone(engine, embedder):
    insert_post(engine, RATES, external_id="in")
    outside = insert_post(
        engine, FOOTBALL, external_id="out", published_at=datetime(2024, 5, 2, tzinfo=UTC)
    )
    report = sync_embeddings(engine, DAY, embedder.model, embedder.encode)
    assert report.seen == 1
    assert outside not in {row.entity_id for row in _rows(engine)}


def test_pages_cover_every_post_once(engine, embedder):
    ids = [
        insert_post(engine, f"Post number {n} about rivers.", external_id=str(n)) for n in range(7)
    ]
    report = sync_embeddings(engine, DAY, embedder.model, embedder.encode, page_rows=3)
    assert (report.seen, report.encoded) == (7, 7)
    assert sorted(row.entity_id for row in _rows(engine)) == sorted(ids)


def test_a_paraphrase_ranks_above_unrelated_posts(engine, embedder):
    rates = insert_post(engine, RATES, external_id="1", channel="news")
    insert_post(engine, FOOTBALL, external_id="2", channel="sport")
    insert_post(engine, RECIPE, external_id="3", channel="food")
    sync_embeddings(engine, DAY, embedder.model, embedder.encode)

    hits = nearest(engine, "post", embedder.model, embedder.encode([RATES_PARAPHRASE])[0], k=3)
    assert hits[0].entity_id == rates
    assert hits[0].score > hits[1].score + 0.2
    assert hits[0].score > hits[1].score >= hits[2].score


def test_datasets_embed_title_tags_description_and_search(engine, embedder):
    iris = insert_dataset(
        engine,
        "kaggle",
        "uciml/iris",
        title="Iris Species",
        description="Measurements of sepals and petals of three iris flower species.",
        tags=["biology", "botany"],
    )
    insert_dataset(
        engine,
        "huggingface",
        "imdb",
        title="IMDB movie reviews",
        description="Movie reviews labelled positive or negative for sentiment analysis.",
        tags=["text-classification"],
    )
    insert_dataset(engine, "huggingface", "empty")  # no text: nothing to embed
    encoder = CountingEncoder(embedder)
    report = sync_embeddings(engine, DatasetSource(), embedder.model, encoder)
    assert (report.seen, report.encoded, report.no_text) == (3, 2, 1)
    assert (
        "Iris Species Tags: biology, botany. "
        "Measurements of sepals and petals of three iris flower species."
    ) in encoder.texts

    query = embedder.encode(["flower petal measurements for classification"])[0]
    hits = nearest(engine, "dataset", embedder.model, query, k=2)
    assert hits[0].entity_id == iris

    with engine.begin() as connection:
        connection.execute(sa.delete(datasets).where(datasets.c.id == iris))
    report = sync_embeddings(engine, DatasetSource(), embedder.model, encoder)
    assert report.deleted_orphans == 1
    assert iris not in {row.entity_id for row in _rows(engine, "dataset")}


def test_a_model_switch_re_embeds_and_never_mixes_models(engine, embedder, second_model_name):
    first = insert_post(engine, RATES, external_id="1")
    second = insert_post(engine, FOOTBALL, external_id="2")
    sync_embeddings(engine, DAY, embedder.model, embedder.encode)

    switched = EmbedderResource(model_name=second_model_name)
    assert switched.model == second_model_name != embedder.model
    encoder = CountingEncoder(switched)
    report = sync_embeddings(engine, DAY, switched.model, encoder)
    assert report.encoded == 2  # same weights on disk, but another model: everything again
    assert {row.model for row in _rows(engine)} == {embedder.model, switched.model}

    # A post embedded only under the new model is invisible to a search under the old one.
    third = insert_post(engine, RATES_PARAPHRASE, external_id="3")
    sync_embeddings(engine, DAY, switched.model, encoder)
    query = embedder.encode([RATES])[0]
    old = {hit.entity_id for hit in nearest(engine, "post", embedder.model, query, k=10)}
    new = {hit.entity_id for hit in nearest(engine, "post", switched.model, query, k=10)}
    assert old == {first, second}
    assert new == {first, second, third}
    assert other_models(engine, "post", switched.model) == [embedder.model]
    with engine.connect() as connection:
        ids, matrix = load_vectors(connection, "post", embedder.model)
    assert (ids, matrix.shape) == ([first, second], (2, 384))

    # An edit re-embeds under the current model and drops the old model's stale vector.
    with engine.begin() as connection:
        connection.execute(sa.update(posts).where(posts.c.id == first).values(text=RECIPE))
    report = sync_embeddings(engine, DAY, switched.model, encoder)
    assert (report.encoded, report.deleted_stale_other_models) == (1, 1)
    assert {(row.entity_id, row.model) for row in _rows(engine)} == {
        (first, switched.model),
        (second, embedder.model),
        (second, switched.model),
        (third, switched.model),
    }

    # Switching back: only what changed meanwhile is encoded again.
    encoder = CountingEncoder(embedder)
    report = sync_embeddings(engine, DAY, embedder.model, encoder)
    assert sorted(encoder.texts) == sorted([RECIPE, RATES_PARAPHRASE])
    assert report.unchanged == 1

    report = sync_embeddings(engine, DAY, embedder.model, encoder, prune_other_models=True)
    assert report.deleted_other_models == 3
    assert {row.model for row in _rows(engine)} == {embedder.model}


def test_a_query_of_another_dimension_is_refused(engine, embedder):
    insert_post(engine, RATES, external_id="1")
    sync_embeddings(engine, DAY, embedder.model, embedder.encode)
    with pytest.raises(ValueError, match="384 dimensions"):
        nearest(engine, "post", embedder.model, np.ones(10, dtype=np.float32), k=3)
    assert nearest(engine, "post", "a-model-with-no-vectors", np.ones(10), k=3) == []


def test_force_re_encodes_everything_in_scope(engine, embedder):
    insert_post(engine, RATES, external_id="1")
    sync_embeddings(engine, DAY, embedder.model, embedder.encode)
    report = sync_embeddings(engine, DAY, embedder.model, embedder.encode, force=True)
    assert (report.encoded, report.unchanged) == (1, 0)
    assert len(_rows(engine)) == 1


def test_pgvector_is_detected_not_required(engine):
    """The sync uses pgvector exactly when the server offers it; here it proceeds either way."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            offered = bool(
                connection.execute(
                    sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
                ).first()
            )
    else:
        offered = False
    assert vectors.pgvector_available(engine) is offered
    assert vectors.pgvector_column_ready(engine) is offered
