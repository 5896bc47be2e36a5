"""What the graph reads of a batch of posts, as PostEvidence (lib/graph/records.py): the post
and its channel, the entities and tags of its completed enrichments, the titles of the pages
it links to, the links and datasets its URLs are, and its story's first telling."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Row

from enrichment_assets.lib.graph.records import (
    ChannelEvidence,
    DatasetEvidence,
    PostEvidence,
    StoryEvidence,
    clean_urls,
)
from enrichment_assets.storage import graph_evidence as reads


def _listed(payload: Any, name: str) -> list:
    """`payload[name]` when the payload is an object holding a list there, else []."""
    found = payload.get(name) if isinstance(payload, Mapping) else None
    return found if isinstance(found, list) else []


def entities_of(payload: Any) -> tuple[tuple[str, str], ...]:
    """(text as written, type) of an `llm` answer's entities; malformed items are skipped."""
    found = []
    for entity in _listed(payload, "entities"):
        if isinstance(entity, Mapping) and isinstance(entity.get("text"), str):
            found.append((entity["text"], str(entity.get("type") or "other")))
    return tuple(found)


def _tags(payload: Any) -> tuple[str, ...]:
    return tuple(tag for tag in _listed(payload, "tags") if isinstance(tag, str))


def _page_titles(payload: Any) -> dict[str, str]:
    titles: dict[str, str] = {}
    for page in _listed(payload, "pages"):
        if isinstance(page, Mapping) and isinstance(page.get("url"), str) and page.get("title"):
            titles.setdefault(page["url"].strip(), " ".join(str(page["title"]).split()))
    return titles


def read_evidence(
    connection: Connection, post_ids: Sequence[int], model: str
) -> list[PostEvidence]:
    """The evidence of `post_ids` (those still in `posts`), oldest first: one query per table."""
    rows = sorted(
        reads.read_posts(connection, post_ids), key=lambda row: (row.published_at, row.id)
    )
    ids = [row.id for row in rows]
    enrichment: dict[tuple[int, str], Row] = {
        (row.post_id, row.kind): row for row in reads.read_enrichments(connection, ids)
    }
    urls = {row.id: clean_urls(row.urls) for row in rows}
    every_url = sorted({url for found in urls.values() for url in found})
    link_ids = reads.link_ids(connection, every_url) if every_url else {}
    datasets: dict[str, list[DatasetEvidence]] = defaultdict(list)
    for row in reads.datasets_by_url(connection, every_url) if every_url else ():
        datasets[row.url].append(DatasetEvidence(row.id, row.source, row.external_id, row.title))
    story_rows = {row.post_id: row for row in reads.stories(connection, ids, model)}
    firsts = {row.group_post_id for row in story_rows.values()} - set(ids)
    texts = {row.id: row for row in rows}
    texts.update({row.id: row for row in reads.read_post_texts(connection, sorted(firsts))})

    def completed(post_id: int, kind: str) -> Any:
        row = enrichment.get((post_id, kind))
        return row.payload if row is not None and row.status == "completed" else None

    evidence = []
    for row in rows:
        story = None
        if (found := story_rows.get(row.id)) is not None and found.group_post_id in texts:
            first = texts[found.group_post_id]
            story = StoryEvidence(first.id, first.published_at, first.text, found.similarity)
        crawl = enrichment.get((row.id, "crawl"))
        post_urls = urls[row.id]
        evidence.append(
            PostEvidence(
                post_id=row.id,
                published_at=row.published_at,
                text=row.text,
                urls=post_urls,
                channel=ChannelEvidence(row.channel_id, row.source, row.handle, row.title),
                entities=entities_of(completed(row.id, "llm")),
                tags=_tags(completed(row.id, "tags")),
                page_titles=_page_titles(crawl.payload if crawl is not None else None),
                link_ids={url: link_ids[url] for url in post_urls if url in link_ids},
                datasets={url: tuple(datasets[url]) for url in post_urls if url in datasets},
                story=story,
            )
        )
    return evidence
