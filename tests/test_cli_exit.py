"""`python -m pubtrack` leaves without interpreter teardown: exit codes and output unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Buffered output, as on a user's machine: a missing flush would lose the tail.
    full_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PUBTRACK_") and k != "PYTHONUNBUFFERED"
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pubtrack", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("debug", ["", "1"])
def test_render_output_arrives_whole_through_a_pipe(example_project: Path, debug: str) -> None:
    # Many entries: more output than a pipe buffer holds, so a missing flush would show.
    bib = example_project / "bib" / "publications.bib"
    many = "".join(
        f"@misc{{gen{i}, title = {{Generated title number {i}}}, author = {{Liu, Zihang}},"
        f" year = {{2020}}, url = {{https://example.org/{i}}}}}\n"
        for i in range(1500)
    )
    bib.write_text(bib.read_text(encoding="utf-8") + many, encoding="utf-8")
    expected = CliRunner().invoke(cli, ["render", "--format", "md"])
    assert expected.exit_code == 0
    done = _run(["render", "--format", "md"], example_project, PUBTRACK_DEBUG=debug)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 100_000
    assert done.stdout == expected.stdout


def test_usage_error_keeps_exit_code_2_and_message(example_project: Path) -> None:
    done = _run(["render", "--format", "nope"], example_project)
    assert done.returncode == 2
    assert "Invalid value for '--format'" in done.stderr


def test_pubtrack_error_keeps_its_exit_code_and_one_line(example_project: Path) -> None:
    (example_project / "bib" / "publications.bib").write_text(
        "@misc{broken, title = {x}\n", encoding="utf-8"
    )
    done = _run(["render", "--strict"], example_project)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")


def test_version_and_help_exit_zero(example_project: Path) -> None:
    assert _run(["--version"], example_project).stdout.startswith("pubtrack, version")
    helped = _run(["render", "--help"], example_project)
    assert helped.returncode == 0 and "--format" in helped.stdout


def test_a_command_that_wrote_the_database_leaves_nothing_in_its_wal(
    example_project: Path,
) -> None:
    """Leaving without teardown must not leave writes in the write-ahead log only
    (a committed pubtrack.db would miss them): every Store is closed, and with it
    checkpointed, before the command returns."""
    from pubtrack.db import Store

    db = example_project / "data" / "pubtrack.db"
    Store.open(db).close()
    done = _run(["check"], example_project)
    assert done.returncode in (0, 2), done.stderr  # 2: warnings about the example bib
    wal = db.with_name("pubtrack.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with Store.open_readonly(db) as store:
        assert store.db.execute("SELECT count(*) FROM publications").fetchone()[0] > 0


def _exit_marker(tmp_path: Path, debug: str) -> tuple[int, bool]:
    """(exit code, whether an atexit handler ran) of `pubtrack --version`."""
    marker = tmp_path / f"atexit-{debug or 'fast'}"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        "sys.argv = ['pubtrack', '--version']\n"
        "from pubtrack.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_")}
    env["PUBTRACK_DEBUG"] = debug
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    return done.returncode, marker.exists()


def test_a_finished_command_skips_teardown_unless_debugging(tmp_path: Path) -> None:
    assert _exit_marker(tmp_path, "") == (0, False)  # left at once: no atexit handlers
    assert _exit_marker(tmp_path, "1") == (0, True)  # PUBTRACK_DEBUG: the ordinary exit


def test_a_closed_stdout_or_stderr_still_exits_zero(tmp_path: Path) -> None:
    for fd in ("1", "2"):
        done = subprocess.run(
            ["sh", "-c", f'"$0" -m pubtrack --version {fd}>&-', sys.executable],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, (fd, done.stderr)
