"""ConfigurableResource classes: the clients the assets talk through.

Each resource reads its settings when a run starts (never at import), holds its heavy client
in a private attribute for the length of the run, and has an offline twin for the embedded
default and the tests.
"""
