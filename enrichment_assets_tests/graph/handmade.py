"""A small post graph written row by row (not built), whose right answers are worked out by hand
in the tests' docstrings: 3 channels, 9 posts (8 in the graph), 6 entities, 2 tags, a link, a
dataset and one story told three times.

    post  channel     published          entities                        tags      other
    p1    Kyiv Wire   05-01 09:00        OpenAI ORG, GPT-5 PRODUCT       ai        CITES dataset
    p2    Odesa News  05-01 12:00        OpenAI ORG, Sam Altman PERSON   ai        CITES link
    p3    Kyiv Wire   05-02 10:00        GPT-5 PRODUCT                   ai        SAME_STORY → p1
    p4    Odesa News  05-03 00:00        Kyiv LOC                        politics
    p5    Odesa News  05-03 15:00        OpenAI ORG, Kyiv LOC            ai
    p6    techblog    05-04 11:00        –                               –         SAME_STORY → p1
    p7    Kyiv Wire   05-04 12:00        Apple ORG, Kyiv LOC             politics
    p8    techblog    05-04 13:00        Apple PRODUCT, Apple ORG (×2)   –
    p9    Kyiv Wire   05-04 14:00        (a post with no node: the graph was not built for it)

CO_OCCURS is derived from the table as the build derives it (posts mentioning both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations

from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.storage.tables import channels, graph_edges, graph_nodes, posts

CHANNELS = {  # handle: (source, title)
    "kyiv_wire": ("telegram", "Kyiv Wire"),
    "odesa_news": ("telegram", "Odesa News"),
    "techblog": ("rss", None),
}

ENTITIES = {  # key: (label, type, name_key, aliases)
    "ORG:openai": ("OpenAI", "ORG", "openai", ["OpenAI", "OpenAI;", "openai"]),
    "PRODUCT:gpt-5": ("GPT-5", "PRODUCT", "gpt-5", ["GPT-5"]),
    "PERSON:sam altman": ("Sam Altman", "PERSON", "sam altman", ["Sam Altman"]),
    "LOC:kyiv": ("Kyiv", "LOC", "kyiv", ["Kyiv"]),
    "ORG:apple": ("Apple", "ORG", "apple", ["Apple"]),
    "PRODUCT:apple": ("Apple", "PRODUCT", "apple", ["Apple"]),
}

LINK = "https://openai.com/blog/gpt-5"
DATASET = "huggingface:openai/gsm8k"

# name: (channel, published, text, {entity key: weight}, [tags], SAME_STORY target, CITES)
POSTS = {
    "p1": ("kyiv_wire", (1, 9), "OpenAI releases GPT-5",
           {"ORG:openai": 1, "PRODUCT:gpt-5": 1}, ["ai"], None, [("dataset", DATASET)]),
    "p2": ("odesa_news", (1, 12), 'Altman on "OpenAI",\nsays more, | and more',
           {"ORG:openai": 1, "PERSON:sam altman": 1}, ["ai"], None, [("link", LINK)]),
    "p3": ("kyiv_wire", (2, 10), "GPT-5 first impressions",
           {"PRODUCT:gpt-5": 1}, ["ai"], "p1", []),
    "p4": ("odesa_news", (3, 0), "Kyiv council meets", {"LOC:kyiv": 1}, ["politics"], None, []),
    "p5": ("odesa_news", (3, 15), "OpenAI opens an office in Kyiv",
           {"ORG:openai": 1, "LOC:kyiv": 1}, ["ai"], None, []),
    "p6": ("techblog", (4, 11), "GPT-5, again", {}, [], "p1", []),
    "p7": ("kyiv_wire", (4, 12), "Apple and Kyiv",
           {"ORG:apple": 1, "LOC:kyiv": 1}, ["politics"], None, []),
    "p8": ("techblog", (4, 13), "Apple's new phone",
           {"PRODUCT:apple": 1, "ORG:apple": 2}, [], None, []),
}  # fmt: skip
UNBUILT = "p9"


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


@dataclass
class Handmade:
    post: dict[str, int] = field(default_factory=dict)  # name → posts.id
    node: dict[str, int] = field(default_factory=dict)  # post name or node key → graph id
    channel: dict[str, int] = field(default_factory=dict)  # handle → graph id
    edges: dict[str, int] = field(default_factory=dict)  # kind → count


def _node(connection, **values) -> int:
    return connection.execute(graph_nodes.insert().values(**values)).inserted_primary_key[0]


def _published(names: list[str]) -> tuple[datetime, datetime]:
    times = [at(*POSTS[name][1]) for name in names]
    return min(times), max(times)


def build_handmade(engine: Engine) -> Handmade:
    graph = Handmade()
    edges: list[dict] = []
    with engine.begin() as connection:
        channel_ids = {}
        for handle, (source, title) in CHANNELS.items():
            channel_ids[handle] = connection.execute(
                channels.insert().values(source=source, handle=handle, title=title)
            ).inserted_primary_key[0]
        for name, (handle, (day, hour), text, *_) in [
            *POSTS.items(), (UNBUILT, ("kyiv_wire", (4, 14), "not built yet"))
        ]:  # fmt: skip
            graph.post[name] = connection.execute(
                posts.insert().values(
                    channel_id=channel_ids[handle],
                    external_id=name,
                    published_at=at(day, hour),
                    text=text,
                    urls=[],
                    content_hash=content_hash(text),
                )
            ).inserted_primary_key[0]
        for handle, (source, title) in CHANNELS.items():
            names = [name for name, row in POSTS.items() if row[0] == handle]
            first, last = _published(names)
            graph.channel[handle] = _node(
                connection, kind="channel", key=f"{source}:{handle}", label=title or handle,
                ref_id=channel_ids[handle], first_seen=first, last_seen=last,
            )  # fmt: skip
        for name, (_, (day, hour), text, *_) in POSTS.items():
            graph.node[name] = _node(
                connection, kind="post", key=str(graph.post[name]),
                label=" ".join(text.split())[:120], ref_id=graph.post[name],
                first_seen=at(day, hour), last_seen=at(day, hour),
            )  # fmt: skip
        for key, (label, entity_type, name_key, aliases) in ENTITIES.items():
            first, last = _published([n for n, row in POSTS.items() if key in row[3]])
            graph.node[key] = _node(
                connection, kind="entity", key=key, label=label, entity_type=entity_type,
                name_key=name_key, aliases=aliases, first_seen=first, last_seen=last,
            )  # fmt: skip
        for tag in ("ai", "politics"):
            first, last = _published([n for n, row in POSTS.items() if tag in row[4]])
            graph.node[tag] = _node(
                connection, kind="tag", key=tag, label=tag, name_key=tag, aliases=[tag],
                first_seen=first, last_seen=last,
            )  # fmt: skip
        p1, p2 = at(*POSTS["p1"][1]), at(*POSTS["p2"][1])
        graph.node[LINK] = _node(
            connection, kind="link", key=LINK, label="GPT-5 | OpenAI", first_seen=p2, last_seen=p2
        )
        graph.node[DATASET] = _node(
            connection, kind="dataset", key=DATASET, label="GSM8K", first_seen=p1, last_seen=p1
        )

        pairs: dict[tuple[int, int], list[datetime]] = {}
        for name, (handle, (day, hour), _, mentions, tags, story, cites) in POSTS.items():
            seen, post_node = at(day, hour), graph.node[name]

            def edge(kind, source, target, weight=1.0, post=graph.post[name], seen=seen):
                edges.append({"kind": kind, "source_id": source, "target_id": target,
                              "weight": weight, "post_id": post, "seen_at": seen})  # fmt: skip

            edge("PUBLISHED", graph.channel[handle], post_node)
            for key, weight in mentions.items():
                edge("MENTIONS", post_node, graph.node[key], float(weight))
            for tag in tags:
                edge("TAGGED", post_node, graph.node[tag])
            if story:
                edge("SAME_STORY", post_node, graph.node[story], 0.9)
            for _, key in cites:
                edge("CITES", post_node, graph.node[key])
            for a, b in combinations(sorted(graph.node[key] for key in mentions), 2):
                pairs.setdefault((a, b), []).append(seen)
        for (a, b), seen in pairs.items():
            edges.append(
                {"kind": "CO_OCCURS", "source_id": a, "target_id": b,
                 "weight": float(len(seen)), "post_id": None, "seen_at": max(seen)}
            )  # fmt: skip
        connection.execute(graph_edges.insert(), edges)
    for row in edges:
        graph.edges[row["kind"]] = graph.edges.get(row["kind"], 0) + 1
    return graph
