"""Outside a project, `init` output, and config values of the wrong type or range."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PUBTRACK_CONFIG", "PUBTRACK_DB"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["sync"],
        ["render"],
        ["stats"],
        ["history"],
        ["changes"],
        ["badge"],
        ["plot", "--output", "x.svg"],
    ],
)
def test_outside_a_project_every_command_says_how_to_start_one(
    nowhere: Path, args: list[str]
) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Error: no pubtrack.toml in" in result.output
    assert "pubtrack init" in result.output
    assert list(nowhere.iterdir()) == []  # no data/, no lock, no badges/


def test_help_and_version_work_outside_a_project(nowhere: Path) -> None:
    assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["sync", "--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["--version"]).exit_code == 0


def test_init_writes_a_project_that_passes_check(
    nowhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(cli, ["init", "new"]).exit_code == 0
    monkeypatch.chdir(nowhere / "new")
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "No problems: 0 publication(s), 0 talk(s)" in result.output


@pytest.mark.parametrize("target", ["/dev/null/sub", "file.txt"])
def test_init_in_an_impossible_place_is_one_error_line(nowhere: Path, target: str) -> None:
    (nowhere / "file.txt").write_text("x")
    result = CliRunner().invoke(cli, ["init", target])
    assert result.exit_code == 2
    assert "Error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[sync]\nmax_age = [1, 2]\n", "sync.max_age"),
        ("[sync]\nmax_age = inf\n", "sync.max_age"),
        ("[sync]\nmax_age = nan\n", "sync.max_age"),
        ("[sync]\nlock_timeout = -5\n", "sync.lock_timeout"),
        ('[sync]\nlock_timeout = "-5s"\n', "sync.lock_timeout"),
        ("[sync]\nmax_age = 1e300\n", "sync.max_age"),
        ('[sync.semantic_scholar]\nbatch_size = "big"\n', "batch_size"),
        ("[sync.arxiv]\nbatch_size = 0\n", "batch_size"),
        ("[sync.arxiv]\nmin_interval = -1\n", "min_interval"),
        ("[sync.arxiv]\nmin_interval = inf\n", "min_interval"),
        ("[sync]\narxiv = 3\n", "[sync.arxiv] must be a table"),
        ("[sync]\nhistory_file = 3\n", "history_file"),
        ('[bib]\nencoding = "klingon-8"\n', "unknown encoding"),
        ("[bib]\nencoding = 8\n", "unknown encoding"),
        ("[owner]\nname = 3\n", "owner.name"),
        ("[database]\npath = []\n", "database.path"),
        ('[render]\nmax_authors = "ten"\n', "render.max_authors"),
        ("[render]\nmax_authors = -1\n", "render.max_authors"),
        ("[render]\nstyle = 3\n", "render.style"),
        ('[sync]\ntimeout = "big"\n', "sync.timeout"),
        ("[sync]\ntimeout = inf\n", "sync.timeout"),
        ("[sync.crossref]\nmax_attempts = 0\n", "max_attempts"),
        ("[sync]\nbackoff_base = -2\n", "backoff_base"),
        ("[owner]\nsemantic_scholar_id = [1]\n", "owner.semantic_scholar_id"),
        ("[google_scholar]\nproxy = 1\n", "google_scholar.proxy"),
    ],
)
def test_config_value_of_wrong_type_or_range_is_one_error_line(
    nowhere: Path, toml: str, message: str
) -> None:
    (nowhere / "pubtrack.toml").write_text(toml)
    for args in (["check"], ["sync", "--dry-run"], ["render"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        [line] = [ln for ln in result.output.splitlines() if ln.startswith("Error:")]
        assert message in line
        assert "Traceback" not in result.output


def test_http_settings_list_matches_the_http_layer() -> None:
    from pubtrack.config import HTTP_SETTINGS
    from pubtrack.sources.http import DEFAULTS

    assert set(HTTP_SETTINGS) == set(DEFAULTS)
