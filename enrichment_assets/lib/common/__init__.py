"""What several domains share, once: retry-after and backoff, metadata tables, hashing,
the numbers a text states."""
