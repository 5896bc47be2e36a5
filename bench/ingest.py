"""bench/ingest: a 100,000-post Telegram export into SQLite, streamed vs the naive way.

Both sides run in their own process (so each peak RSS is its own) on the same generated file:
- pipeline: `ingest_window` (streamed ijson with escape repair, batched upserts, one
  transaction per file);
- baseline: whole-file `json.load` (after the same escape repair), then row by row: look the
  post up, insert it, commit (what the legacy per-item tasks did).
Goals (issue 2): ≥10,000 posts/s, peak RSS ≤400 MB, ≥5× the baseline.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench._memory import peak_rss_bytes

OUT = Path(__file__).resolve().parent / "out" / "ingest"
POSTS = int(os.environ.get("BENCH_INGEST_POSTS", "100000"))
TOPICS = ["markets", "elections", "vaccines", "football", "chips", "climate", "museums", "rates"]


def generate(path: Path, count: int) -> None:
    """A tdesktop-shaped export: one-space indentation, polymorphic text, entities, links."""
    marker = path.with_suffix(".count")
    if path.exists() and marker.exists() and marker.read_text() == str(count):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    start = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "name": "Bench Channel",\n "type": "public_channel",\n "id": 777,\n')
        out.write(' "messages": [\n')
        for i in range(count):
            when = start + i * 97
            topic = TOPICS[i % len(TOPICS)]
            link = f"https://news.example/{topic}/{i}"
            text = [f"Update {i} on {topic}: officials said the figures moved again. ",
                    {"type": "link", "text": link}]  # fmt: skip
            message = {
                "id": i + 1,
                "type": "message",
                "date": datetime.fromtimestamp(when).isoformat(),
                "date_unixtime": str(when),
                "from": "Bench Channel",
                "from_id": "channel777",
                "text": text,
                "text_entities": [{"type": "plain", "text": text[0]}, text[1]],
            }
            out.write("  " + json.dumps(message, ensure_ascii=False))
            out.write(",\n" if i < count - 1 else "\n")
        out.write(" ]\n}\n")
    path.with_suffix(".count").write_text(str(count))


def run_pipeline(export: Path, database: Path) -> int:
    from enrichment_assets.lib.posts.loader import Window, ingest_window
    from enrichment_assets.storage import create_database_engine, upgrade_to_head

    engine = create_database_engine(f"sqlite:///{database}")
    upgrade_to_head(engine)
    report = ingest_window(engine, export.parent, Window(date(2024, 1, 1), date(2024, 12, 31)),
                           date(2020, 1, 1))  # fmt: skip
    return report.counts["inserted"]


def run_baseline(export: Path, database: Path) -> int:
    import sqlalchemy as sa

    from enrichment_assets.lib.common.hashing import content_hash
    from enrichment_assets.storage import create_database_engine, upgrade_to_head
    from enrichment_assets.storage.tables import channels, posts

    engine = create_database_engine(f"sqlite:///{database}")
    upgrade_to_head(engine)
    raw = re.sub(rb"\\x([0-9A-Fa-f]{2})", rb"\\u00\1", export.read_bytes())
    data = json.loads(raw)
    with engine.begin() as connection:
        channel_id = connection.execute(
            channels.insert().values(source="telegram", handle=str(data["id"]), title=data["name"])
        ).inserted_primary_key[0]
    inserted = 0
    for message in data["messages"]:
        text = "".join(part["text"] for part in message["text_entities"])
        with engine.begin() as connection:
            exists = connection.execute(
                sa.select(posts.c.id).where(
                    posts.c.channel_id == channel_id, posts.c.external_id == str(message["id"])
                )
            ).first()
            if exists is None:
                connection.execute(posts.insert().values(
                    channel_id=channel_id, external_id=str(message["id"]), text=text,
                    published_at=datetime.fromtimestamp(int(message["date_unixtime"]), tz=UTC),
                    urls=[], content_hash=content_hash(text)))  # fmt: skip
                inserted += 1
    return inserted


def child(mode: str, export: str, database: str) -> None:
    started = time.perf_counter()
    runner = run_pipeline if mode == "pipeline" else run_baseline
    inserted = runner(Path(export), Path(database))
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_bytes() / 2**20
    print(json.dumps({"inserted": inserted, "seconds": seconds, "peak_mb": peak_mb}))


def measure(mode: str, export: Path) -> dict:
    database = OUT / f"{mode}.db"
    for leftover in OUT.glob(f"{mode}.db*"):
        leftover.unlink()
    completed = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--child", mode, str(export), str(database)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    export = OUT / "landing" / "result.json"
    generate(export, POSTS)
    size_mb = export.stat().st_size / 1e6
    print(f"export: {POSTS:,} posts, {size_mb:.0f} MB")
    pipeline = measure("pipeline", export)
    baseline = measure("baseline", export)
    for name, figures in (("pipeline", pipeline), ("baseline", baseline)):
        rate = figures["inserted"] / figures["seconds"]
        print(f"{name:>9}: {figures['inserted']:,} posts in {figures['seconds']:.1f} s = "
              f"{rate:,.0f} posts/s, peak RSS {figures['peak_mb']:.0f} MB")  # fmt: skip
    ratio = (pipeline["inserted"] / pipeline["seconds"]) / (
        baseline["inserted"] / baseline["seconds"]
    )
    print(f"    ratio: {ratio:.1f}× the baseline (goal ≥5×; ≥10,000 posts/s; peak ≤400 MB)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
