"""Embeddings: models loaded once and offline, the incremental sync, search and near-duplicates."""
