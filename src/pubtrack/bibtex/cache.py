"""Parse cache: a second read of unchanged .bib files costs a hash and an unpickle.

The key covers everything the result depends on: each file's bytes, its role
(publications or talks) and displayed path, the configured encoding, the
pubtrack version, the shape of the model classes and the reader's own source
files (so an upgraded or edited reader never serves a stale result). The cache
is an optimisation only: a missing, corrupt or stale file is ignored, a write
failure is ignored, and ``PUBTRACK_NO_CACHE=1`` turns it off.

The cache is a pickle in the project's own data directory (``data/.cache``),
written and read only by pubtrack; do not commit that directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from pubtrack import __version__, models
from pubtrack.models import Library

_FORMAT = 1
_PREFIX = "bibtex-"


def enabled() -> bool:
    return os.environ.get("PUBTRACK_NO_CACHE", "") in ("", "0")


def _code_signature() -> str:
    """Model field names plus size/mtime of the reader's modules."""
    parts: list[str] = [__version__, str(_FORMAT)]
    for cls in (
        models.Library,
        models.Work,
        models.Talk,
        models.Author,
        models.Identifiers,
        models.Link,
        models.Problem,
        models.Location,
    ):
        parts.append(cls.__name__ + ":" + ",".join(f.name for f in dataclasses.fields(cls)))
    here = Path(__file__).resolve().parent
    identity = here.parent / "identity.py"  # arXiv/DOI normalisation shapes the ids
    for path in sorted(here.glob("*.py")) + [Path(models.__file__), identity]:
        try:
            st = path.stat()
            parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(path.name)
    return "|".join(parts)


_SIGNATURE: str | None = None


def fingerprint(inputs: list[tuple[str, str, bytes]], settings: str = "") -> str:
    """Hash of (display path, role, content) of every file + version + settings."""
    global _SIGNATURE
    if _SIGNATURE is None:
        _SIGNATURE = _code_signature()
    digest = hashlib.blake2b(digest_size=20)
    digest.update(_SIGNATURE.encode())
    digest.update(b"\0" + settings.encode() + b"\0")
    for name, role, data in inputs:
        digest.update(f"{name}\0{role}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{_PREFIX}{key}.pickle"


def load(cache_dir: Path, key: str) -> Library | None:
    """The cached Library for this key, or None (missing, corrupt, stale, disabled)."""
    if not enabled():
        return None
    try:
        with open(_path(cache_dir, key), "rb") as fh:
            stored = pickle.load(fh)
    except Exception:  # noqa: BLE001 - any unreadable cache is simply a miss
        return None
    if (
        not isinstance(stored, tuple)
        or len(stored) != 3
        or stored[0] != _FORMAT
        or stored[1] != key
        or not isinstance(stored[2], Library)
    ):
        return None
    return stored[2]


def save(cache_dir: Path, key: str, library: Library) -> None:
    """Write atomically (temp file + rename); remove older entries; never raise."""
    if not enabled():
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{_PREFIX}", suffix=".tmp", dir=cache_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((_FORMAT, key, library), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, _path(cache_dir, key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        for old in cache_dir.glob(f"{_PREFIX}*.pickle"):
            if old.name != _path(cache_dir, key).name:
                old.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - the cache is an optimisation, never fatal
        return
