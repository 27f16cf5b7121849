"""render --output/--inject never empty a page or strip its counts when input is missing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.db import Store
from pubtrack.models import CitationCount

PAGE = (
    "# Me\n<!-- pubtrack:publications -->\n1. Old paper. Cited by 40\n"
    "<!-- /pubtrack:publications -->\n<!-- pubtrack:talks -->\n- Old talk\n"
    "<!-- /pubtrack:talks -->\n"
)


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["render", *args])
    assert isinstance(result.exception, SystemExit | None), result.exception
    return result.exit_code, result.output


@pytest.fixture
def page(example_project: Path) -> Path:
    path = example_project / "page.md"
    path.write_text(PAGE, encoding="utf-8")
    with Store.open(example_project / "data" / "pubtrack.db") as store:
        store.record_citations(
            [CitationCount("liu2024modelbalancing", "semantic_scholar", 40, "2026-11-28T03:00:00Z")]
        )
    return path


def _break_bib(root: Path, how: str) -> None:
    if how == "no-file":
        for path in (root / "bib").iterdir():
            path.unlink()
    else:  # files present, no entry in them
        for path in (root / "bib").iterdir():
            path.write_text("% emptied by a bad merge\n")


@pytest.mark.parametrize("how", ["no-file", "no-entry"])
def test_inject_refuses_when_the_bib_is_gone(page: Path, how: str) -> None:
    _break_bib(page.parent, how)
    code, output = render("--inject", str(page), "--exit-code")
    assert code not in (0, 4)
    assert "Error:" in output and "nothing written" in output
    assert page.read_text(encoding="utf-8") == PAGE


@pytest.mark.parametrize("how", ["no-file", "no-entry"])
def test_output_refuses_when_the_bib_is_gone(page: Path, how: str) -> None:
    out = page.parent / "out.md"
    out.write_text("previous list\n")
    _break_bib(page.parent, how)
    code, output = render("--output", str(out))
    assert code != 0 and "nothing written" in output
    assert out.read_text() == "previous list\n"


def test_inject_refuses_to_empty_one_region(page: Path) -> None:
    talks = page.parent / "bib" / "talks.bib"
    talks.write_text("% no talks any more\n")
    code, output = render("--inject", str(page))
    assert code != 0 and "pubtrack:talks would become empty" in output
    assert page.read_text(encoding="utf-8") == PAGE


@pytest.mark.parametrize("damage", ["corrupt", "directory", "truncated"])
def test_unreadable_database_refuses_inject_and_output_but_prints(page: Path, damage: str) -> None:
    db = page.parent / "data" / "pubtrack.db"
    for extra in db.parent.glob("pubtrack.db-*"):
        extra.unlink()
    if damage == "corrupt":
        db.write_bytes(b"this is not sqlite" * 200)
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:1500])
    else:
        db.unlink()
        db.mkdir()
    code, output = render("--inject", str(page), "--exit-code")
    assert code == 1 and "Error:" in output and "nothing written" in output, output
    assert page.read_text(encoding="utf-8") == PAGE
    out = page.parent / "out.md"
    code, output = render("--output", str(out))
    assert code == 1 and not out.exists()
    code, output = render()  # to stdout: a warning, and the list without counts
    assert code == 0 and "Warning:" in output and "Model Balancing" in output


def test_a_database_locked_exclusively_refuses_inject(page: Path) -> None:
    db = page.parent / "data" / "pubtrack.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, output = render("--inject", str(page))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1 and "locked" in output, output
    assert page.read_text(encoding="utf-8") == PAGE


def test_counts_reach_the_page_when_everything_is_readable(page: Path) -> None:
    code, _ = render("--inject", str(page), "--exit-code")
    assert code == 4
    assert "Cited by 40" in page.read_text(encoding="utf-8")


def _freeze(path: Path) -> bool:
    """Make a file or folder read-only, also for root (chattr +i); False if impossible."""
    import os
    import subprocess

    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return True
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _thaw(path: Path) -> None:
    import os
    import subprocess

    if os.geteuid() != 0:
        path.chmod(0o755 if path.is_dir() else 0o644)
    else:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


def test_read_commands_work_in_a_read_only_data_folder(page: Path) -> None:
    from pubtrack.bibtex import load_library
    from pubtrack.config import load_config

    data = page.parent / "data"
    with Store.open(data / "pubtrack.db") as store:
        store.sync_library(load_library(load_config()))
    for extra in data.glob("pubtrack.db-*"):
        extra.unlink()  # a clean WAL database: readers must create nothing
    frozen = [data / "pubtrack.db", data]
    done = [p for p in frozen if _freeze(p)]
    try:
        if len(done) < len(frozen):
            pytest.skip("cannot make the data folder read-only here")
        code, output = render()
        assert code == 0 and "Cited by 40" in output, output
        for args in (["stats"], ["history"], ["changes"], ["badge", "--metric", "citations"]):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, (args, result.output)
            assert "readonly" not in result.output
    finally:
        for path in done:
            _thaw(path)


def test_a_new_empty_project_may_render_to_a_new_or_blank_file(page: Path) -> None:
    for path in (page.parent / "bib").iterdir():
        path.write_text("% nothing yet\n")
    blank = page.parent / "blank.md"
    blank.write_text("\n")
    for target in (page.parent / "new.md", blank):
        code, output = render("--output", str(target))
        assert code == 0, output
