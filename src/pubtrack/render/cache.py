"""Rendered output, remembered: a second render of unchanged input is a file read.

The key covers everything the text depends on: the library fingerprint (bib
files), the resolved options, the owner names and ``[render]`` settings, the
counts and ids read from the database, the bytes of every template the Jinja
environment can load (the bundled ones and every file in the user's template
directory, since any of them can be included or extended) and of the render
code. Contents, not sizes and times: an edit that keeps both still renders anew.
``generated_at`` is the one value that changes every run; it is rendered as a
placeholder and filled in on the way out. Entries live in
``<database dir>/.cache/render/``; a failure to read or write the cache only
costs speed, and ``PUBTRACK_NO_CACHE=1`` turns it off (as the parse cache).
"""

from __future__ import annotations

import contextlib
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


# A user's template folder is read whole for the key; past these sizes (a template
# kept at the project root, next to the database and a virtualenv) reading it would
# cost more than the render saves, so that render is not cached.
TEMPLATE_DIR_MAX_FILES = 1000
TEMPLATE_DIR_MAX_BYTES = 16_000_000


def _add_file(digest: Any, name: str, path: str | Path) -> int:
    """Name and bytes of one file into ``digest`` (length-prefixed, so no two sets of
    files hash alike); an unreadable file counts as such. Returns the bytes read."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        digest.update(f"{name}\0unreadable\0".encode())
        return 0
    digest.update(f"{name}\0{len(data)}\0".encode())
    digest.update(data)
    return len(data)


def _code_stamp() -> str:
    """Bundled templates and render code, by content: an edited install never serves
    stale text, whatever the files' times say."""
    digest = hashlib.sha256()
    files = [*_CODE_DIR.glob("*.py"), *(_CODE_DIR / "templates").glob("*")]
    for path in sorted(files):
        _add_file(digest, path.relative_to(_CODE_DIR).as_posix(), path)
    return digest.hexdigest()


def template_stamp(template_dir: Path) -> str | None:
    """A digest of the name and bytes of every file the user's loader can load (the
    same walk as Jinja's ``FileSystemLoader.list_templates``, links followed): an
    edited include or base template changes the key as much as the named template
    does, even when the edit kept the file's size and time. None when the folder is
    too large to read for every render (then the render is not cached)."""
    found: list[tuple[str, str]] = []
    total = 0
    for root, _dirs, files in os.walk(template_dir, followlinks=True):
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):  # unreadable: counted as such below
                total += os.stat(path).st_size
            found.append((os.path.relpath(path, template_dir), path))
            if len(found) > TEMPLATE_DIR_MAX_FILES or total > TEMPLATE_DIR_MAX_BYTES:
                return None
    digest = hashlib.sha256()
    for name, path in sorted(found):
        _add_file(digest, name, path)
    return digest.hexdigest()


def cache_key(
    fingerprint: str, options: dict[str, Any], settings: dict[str, Any], stored: Any
) -> str | None:
    """The entry's name: a digest of everything the text depends on (None: this
    render cannot be keyed cheaply, see ``template_stamp``)."""
    digest = hashlib.sha256()
    for part in (fingerprint, __version__, json.dumps(options, sort_keys=True, default=str)):
        digest.update(part.encode("utf-8") + b"\0")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode("utf-8") + b"\0")
    digest.update(_code_stamp().encode("utf-8") + b"\0")
    template = options.get("template")
    if template:
        stamp = template_stamp(Path(template).resolve().parent)
        if stamp is None:
            return None
        digest.update(stamp.encode("utf-8") + b"\0")
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
