"""The GitHub Action's steps (action/pubtrack-action.sh) run as a script against the
fake API server and a bare git remote, over three simulated nights: a fresh clone
each night (as on a runner), PUBTRACK_NOW moving a day at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pubtrack.testing.fake_api import FakeApiServer, fast_sync_settings, make_papers, write_bib

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "action" / "pubtrack-action.sh"
TIME_SCALE = 0.01

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)

README = """# Ada Lovelace

## Selected
<!-- pubtrack:publications selected -->
<!-- /pubtrack:publications -->

## All publications
<!-- pubtrack:publications -->
<!-- /pubtrack:publications -->
"""


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, env=_git_env()
    )
    return result.stdout


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PUBTRACK_"))}
    env.update(
        GIT_CONFIG_GLOBAL="/dev/null",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.org",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.org",
    )
    return env


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A homepage repository (bare remote + first commit) and the fake APIs."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", str(remote), str(seed))
    papers = make_papers(8, seed=11)
    write_bib(papers, seed / "bib" / "publications.bib")
    bib = (seed / "bib" / "publications.bib").read_text(encoding="utf-8")
    first = papers[0].key
    bib = bib.replace(f"{{{first},\n", f"{{{first},\n  selected = {{true}},\n", 1)
    (seed / "bib" / "publications.bib").write_text(bib, encoding="utf-8")
    (seed / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\n\n[bib]\npublications = ["bib/*.bib"]\ntalks = []\n\n'
        '[sync]\nsources = ["semantic_scholar", "arxiv", "crossref"]\nmax_age = "20h"\n\n'
        + fast_sync_settings(TIME_SCALE),
        encoding="utf-8",
    )
    (seed / "README.md").write_text(README, encoding="utf-8")
    (seed / ".gitignore").write_text("data/*.db\ndata/*.db-*\ndata/.cache/\ndata/.lock\n")
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "homepage")
    git(seed, "push", "-q", "origin", "HEAD:main")
    with FakeApiServer(papers, time_scale=TIME_SCALE) as server:
        yield tmp_path, remote, server, papers


def night(tmp_path: Path, remote: Path, server: FakeApiServer, day: str, **settings: str):  # type: ignore[no-untyped-def]
    """One scheduled run on a fresh runner: clone, run the action's script."""
    work = tmp_path / f"runner-{day}"
    git(tmp_path, "clone", "-q", str(remote), str(work))
    summary, output = tmp_path / f"summary-{day}.md", tmp_path / f"output-{day}.txt"
    env = _git_env()
    env.update(server.env())
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        PUBTRACK_NOW=f"{day}T03:17:00Z",
        PUBTRACK_PYTHON=sys.executable,
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
        PT_INJECT="README.md",
        PT_HISTORY_FILE="data/citations.csv",
        PT_PAGE="publications.html",
        PT_DATA_FILE="_data/publications.json",
        PT_ALFOLIO="_data/citations.yml",
        PT_BADGES="badges",
        PYTHONWARNINGS="ignore",
    )
    env.update(settings)
    result = subprocess.run(
        ["bash", str(SCRIPT)], cwd=work, env=env, capture_output=True, text=True, timeout=180
    )
    return work, result, summary, output


def commits(remote: Path) -> list[str]:
    return git(remote, "log", "--format=%s", "main").splitlines()


