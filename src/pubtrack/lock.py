"""The project lock: one `pubtrack sync` at a time per database.

``fcntl.flock`` on ``data/.lock`` (next to the database). The kernel drops the
lock when the holding process dies, however it dies (SIGKILL included), so a
killed sync never leaves a stale lock behind and nobody has to delete a file.
The holder writes its pid and start time into the file so that a waiting
process can say who it is waiting for. ``render`` never takes this lock: it
only reads, and SQLite's WAL mode lets it read while a sync writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from pubtrack.errors import LockError

LOCK_NAME = ".lock"
POLL_INTERVAL = 0.1  # seconds between two attempts while waiting


def lock_path_for(database_path: Path) -> Path:
    """The lock file lives next to the database (``data/.lock``)."""
    return database_path.parent / LOCK_NAME


class ProjectLock:
    """An exclusive, process-wide lock, waited for at most ``timeout`` seconds.

    ``timeout`` 0 means "try once" (``--no-wait``). ``on_wait`` is called once
    with the holder's description when the lock is busy, so the caller can tell
    the user why nothing happens yet.
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = 60.0,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.timeout = max(0.0, float(timeout))
        self.on_wait = on_wait
        self._fh: int | None = None

    # -- public -----------------------------------------------------------

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockError(
                f"{self.path}: cannot create the lock file: {exc.strerror or exc}"
            ) from None
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if waited >= self.timeout:
                    holder = self.holder()
                    os.close(fd)
                    raise LockError(
                        f"another pubtrack sync is running ({holder}); "
                        f"waited {_seconds(self.timeout)}. Try again later, or pass "
                        "--wait SECONDS to wait longer"
                    ) from None
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait(
                        f"another pubtrack sync is running ({self.holder()}); "
                        f"waiting up to {_seconds(self.timeout)}"
                    )
                time.sleep(min(POLL_INTERVAL, max(0.0, self.timeout - waited)))
        # We hold it: say who we are (for the next process that has to wait).
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        with contextlib.suppress(OSError):  # disk full, file-size limit: the lock holds anyway
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n{started}\n".encode(), 0)
        self._fh = fd

    def release(self) -> None:
        """Unlock and close. The file stays: deleting it would race with waiters."""
        if self._fh is None:
            return
        fd, self._fh = self._fh, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fh is not None

    def holder(self) -> str:
        """'pid 1234, started 2026-11-28 03:00:00 UTC' as written by the holder."""
        try:
            lines = self.path.read_text(encoding="utf-8").split("\n")
        except OSError:
            lines = []
        pid = lines[0].strip() if lines else ""
        started = lines[1].strip() if len(lines) > 1 else ""
        if not pid:
            return "pid unknown"
        return f"pid {pid}, started {started}" if started else f"pid {pid}"

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _seconds(value: float) -> str:
    return f"{value:g} s"
