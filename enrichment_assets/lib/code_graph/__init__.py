"""Code graph: a repository's definitions, imports, inheritance and calls (plain functions)."""
