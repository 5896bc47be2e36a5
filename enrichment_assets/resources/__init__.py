"""ConfigurableResource classes: the clients the assets talk through.

Each resource reads its settings when a run starts (never at import; see `_config.py` for the
one rule by which a field left unset falls back to its setting), holds its heavy client in a
private attribute for the length of the run, and has an offline twin for the embedded default
and the tests.
"""
