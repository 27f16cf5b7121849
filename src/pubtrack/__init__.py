"""pubtrack: keep a researcher's publication list and talks current."""

# The one place the version lives (pyproject.toml reads it): no
# importlib.metadata lookup on every command start.
__version__ = "0.1.0"
