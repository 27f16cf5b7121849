"""API adapters, one module per API.

Sync sources are registered as ``pubtrack.sources`` entry points (pyproject.toml),
the same way a plugin registers its own; ``registry.registry()`` is the one list
of them. There is no second, hard-coded list: run pubtrack installed
(``pip install -e .``), so that its entry points exist.
"""
