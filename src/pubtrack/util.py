"""Small helpers more than one layer needs: atomic file writes, GC pauses."""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pubtrack.errors import BadInputError, PubtrackError


def write_atomic(path: Path, data: str | bytes, *, make_parents: bool = False) -> None:
    """Temp file in the same directory, fsync, os.replace: never half a file.

    A symlink is followed: its target is replaced (the link stays a link). An
    existing file keeps its mode and, where the process may set it, its owner
    and group; a new one gets the usual 0666 & ~umask (mkstemp's 0600 would hide
    a rendered page or a badge from a web server). Devices, FIFOs and sockets
    are refused: writing there is never what a render means.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = Path(path)
    if path.is_symlink():
        try:
            path = path.resolve(strict=False)
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise BadInputError(f"{path}: cannot follow the symbolic link: {exc}") from None
    try:
        info: os.stat_result | None = path.stat()
    except OSError:  # no such file (or a parent is not a directory: said below)
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise BadInputError(f"{path}: is a directory, not a file")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise BadInputError(
            f"{path}: is a device, FIFO or socket, not a regular file; nothing written"
        )
    directory = path.parent if str(path.parent) else Path(".")
    if info is not None:
        mode = info.st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        if make_parents:
            directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise PubtrackError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if info is not None and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # only root (or the group's member) may
                os.chown(tmp, info.st_uid, info.st_gid)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PubtrackError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic GC while a big, acyclic object graph is built and read.

    Parsing and rendering allocate hundreds of thousands of small objects and
    no cycles, so each full collection is pure overhead (on a 10,000-entry bib
    about a third of the render time). Reference counting still frees
    everything; the collector is back on when the job is done.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Everything allocated meanwhile sits in the youngest generation: the
            # first allocation after enable() would scan it all (a tenth of a
            # second on a 10,000-entry bib). Move it to the oldest generation
            # unscanned instead (freeze, then unfreeze into generation 2), unless
            # the caller froze objects of its own (unfreeze would release them).
            own = gc.get_freeze_count() == 0
            if own:
                gc.freeze()
            gc.enable()
            if own:
                gc.unfreeze()
