"""pubtrack: keep a researcher's publication list and talks current."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pubtrack")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"
