"""The project lock, with a second process holding it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pubtrack.errors import EXIT_FAILURE, LockError
from pubtrack.lock import ProjectLock, lock_path_for

HOLDER = """
import sys, time
from pubtrack.lock import ProjectLock
lock = ProjectLock(sys.argv[1], timeout=0)
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()   # hold until the test says so (or is killed)
lock.release()
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    path = tmp_path / "data" / ".lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc, path
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_process_times_out_with_a_clear_message(holder) -> None:
    proc, path = holder
    waits: list[str] = []
    with pytest.raises(LockError) as info:
        ProjectLock(path, timeout=0.3, on_wait=waits.append).acquire()
    message = str(info.value)
    assert f"another pubtrack sync is running (pid {proc.pid}, started " in message
    assert "waited 0.3 s" in message
    assert info.value.exit_code == EXIT_FAILURE
    assert len(waits) == 1 and f"pid {proc.pid}" in waits[0]


def test_no_wait_fails_at_once(holder) -> None:
    _, path = holder
    with pytest.raises(LockError, match="waited 0 s"):
        ProjectLock(path, timeout=0).acquire()


def test_waiter_gets_the_lock_when_the_holder_finishes(holder) -> None:
    proc, path = holder
    assert proc.stdin is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    with ProjectLock(path, timeout=10) as lock:
        assert lock.held
        assert path.read_text().startswith(f"{os.getpid()}\n")
    assert proc.wait(timeout=10) == 0


def test_a_killed_holder_leaves_no_stale_lock(holder) -> None:
    proc, path = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert path.exists()  # the file stays, the lock does not
    with ProjectLock(path, timeout=0) as lock:
        assert lock.held


def test_lock_file_lives_next_to_the_database(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "data" / "pubtrack.db") == tmp_path / "data" / ".lock"
    lock = ProjectLock(tmp_path / "data" / ".lock", timeout=0)
    lock.acquire()
    lock.release()
    lock.release()  # idempotent
    assert not lock.held
