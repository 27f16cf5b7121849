"""`pubtrack check`: every problem as FILE:LINE: message, exit 2 if any, 0 when clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")


def _project(root: Path, files: dict[str, bytes], toml: str = "") -> Path:
    (root / "bib").mkdir(parents=True)
    for name, data in files.items():
        (root / "bib" / name).write_bytes(data)
    (root / "pubtrack.toml").write_text(toml, encoding="utf-8")
    return root


def test_bundled_example_is_clean(example_project: Path) -> None:
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "No problems: 2 publication(s), 1 talk(s)." in result.output


def test_problems_listed_as_file_line_message_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path / "p",
        {
            "publications.bib": (
                b"@article{a, title = {A}}\n"
                b"@article{a, title = {Again}}\n"
                b"@article{b,\n  title = {B},\n  title = {B2}\n}\n"
                b"@article{c, title = {C}, journal = nosuchmacro}\n"
                b"@article{d,\n  title = {Unbalanced\n}\n"
            ),
            "talks.bib": b"@misc{t, title = {T}, publication = {zzz}}\n",
        },
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert (
        "bib/publications.bib:2: duplicate key 'a' (first at bib/publications.bib:1); "
        in (lines[0])
    )
    assert any(
        line.startswith("bib/publications.bib:5: b: duplicate field 'title'") for line in lines
    )
    assert any(
        line.startswith("bib/publications.bib:7: warning: c: field 'journal': undefined")
        for line in lines
    )
    assert any(line.startswith("bib/publications.bib:8: syntax error") for line in lines)
    assert any(line.startswith("bib/talks.bib:1: warning: t: publication 'zzz'") for line in lines)
    assert "3 error(s), 2 warning(s)" in result.stderr


def test_non_utf8_file_is_read_correctly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "% -*- coding: latin-1 -*-\n@book{k, title = {Söme title}, author = {Müller, Jörg}}\n"
    root = _project(tmp_path / "p", {"publications.bib": text.encode("latin-1")})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "1 publication(s)" in result.stderr

    from pubtrack.bibtex import load_library
    from pubtrack.config import load_config

    work = load_library(load_config(root / "pubtrack.toml")).works[0]
    assert work.title == "Söme title" and work.authors[0].display == "Jörg Müller"


def test_undetected_encoding_is_reported_as_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path / "p", {"publications.bib": "@book{k, title = {Crème brûlée}}\n".encode("cp1252")}
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "bib/publications.bib:1: warning: file is not UTF-8; read as" in result.stdout


def test_unreadable_configured_file_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path / "p", {}, '[bib]\npublications = ["bib/pubs.bib"]\n')
    (root / "bib" / "pubs.bib").mkdir()  # exists, but cannot be read as a file
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: bib/pubs.bib: cannot read")
    assert "Traceback" not in result.output


def test_check_reports_entries_a_sync_linked_and_direct_duplicates_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubtrack.config import load_config
    from pubtrack.db import Store

    (tmp_path / "pubtrack.toml").write_text('[bib]\npublications = ["bib/*.bib"]\n')
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "pubs.bib").write_text(
        "@misc{pre,\n  title = {A},\n  eprint = {2401.00001},\n}\n\n"
        "@article{pub,\n  title = {A},\n  journal = {J},\n  doi = {10.1000/j.1},\n}\n\n"
        "@misc{twin,\n  title = {A},\n  eprint = {2401.00001},\n}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    config = load_config()
    with Store.open(config.database_path) as store:
        # What `pubtrack sync` stores when arXiv reports the journal DOI.
        store.learn_ids(
            "pre",
            "arxiv",
            {"doi": "10.1000/j.1"},
            learned_at="2026-11-28T03:00:00Z",
            run_id=1,
            request="2401.00001",
            verified=True,
        )
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if "same work" in line]
    # pre/twin share an arXiv id in the bib: reported once, by the reader.
    assert sum("twin" in line and "pre" in line for line in lines) == 1
    # pre/pub are linked only through the DOI arXiv reported.
    [linked] = [line for line in lines if "pub" in line and "twin" not in line]
    assert linked.startswith("bib/pubs.bib:6: warning: pub and pre (bib/pubs.bib:1)")
    assert "DOI 10.1000/j.1" in linked


def test_unknown_latex_command_is_one_warning_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(
        tmp_path / "p",
        {
            "publications.bib": (
                b"@article{a,\n  title = {An \\ourmethod{} study},\n  journal = {\\apj}\n}\n"
                b"@article{b,\n  title = {\\ourmethod{} again, \\textquotesingle ok},\n}\n"
                b"@article{c,\n  title = {C},\n  author = {Smith, J\\'{o}\\newlettr n}\n}\n"
            ),
        },
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines == [
        "bib/publications.bib:2: warning: a: unknown LaTeX command \\ourmethod in field "
        "'title' (kept as text; 1 more entry uses it)",
        "bib/publications.bib:10: warning: c: unknown LaTeX command \\newlettr in field "
        "'author' (kept as text)",
    ]
    assert "0 error(s), 2 warning(s)" in result.stderr


def test_check_mirrors_the_bib_into_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A work removed from the bib stops counting (in_bib = 0) after `check`, as after a
    sync; without a database, check creates none."""
    from pubtrack.bibtex import load_library
    from pubtrack.config import load_config
    from pubtrack.db import Store

    one, two = b"@misc{one, title = {One}, year = {2020}}\n", b"@misc{two, title = {T}}\n"
    entries = {"a.bib": one + two}
    root = _project(tmp_path / "p", entries, '[bib]\npublications = ["bib/*.bib"]\ntalks = []\n')
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    assert CliRunner().invoke(cli, ["check"]).exit_code == 0
    assert not (root / "data" / "pubtrack.db").exists()
    config = load_config()
    with Store.open(config.database_path) as store:
        store.sync_library(load_library(config))
    (root / "bib" / "a.bib").write_bytes(one)
    assert CliRunner().invoke(cli, ["check"]).exit_code == 0
    with Store.open(config.database_path) as store:
        rows = {
            r["key"]: r["in_bib"] for r in store.db.query("SELECT key, in_bib FROM publications")
        }
    assert rows == {"one": 1, "two": 0}
