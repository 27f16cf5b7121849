"""`pubtrack import` and `init --…`: reviewed appends, owner found from the profile,
Google Scholar titles through add's title lookup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.bibtex import read_file
from pubtrack.cli import cli
from pubtrack.testing.fake_api import (
    OWNER,
    FakeApiServer,
    fast_sync_settings,
    make_owner_catalogue,
)

TIME_SCALE = 0.01


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    with FakeApiServer(
        make_owner_catalogue(6, seed=4), time_scale=TIME_SCALE, openalex_requires_key=False
    ) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("S2_API_KEY", raising=False)
        monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
        yield fake


def _project(root: Path, name: str = "Alec Thomson") -> Path:
    (root / "bib").mkdir(parents=True)
    (root / "bib" / "publications.bib").write_text("% mine\n")
    (root / "pubtrack.toml").write_text(
        f'[owner]\nname = "{name}"\norcid = "{OWNER["orcid"]}"\n[bib]\ntalks = []\n'
        + fast_sync_settings(TIME_SCALE)
    )
    return root


def test_import_without_a_terminal_asks_for_yes_and_writes_nothing(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = _project(tmp_path / "cv")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["import"])  # the [owner] orcid
    assert result.exit_code == 0
    assert "pass --yes" in result.output and "Nothing written." in result.output
    assert (root / "bib" / "publications.bib").read_text() == "% mine\n"
    result = CliRunner().invoke(cli, ["import", "--yes"])
    assert "Added 7 work(s)" in result.output  # 6 + the one only ORCID knows
    assert len(read_file(root / "bib" / "publications.bib").works) == 7


def test_init_from_an_s2_profile_takes_the_name_under_the_id(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "cv", "--s2-author", OWNER["s2"]])
    assert result.exit_code == 0, result.output
    toml = (tmp_path / "cv" / "pubtrack.toml").read_text()
    # The fullest spelling of the most common name under the id; namesakes left out.
    assert 'name = "Alec J. Thomson"' in toml or 'name = "Alec Thomson"' in toml
    assert f'semantic_scholar_id = "{OWNER["s2"]}"' in toml
    assert "Alexandra" in result.output  # told, not added
    works = read_file(tmp_path / "cv" / "bib" / "publications.bib").works
    assert len(works) == 6 and not any("Alexandra" in a.display for w in works for a in w.authors)


def test_google_scholar_titles_go_through_the_title_lookup(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import pubtrack.sources.google_scholar as gs

    papers = server.catalogue.owner_papers  # type: ignore[attr-defined]
    stranger = server.catalogue.papers[-1]  # the owner is not an author of it
    monkeypatch.setattr(
        gs,
        "profile_titles",
        lambda config, pid: [(p.title, p.year) for p in papers[:2]] + [(stranger.title, None)],
    )
    root = _project(tmp_path / "cv")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["import", "--google-scholar", "abcDEF", "--yes"])
    assert result.exit_code == 0, result.output
    works = read_file(root / "bib" / "publications.bib").works
    assert sorted(w.title for w in works) == sorted(p.title for p in papers[:2])
    assert "no confident match" in result.output  # the stranger's title: refused


def test_a_profile_that_cannot_be_read_does_not_sink_the_others(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    root = _project(tmp_path / "cv")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(
        cli, ["import", "--orcid", OWNER["orcid"], "--openalex-author", OWNER["openalex"], "--yes"]
    )
    assert result.exit_code == 3  # partial: ORCID read, OpenAlex not
    assert "OpenAlex needs OPENALEX_API_KEY" in result.output
    assert "Added 7 work(s)" in result.output
    assert server.count("openalex") == 0  # no request without a key


def test_init_with_an_unknown_orcid_leaves_nothing_behind(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init", "cv", "--orcid", "0000-0001-5109-3700"])
    assert result.exit_code == 2 and "ORCID iD 0000-0001-5109-3700 not found" in result.output
    assert not (tmp_path / "cv").exists()
    bad = CliRunner().invoke(cli, ["init", "cv", "--orcid", "0000-0001-5109-3701"])
    assert bad.exit_code == 2 and "check digit" in bad.output
    assert server.count("orcid") == 1  # the unknown iD: one 404; the typo: no request


def test_import_dry_run_prints_the_entries_and_writes_nothing(
    server: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    root = _project(tmp_path / "cv")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(cli, ["import", "--dry-run", "--dblp", OWNER["dblp"]])
    assert result.exit_code == 0, result.output
    assert result.output.count("\n@") + result.output.startswith("@") >= 6
    assert "the owner is not among the authors" in result.output  # the stranger's paper
    assert (root / "bib" / "publications.bib").read_text() == "% mine\n"
