"""Expected failures of `pubtrack sync`: one `Error:` line, the right exit code."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.db import Store

BIB = "@article{a, title={Some Paper Title}, author={Ann Bee}, journal={J}, year=2020}\n"


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pubtrack.toml").write_text('[sync]\nsources = ["arxiv"]\nlock_timeout = 1\n')
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "pubs.bib").write_text(BIB)
    monkeypatch.chdir(tmp_path)
    for name in ("PUBTRACK_CONFIG", "PUBTRACK_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBTRACK_ARXIV_API_URL", "http://127.0.0.1:9/unused")
    return tmp_path


def sync(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sync", *args])
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    return result.exit_code, result.output


def one_error(output: str) -> str:
    assert "Traceback" not in output
    [line] = [ln for ln in output.splitlines() if ln.startswith("Error:")]
    return line


def test_a_database_locked_by_another_writer_waits_then_says_so(proj: Path) -> None:
    db = proj / "data" / "pubtrack.db"
    Store.open(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, output = sync("--wait", "1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert "locked" in one_error(output)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"a,semantic_scholar,99999999999999999999999,,2026-01-01T00:00:00Z\n", "count"),
        (b"a,semantic_scholar,-5,,2026-01-01T00:00:00Z\n", "count"),
        (b"a,semantic_scholar,5,,9999-99-99\n", "bad row"),
        (b"a,semantic_scholar,5,,2026-01-01T00:00:00Z\xff\xfe\n", "not UTF-8"),
        (b"a,semantic_scholar,5,," + b"x" * 200_000 + b"\n", "history file"),
    ],
)
def test_bad_history_rows_are_one_error_line(proj: Path, content: bytes, needle: str) -> None:
    header = b"publication_key,source,count,influential,retrieved_at\n"
    (proj / "h.csv").write_bytes(header + content)
    code, output = sync("--history-file", "h.csv")
    assert code == 2
    assert needle in one_error(output) and "h.csv" in one_error(output)


def test_a_history_file_that_is_a_directory(proj: Path) -> None:
    (proj / "hist").mkdir()
    code, output = sync("--history-file", "hist")
    assert code == 2 and "directory" in one_error(output)


def test_pubtrack_now_out_of_range(proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBTRACK_NOW", "9999-12-31T23:59:59")
    code, output = sync()
    assert code == 2 and "PUBTRACK_NOW" in one_error(output)


def _limited(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_file_size_limit_is_one_error_line(proj: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_")}
    env["PUBTRACK_ARXIV_API_URL"] = "http://127.0.0.1:9/unused"
    result = subprocess.run(
        [sys.executable, "-m", "pubtrack", "sync"],
        cwd=proj,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: _limited(8192),
    )
    assert result.returncode == 1, result.stderr
    line = one_error(result.stderr)
    assert "full" in line or "limit" in line


def _make_read_only(path: Path) -> bool:
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        return True
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _undo_read_only(path: Path) -> None:
    if os.geteuid() != 0:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    else:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def test_read_only_database_in_sync_is_one_error_line(proj: Path) -> None:
    db = proj / "data" / "pubtrack.db"
    with Store.open(db) as store:
        store.db.execute("PRAGMA journal_mode = DELETE")
    if not _make_read_only(db):
        pytest.skip("cannot make a file read-only here")
    try:
        code, output = sync()
        stats = CliRunner().invoke(cli, ["stats"])  # read commands still work
    finally:
        _undo_read_only(db)
    assert code == 1 and "read-only" in one_error(output)
    assert "readonly database" not in stats.output
