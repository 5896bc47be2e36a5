"""The embedding model the research, writer and tracing tests share (MiniLM, loaded once)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from enrichment_assets.lib.embeddings.models import (
    DEFAULT_EMBEDDING_MODEL,
    load_sentence_transformer,
)


@pytest.fixture(scope="session")
def encode() -> Callable[[list[str]], np.ndarray]:
    """Texts to L2-normalised float32 rows, with the packaged all-MiniLM-L6-v2."""
    model = load_sentence_transformer(DEFAULT_EMBEDDING_MODEL)

    def encode(texts: list[str]) -> np.ndarray:
        rows = model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)

    return encode
