"""`embedder`: sentence-transformers encode, normalised float32 vectors, one model per run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field, PrivateAttr

from enrichment_assets.lib.embeddings.models import (
    DEFAULT_EMBEDDING_MODEL,
    load_sentence_transformer,
)
from enrichment_assets.resources._config import SettingsResource, field_or_setting
from enrichment_assets.settings import EmbeddingsSettings

# Names that load the same packaged weights are one model: switching between them re-embeds
# nothing. Any other name is another model, even if its files happen to be identical.
_PACKAGED_NAMES = {DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"}


def canonical_model_name(name: str) -> str:
    """The name a vector is stored under (`embeddings.model`)."""
    return DEFAULT_EMBEDDING_MODEL if name in _PACKAGED_NAMES else name


class EmbedderResource(SettingsResource):
    """Encodes texts with a sentence-transformers model (default: the packaged
    all-MiniLM-L6-v2, offline). The model is loaded on first use, once per process, so a run
    with nothing to encode never pays for it."""

    settings_groups = (EmbeddingsSettings,)

    model_name: str | None = Field(
        default=None, description="model name or local folder; unset means EMBEDDING_MODEL"
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="texts per forward pass; unset means EMBEDDING_BATCH_SIZE (32)",
    )
    device: str | None = Field(
        default=None, description="torch device; unset means EMBEDDING_DEVICE (cpu)"
    )

    _model: object | None = PrivateAttr(default=None)

    @property
    def model(self) -> str:
        """The model's identity: every vector is stored and searched under this name."""
        setting = self.settings(EmbeddingsSettings).embedding_model
        return canonical_model_name(field_or_setting(self.model_name, setting))

    def resolved_batch_size(self) -> int:
        setting = self.settings(EmbeddingsSettings).embedding_batch_size
        return field_or_setting(self.batch_size, setting)

    def resolved_device(self) -> str:
        return field_or_setting(self.device, self.settings(EmbeddingsSettings).embedding_device)

    def sentence_transformer(self):
        if self._model is None:
            self._model = load_sentence_transformer(self.model, device=self.resolved_device())
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised float32 row per text (cosine similarity = dot product)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.sentence_transformer().encode(
            list(texts),
            batch_size=self.resolved_batch_size(),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
