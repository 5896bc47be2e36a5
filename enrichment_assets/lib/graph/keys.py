"""Natural keys of graph nodes: one node per thing, however it was written.

An entity's key is its type and its canonical name: "OpenAI", "openai" and "OpenAI," are one
node, and so are "Café" written with a composed or a decomposed "é". The canonical name is the
text NFKC-normalised and casefolded, with invisible format characters (zero-width space,
joiners) removed, whitespace runs made one space, and punctuation stripped from both ends but
not from inside ("U.S." becomes "u.s"; "C++" keeps its pluses, which are symbols). For Russian,
"ё" is read as "е", since most Russian text omits the diaeresis. Diacritics are otherwise kept:
"résumé" and "resume" are different words.
"""

from __future__ import annotations

import unicodedata

MAX_KEY_CHARS = 1000  # graph_nodes.key holds 1024; the type prefix needs the rest
MAX_TYPE_CHARS = 40


def _is_edge_junk(char: str) -> bool:
    return unicodedata.category(char).startswith(("P", "Z", "C"))


def canonical_name(text: str) -> str:
    """The form two spellings of one name share; "" when nothing is left."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    # Zero-width and other format characters are invisible: "Open\u200bAI" is "OpenAI".
    folded = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    collapsed = " ".join(folded.split())
    start, end = 0, len(collapsed)
    while start < end and _is_edge_junk(collapsed[start]):
        start += 1
    while end > start and _is_edge_junk(collapsed[end - 1]):
        end -= 1
    return collapsed[start:end][:MAX_KEY_CHARS].strip()


def canonical_type(entity_type: str) -> str:
    """An entity type as a key part: "Person", "PERSON " and "person" are one type."""
    kept = canonical_name(entity_type).upper().replace(" ", "_")
    return kept[:MAX_TYPE_CHARS] or "OTHER"


def entity_key(text: str, entity_type: str) -> str | None:
    """`TYPE:canonical name`, or None for a name that is only punctuation and space."""
    name = canonical_name(text)
    return f"{canonical_type(entity_type)}:{name}" if name else None


def tag_key(text: str) -> str | None:
    name = canonical_name(text)
    return name or None


def channel_key(source: str, handle: str) -> str:
    return f"{source}:{handle}"


def dataset_key(source: str, external_id: str) -> str:
    return f"{source}:{external_id}"
