"""BibTeX in: the project's .bib files as Works, Talks and Problems.

``load_library(config)`` is what the commands call; it never raises for a bad
entry (each becomes a ``Problem`` with FILE:LINE) and raises ``BibError`` only
when a configured file cannot be read at all. ``read_file``/``read_string``
parse a single file or text, for tests and tools.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.bibtex import cache
from pubtrack.config import Config
from pubtrack.errors import BibError
from pubtrack.models import Library, Problem
from pubtrack.util import gc_paused

if TYPE_CHECKING:
    from pubtrack.bibtex.reader import Reader, read_file, read_files, read_string

__all__ = [
    "load_library",
    "library_fingerprint",
    "read_file",
    "read_files",
    "read_string",
    "BibError",
    "Reader",
]


def __getattr__(name: str) -> Any:
    """The reader's names, imported on first use: a render served from the output
    cache needs the files' fingerprint, not the reader (nor bibtexparser)."""
    if name in ("Reader", "read_file", "read_files", "read_string"):
        from pubtrack.bibtex import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def display_path(root: Path | None, path: Path) -> str:
    """``path`` relative to the project ``root`` when inside it (for FILE:LINE)."""
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _encoding(config: Config) -> str | None:
    return config.bib.encoding or None


def _unmatched_settings(config: Config) -> list[Problem]:
    """`[bib] talks = ["bib/talks.bib"]` naming no existing file: a warning at the setting.

    (The config layer drops missing files silently so that the defaults work
    in a bare folder; a file the user configured explicitly deserves a word.)
    """
    given = config.given.get("bib", {})
    if config.path is None or not given:
        return []
    toml_name = display_path(config.root, config.path)
    problems: list[Problem] = []
    for setting in ("publications", "talks"):
        if setting not in given:
            continue  # the default: a bare folder need not have a talks file
        for pattern in getattr(config.bib, setting):
            full = pattern if os.path.isabs(pattern) else str(config.root / pattern)
            found = glob.glob(full) if glob.has_magic(full) else os.path.exists(full)
            if found:
                continue
            line = given[setting] or 1
            problems.append(
                Problem(toml_name, line, f"[bib] {setting}: '{pattern}' matches no file", "warning")
            )
    return problems


def _inputs(config: Config) -> tuple[list[tuple[Path, bool, str, bytes]], str]:
    """The files to read (bytes in hand) and their fingerprint: the parse cache's key."""
    encoding = _encoding(config)
    inputs: list[tuple[Path, bool, str, bytes]] = []
    for paths, talk in ((config.publication_files(), False), (config.talk_files(), True)):
        for path in paths:
            name = display_path(config.root, path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BibError(f"{name}: cannot read: {exc.strerror or exc}") from None
            inputs.append((path, talk, name, data))
    key = cache.fingerprint(
        [(name, "talks" if talk else "publications", data) for _, talk, name, data in inputs],
        settings=f"{config.root}|{encoding or ''}",
    )
    return inputs, key


def library_fingerprint(config: Config) -> str:
    """What ``load_library(config).fingerprint`` will be, without parsing anything
    (render's output cache is checked with it before the library is loaded)."""
    return _inputs(config)[1]


def load_library(config: Config) -> Library:
    """Read ``config.publication_files()`` (works) then ``config.talk_files()`` (talks).

    Files are read in that order, so @string macros of earlier files (e.g. a
    definitions.bib) are visible in later ones. A second call on unchanged
    files returns the cached result (see cache.py).
    """
    inputs, key = _inputs(config)
    cache_dir = config.cache_dir
    with gc_paused():
        cached = cache.load(cache_dir, key)
    unmatched = _unmatched_settings(config)
    if cached is not None:
        cached.fingerprint = key
        cached.problems[:0] = unmatched
        return cached
    from pubtrack.bibtex.reader import Reader

    reader = Reader(config.root, _encoding(config))
    with gc_paused():
        for path, talk, _name, data in inputs:
            reader.add_file(path, talk=talk, data=data)
        library = reader.finish()
        library.fingerprint = key
        cache.save(cache_dir, key, library)
    library.problems[:0] = unmatched
    return library
