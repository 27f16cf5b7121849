"""Rendered output, remembered: a second render of unchanged input is a file read.

The key covers everything the text depends on: the library fingerprint (bib
files), the resolved options, the owner names and ``[render]`` settings, the
counts and ids read from the database, every template the Jinja environment
can load (the bundled ones and every file in the user's template directory,
since any of them can be included or extended) and the render code.
``generated_at`` is the one value that changes every run; it is rendered as a
placeholder and filled in on the way out. Entries live in
``<database dir>/.cache/render/``; a failure to read or write the cache only
costs speed, and ``PUBTRACK_NO_CACHE=1`` turns it off (as the parse cache).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubtrack import __version__
from pubtrack.errors import PubtrackError

GENERATED_AT_PLACEHOLDER = "PUBTRACK-GENERATED-AT-PLACEHOLDER"
KEEP = 32  # entries kept (one per format/options combination in use)
_CODE_DIR = Path(__file__).parent


def enabled() -> bool:
    """False when ``PUBTRACK_NO_CACHE`` is set (to anything but 0)."""
    return os.environ.get("PUBTRACK_NO_CACHE", "") in ("", "0")


def _code_stamp() -> list[tuple[str, int]]:
    """Bundled templates and render code: an edited install never serves stale text."""
    files = [*_CODE_DIR.glob("*.py"), *(_CODE_DIR / "templates").glob("*")]
    return sorted((f.name, f.stat().st_mtime_ns) for f in files)


def template_stamp(template_dir: Path) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of every template the user's loader can load: an edited
    include or base template changes the key as much as the named template does.
    The same walk as Jinja's ``FileSystemLoader.list_templates`` (links followed)."""
    stamps = []
    for root, _dirs, files in os.walk(template_dir, followlinks=True):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamps.append((os.path.relpath(path, template_dir), st.st_size, st.st_mtime_ns))
    return sorted(stamps)


def cache_key(
    fingerprint: str, options: dict[str, Any], settings: dict[str, Any], stored: Any
) -> str:
    digest = hashlib.sha256()
    for part in (fingerprint, __version__, json.dumps(options, sort_keys=True, default=str)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8") + b"\0")
    digest.update(repr(_code_stamp()).encode("utf-8") + b"\0")
    template = options.get("template")
    if template:
        digest.update(Path(template).read_bytes() + b"\0")
        stamp = template_stamp(Path(template).resolve().parent)
        digest.update(repr(stamp).encode("utf-8") + b"\0")
    digest.update(repr(stored).encode("utf-8"))
    return digest.hexdigest()


@dataclass
class Entry:
    """One rendered text, with the bib's warnings and whether the bib was empty, so that
    a render served from the cache says and refuses what a full render would."""

    text: str
    warnings: list[str] = field(default_factory=list)
    empty: bool = False


def load(directory: Path, key: str) -> Entry | None:
    try:
        data = json.loads((directory / key).read_text(encoding="utf-8"))
        return Entry(str(data["text"]), [str(w) for w in data["warnings"]], bool(data["empty"]))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None


def store(directory: Path, key: str, entry: Entry) -> None:
    from pubtrack.util import write_atomic

    try:
        directory.mkdir(parents=True, exist_ok=True)
        text = json.dumps(
            {"text": entry.text, "warnings": entry.warnings, "empty": entry.empty},
            ensure_ascii=False,
        )
        write_atomic(directory / key, text)
        entries = sorted(directory.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, PubtrackError):
        return  # a cache that cannot be written only costs speed


def fill(text: str, generated_at: str) -> str:
    return text.replace(GENERATED_AT_PLACEHOLDER, generated_at)
