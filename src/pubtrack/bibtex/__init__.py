"""BibTeX in: the project's .bib files as Works, Talks and Problems.

``load_library(config)`` is what the commands call; it never raises for a bad
entry (each becomes a ``Problem`` with FILE:LINE) and raises ``BibError`` only
when a configured file cannot be read at all. ``read_file``/``read_string``
parse a single file or text, for tests and tools.
"""

from __future__ import annotations

from pathlib import Path

from pubtrack.bibtex import cache
from pubtrack.bibtex.reader import Reader, no_gc, read_file, read_files, read_string
from pubtrack.config import Config
from pubtrack.errors import BibError
from pubtrack.models import Library

__all__ = ["load_library", "read_file", "read_files", "read_string", "BibError", "Reader"]


def _encoding(config: Config) -> str | None:
    bib = config.raw.get("bib", {}) if isinstance(config.raw, dict) else {}
    value = bib.get("encoding") if isinstance(bib, dict) else None
    return str(value) if value else None


def load_library(config: Config) -> Library:
    """Read ``config.publication_files()`` (works) then ``config.talk_files()`` (talks).

    Files are read in that order, so @string macros of earlier files (e.g. a
    definitions.bib) are visible in later ones. A second call on unchanged
    files returns the cached result (see cache.py).
    """
    encoding = _encoding(config)
    reader = Reader(config.root, encoding)
    inputs: list[tuple[Path, bool, str, bytes]] = []
    for paths, talk in ((config.publication_files(), False), (config.talk_files(), True)):
        for path in paths:
            name = reader.display_path(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BibError(f"{name}: cannot read: {exc.strerror or exc}") from None
            inputs.append((path, talk, name, data))
    key = cache.fingerprint(
        [(name, "talks" if talk else "publications", data) for _, talk, name, data in inputs],
        settings=f"{config.root}|{encoding or ''}",
    )
    cache_dir = config.cache_dir
    with no_gc():
        cached = cache.load(cache_dir, key)
    if cached is not None:
        cached.fingerprint = key
        return cached
    with no_gc():
        for path, talk, _name, data in inputs:
            reader.add_file(path, talk=talk, data=data)
        library = reader.finish()
        library.fingerprint = key
        cache.save(cache_dir, key, library)
    return library
