"""The atomic writer: symlinks, owners, devices and FIFOs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pubtrack.errors import PubtrackError
from pubtrack.util import write_atomic


def test_symlink_target_is_updated_and_the_link_kept(tmp_path: Path) -> None:
    target = tmp_path / "site" / "index.md"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "README.md"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_relative_and_chained_symlinks(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "a.md").symlink_to("real.md")
    (tmp_path / "b.md").symlink_to("a.md")
    write_atomic(tmp_path / "b.md", "new")
    assert (tmp_path / "real.md").read_text() == "new"
    assert (tmp_path / "b.md").is_symlink() and (tmp_path / "a.md").is_symlink()


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    (tmp_path / "out.md").symlink_to(tmp_path / "made.md")
    write_atomic(tmp_path / "out.md", "x")
    assert (tmp_path / "made.md").read_text() == "x"


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(PubtrackError):
        write_atomic(tmp_path / "a", "x")


def test_fifo_and_device_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(PubtrackError, match="FIFO"):
        write_atomic(fifo, "x")
    with pytest.raises(PubtrackError, match="device"):
        write_atomic(Path("/dev/null"), "x")
    assert Path("/dev/null").exists()


def test_mode_and_owner_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("old")
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 1234, 5678)
    write_atomic(path, "new")
    info = path.stat()
    assert info.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:  # only root may give a file away
        assert (info.st_uid, info.st_gid) == (1234, 5678)


def test_inject_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    from pubtrack.errors import InjectError
    from pubtrack.render.inject import read_text

    fifo = tmp_path / "page.md"
    os.mkfifo(fifo)
    with pytest.raises(InjectError, match="not a regular file"):
        read_text(fifo)
