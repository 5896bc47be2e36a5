"""bench/embed: the incremental embedding pipeline beside raw `SentenceTransformer.encode`.

5,000 synthetic posts of about 12 words (shorter than real posts, to keep the run under three
minutes on two shared cores) go into a fresh SQLite database, 500 per day over 10 days.
In the same process, day by day:
- raw: `SentenceTransformer.encode` of exactly the texts the pipeline encodes for that day;
- pipeline: `sync_embeddings` for that day (what `post_embeddings` runs): read the posts page by
  page, hash, diff against stored hashes, encode, write the vectors in batches, commit.
The two alternate in blocks of a few seconds (raw first on even days, pipeline first on odd
ones) because the machine is shared: a burst of someone else's load hits both sides alike.
Then a re-run over all 10 days with nothing changed: it must encode zero texts and take at
most 5% of the first pass's encoding time.
Goal: pipeline texts/s >= 0.9 x raw texts/s.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.lib.embeddings.sync import PostSource, post_embedding_text, sync_embeddings
from enrichment_assets.resources.embedder import EmbedderResource
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import channels, posts

TEXTS = 5_000
DAYS = 10
WORDS = 12
DAY = datetime(2024, 5, 1, tzinfo=UTC)
_WORDS_TO_DRAW_FROM = (
    "the a central bank raised rates inflation markets fell rose city council approved budget "
    "river flooded bridge closed school students teachers election vote candidate court ruled "
    "law privacy data breach company shares profit energy solar wind battery grid outage "
    "football match team won lost goal season player transfer film festival award director "
    "vaccine hospital health doctors research study scientists space rocket launch satellite "
    "weather storm heat record rain snow drought farmers harvest prices fuel train strike"
)


def synthetic_posts(count: int = TEXTS, words: int = WORDS, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    vocabulary = _WORDS_TO_DRAW_FROM.split()
    return [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(words - 4, words + 4))) + "."
        for _ in range(count)
    ]


def _load(engine, texts: list[str]) -> None:
    with engine.begin() as connection:
        channel_ids = [
            connection.execute(
                channels.insert().values(source="jsonl", handle=f"bench-{n}", title=f"bench {n}")
            ).inserted_primary_key[0]
            for n in range(5)
        ]
        connection.execute(
            posts.insert(),
            [
                {
                    "channel_id": channel_ids[n % len(channel_ids)],
                    "external_id": str(n),
                    "published_at": DAY + timedelta(days=n % DAYS, seconds=n),
                    "text": text,
                    "urls": [],
                    "content_hash": content_hash(text),
                }
                for n, text in enumerate(texts)
            ],
        )


def _raw(model, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return time.perf_counter() - started


def main() -> None:
    texts = synthetic_posts()
    embedder = EmbedderResource()
    batch_size = embedder.resolved_batch_size()
    started = time.perf_counter()
    model = embedder.sentence_transformer()
    model.encode(texts[:64], batch_size=batch_size)  # first-call warm-up, for both sides
    print(f"model {embedder.model}: loaded and warmed up in {time.perf_counter() - started:.1f} s")
    print(f"{len(texts)} texts of {WORDS}±4 words, batch size {batch_size}")

    with tempfile.TemporaryDirectory() as folder:
        engine = create_database_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade_to_head(engine)
        _load(engine, texts)
        raw_seconds = pipeline_seconds = encode_seconds = 0.0
        encoded = 0
        for day in range(DAYS):
            start = DAY + timedelta(days=day)
            source = PostSource(start, start + timedelta(days=1))
            # Exactly what the pipeline will encode for this day, in the same order.
            day_texts = [post_embedding_text(text) for text in texts[day::DAYS]]
            for side in ("raw", "pipeline") if day % 2 == 0 else ("pipeline", "raw"):
                if side == "raw":
                    raw_day = _raw(model, day_texts, batch_size)
                    raw_seconds += raw_day
                else:
                    report = sync_embeddings(engine, source, embedder.model, embedder.encode)
                    pipeline_seconds += report.seconds
                    encode_seconds += report.encode_seconds
                    encoded += report.encoded
            print(
                f"  day {day + 1:>2}/{DAYS}: {len(day_texts)} texts, raw {raw_day:5.1f} s, "
                f"pipeline {report.seconds:5.1f} s",
                flush=True,
            )
        again = sync_embeddings(
            engine, PostSource(DAY, DAY + timedelta(days=DAYS)), embedder.model, embedder.encode
        )
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM embeddings")).scalar()
        engine.dispose()

    raw_rate = len(texts) / raw_seconds
    pipeline_rate = encoded / pipeline_seconds
    ratio = pipeline_rate / raw_rate
    rerun_share = again.seconds / encode_seconds
    assert encoded == len(texts) == stored == again.seen, (encoded, stored, again.seen)
    print(f"raw SentenceTransformer.encode: {raw_rate:7.1f} texts/s ({raw_seconds:.1f} s)")
    print(
        f"pipeline (read, hash, diff, encode, write): {pipeline_rate:7.1f} texts/s "
        f"({pipeline_seconds:.1f} s, of which encoding {encode_seconds:.1f} s)"
    )
    print(f"ratio pipeline/raw: {ratio:.2f}x (goal >= 0.90x) {'OK' if ratio >= 0.9 else 'MISSED'}")
    print(
        f"unchanged re-run: encoded {again.encoded} of {again.seen} texts in "
        f"{again.seconds:.2f} s = {rerun_share:.1%} of the first pass's encoding time "
        f"(goal <= 5%) {'OK' if again.encoded == 0 and rerun_share <= 0.05 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