def test_three_nights_commit_commit_no_commit(site) -> None:  # type: ignore[no-untyped-def]
    tmp_path, remote, server, papers = site

    work, result, summary, output = night(tmp_path, remote, server, "2026-11-20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert commits(remote) == ["pubtrack: nightly citation update", "homepage"]
    assert "changed=true" in output.read_text()
    readme = git(remote, "show", "main:README.md")
    selected, everything = readme.split("## All publications")
    assert papers[0].title.split(":")[0] in selected
    assert papers[1].title.split(":")[0] not in selected
    assert "Cited by" in everything and "Nov 2026" in everything
    committed = git(remote, "show", "--name-only", "--format=", "main").split()
    assert sorted(committed) == [
        "README.md",
        "_data/citations.yml",
        "_data/publications.json",
        "badges/citations.json",
        "badges/h-index.json",
        "data/citations.csv",
        "publications.html",
    ]
    assert "### pubtrack" in summary.read_text(encoding="utf-8")

    # Night 2: every paper gained a citation.
    server.set_citations(bump=1)
    work, result, summary, output = night(tmp_path, remote, server, "2026-11-21")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(commits(remote)) == 3
    assert "changed=true" in output.read_text()
    assert "+1" in summary.read_text(encoding="utf-8")  # `pubtrack changes --since 1d`

    # Night 3: nothing moved: no commit (month dates, change-only history).
    work, result, summary, output = night(tmp_path, remote, server, "2026-11-22")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(commits(remote)) == 3
    assert "changed=false" in output.read_text()
    assert "Nothing changed; no commit." in result.stdout
    assert git(work, "status", "--porcelain", "--untracked-files=no") == ""


def test_partial_sync_is_a_warning(site) -> None:  # type: ignore[no-untyped-def]
    tmp_path, remote, server, _ = site
    server.inject("crossref", "down", times=None)
    work, result, _, output = night(tmp_path, remote, server, "2026-11-20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::warning title=pubtrack::some sources failed (exit 3)" in result.stdout
    assert "changed=true" in output.read_text()


def test_broken_bib_commits_nothing(site) -> None:  # type: ignore[no-untyped-def]
    tmp_path, remote, server, _ = site
    seed = tmp_path / "seed"
    with (seed / "bib" / "publications.bib").open("a", encoding="utf-8") as fh:
        fh.write("\n@article{broken, title = {Unclosed\n")
    git(seed, "commit", "-q", "-am", "oops")
    git(seed, "push", "-q", "origin", "HEAD:main")
    work, result, _, _ = night(tmp_path, remote, server, "2026-11-20")
    assert result.returncode == 1
    assert "::error title=pubtrack::pubtrack check found problems" in result.stdout
    assert commits(remote)[0] == "oops"
    assert server.count("semantic_scholar") == 0  # stopped before any request


def test_a_region_is_never_emptied(site) -> None:  # type: ignore[no-untyped-def]
    tmp_path, remote, server, _ = site
    work, result, _, _ = night(tmp_path, remote, server, "2026-11-20")
    assert result.returncode == 0, result.stdout + result.stderr
    # The next night the bib holds nothing (moved away, say): the list must stay.
    seed = tmp_path / "seed"
    git(seed, "pull", "-q", "origin", "main")
    (seed / "bib" / "publications.bib").write_text("% moved to another file\n")
    git(seed, "commit", "-q", "-am", "move bib")
    git(seed, "push", "-q", "origin", "HEAD:main")
    work, result, _, _ = night(tmp_path, remote, server, "2026-11-21")
    assert result.returncode == 1
    # pubtrack render itself refuses (issue 9); the action's own guard is the backstop.
    out = result.stdout + result.stderr
    assert "a pubtrack region would have been emptied" in out or "would become empty" in out
    assert commits(remote)[0] == "move bib"
    assert "Cited by" in (work / "README.md").read_text(encoding="utf-8")  # restored


def test_warnings_stop_the_job_only_when_strict(site) -> None:  # type: ignore[no-untyped-def]
    tmp_path, remote, server, _ = site
    seed = tmp_path / "seed"
    with (seed / "bib" / "publications.bib").open("a", encoding="utf-8") as fh:
        fh.write(
            "\n@misc{warned, title = {Warned}, author = {Lovelace, Ada}, year = {2020},\n"
            "  howpublished = undefinedmacro}\n"
        )
    git(seed, "commit", "-q", "-am", "a warning")
    git(seed, "push", "-q", "origin", "HEAD:main")
    work, result, _, _ = night(tmp_path, remote, server, "2026-11-20", PT_STRICT="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert commits(remote)[0] == "a warning"
    work, result, _, _ = night(tmp_path, remote, server, "2026-11-21")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::warning title=pubtrack::pubtrack check: warnings only" in result.stdout
    assert commits(remote)[0] == "pubtrack: nightly citation update"
