"""The code graph: repositories walked, parsed with tree-sitter and resolved into a graph."""
