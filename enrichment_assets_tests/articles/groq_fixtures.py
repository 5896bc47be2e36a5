"""The fixtures of test_generation_groq.py and test_generation_groq_gates.py, which load this
module with `pytest_plugins`: an in-memory Dagster instance, MiniLM on one thread, and the fake
Groq server's `groq_env` (from the enrichment tests' conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from enrichment_assets_tests.enrichment.conftest import groq_env, groq_server  # noqa: F401


@pytest.fixture
def dagster_instance() -> Iterator[dg.DagsterInstance]:
    """An in-memory instance: the runs, their events and the article partitions, at half the
    cost of an instance on disk (these tests run the job some twenty times)."""
    with dg.DagsterInstance.ephemeral() as instance:
        yield instance


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """MiniLM encodes a handful of short texts per run (the seeded posts, research's query): one
    thread does that in milliseconds, while a thread pool on a busy machine takes a tenth of a
    second or more per call."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
