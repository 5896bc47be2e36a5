"""Articles: the quality gates an article passes before it is published (plain functions)."""
