"""`pubtrack schedule github|cron|systemd`: the files it writes work as written.

Each file is checked by the tool that judges it — shellcheck, systemd-analyze
verify, the GitHub workflow schema (check-jsonschema) — where that tool is
installed (`.ci/run` installs them); otherwise the test skips and says which.
The cron wrapper is also run, with cron's bare environment, against the fake
API server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import installed_plugin
from pubtrack.cli import cli
from pubtrack.schedule import action_input, running_pubtrack, template
from pubtrack.sources.registry import secret_envs
from pubtrack.testing.demo import make_demo_project

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    path = shutil.which(name) or (
        str(Path(sys.executable).parent / name)
        if (Path(sys.executable).parent / name).exists()
        else None
    )
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def _assert_valid_workflow(path: Path) -> None:
    """GitHub's workflow schema accepts the file (check-jsonschema's copy of it)."""
    checker = _tool("check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_demo_project(tmp_path / "my cv", history=False)  # a space in the path
    (root / "README.md").write_text(
        "# Ada\n<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    return root


def schedule(*args: str) -> str:
    result = CliRunner().invoke(cli, ["schedule", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_templates_ship_inside_the_package() -> None:
    # importlib.resources reads them from the installed package, not from scripts/.
    for name in ("nightly.sh", "nightly.service", "nightly.timer", "workflow.yml"):
        assert "@@" in template(name)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schedule_templates/*"' in pyproject


def test_github_workflow_passes_the_schema(project: Path) -> None:
    out = schedule("github", "--inject", "README.md", "--inject", "cv.md", "--time", "04:05")
    path = project / ".github" / "workflows" / "pubtrack.yml"
    assert f"Wrote {path}" in out and "Next steps:" in out
    text = path.read_text(encoding="utf-8")
    assert '- cron: "5 4 * * *"' in text
    assert "uses: pubtrack/pubtrack@v1" in text
    assert "inject: README.md cv.md" in text
    assert "s2-api-key: ${{ secrets.S2_API_KEY }}" in text
    _assert_valid_workflow(path)


def test_the_action_has_an_input_for_every_builtin_key() -> None:
    """`schedule github` passes a built-in API's key through the Action's input named
    after it; action.yml declares its inputs by hand, so they must stay in step."""
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    inputs = action.split("\ninputs:\n", 1)[1].split("\noutputs:\n", 1)[0]
    runs = action.split("\nruns:\n", 1)[1]
    envs = secret_envs(builtin=True)
    assert "S2_API_KEY" in envs
    for env in envs:
        assert f"\n  {action_input(env)}:\n" in inputs, env
        assert f"{env}: ${{{{ inputs.{action_input(env)} }}}}" in runs, env


PLUGIN = """
from pubtrack.sources.base import Source


class Keyed(Source):
    name = "keyed"
    label = "Keyed"
    key_env = "KEYED_API_KEY"

    def lookup_id(self, work):
        return None

    def fetch_batch(self, works):
        return []
"""


def test_a_plugins_key_goes_into_the_steps_environment(project: Path, tmp_path: Path) -> None:
    with installed_plugin(
        tmp_path / "site",
        "keyed",
        "[pubtrack.sources]\nkeyed = keyed_source:Keyed\n",
        {"keyed_source": PLUGIN},
    ):
        out = schedule("github")
        cron = schedule("cron", "--force")
    assert "Optional repository secrets: S2_API_KEY, OPENALEX_API_KEY, KEYED_API_KEY " in out
    assert "S2_API_KEY=... and OPENALEX_API_KEY=... and KEYED_API_KEY=..." in cron
    path = project / ".github" / "workflows" / "pubtrack.yml"
    text = path.read_text(encoding="utf-8")
    assert "Actions): S2_API_KEY, OPENALEX_API_KEY, KEYED_API_KEY." in text
    assert "openalex-api-key: ${{ secrets.OPENALEX_API_KEY }}" in text
    step = text.split("- uses: pubtrack/pubtrack@v1\n", 1)[1]
    assert step.endswith("        env:\n          KEYED_API_KEY: ${{ secrets.KEYED_API_KEY }}\n")
    assert "keyed-api-key" not in text  # the Action has no such input
    _assert_valid_workflow(path)


def test_schema_check_catches_a_broken_workflow(project: Path, tmp_path: Path) -> None:
    checker = _tool("check-jsonschema")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")  # no runs-on
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0


def test_existing_files_are_not_overwritten(project: Path) -> None:
    schedule("github")
    result = CliRunner().invoke(cli, ["schedule", "github"])
    assert result.exit_code == 2
    assert "already exists; pass --force" in result.output
    schedule("github", "--force", "--time", "01:00")


def test_bad_time_is_refused(project: Path) -> None:
    result = CliRunner().invoke(cli, ["schedule", "cron", "--time", "25:00"])
    assert result.exit_code == 2 and "use HH:MM" in result.output


def test_cron_wrapper_uses_the_running_pubtrack(project: Path) -> None:
    out = schedule("cron")
    script = project / "schedule" / "pubtrack-nightly.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    command = running_pubtrack()
    assert Path(command[0]).is_absolute()
    assert command[0] in text
    assert "17 3 * * * " in out and "pubtrack-nightly.sh" in out
    shellcheck = _tool("shellcheck")
    result = subprocess.run([shellcheck, str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_systemd_units_verify(project: Path) -> None:
    out = schedule("systemd", "--time", "02:30")
    unit_dir = project / "schedule"
    service = unit_dir / "pubtrack-nightly.service"
    timer = unit_dir / "pubtrack-nightly.timer"
    text = service.read_text(encoding="utf-8")
    # The path has a space: quoted, and ExecStart names the wrapper just written.
    assert f'ExecStart="{unit_dir / "pubtrack-nightly.sh"}"' in text
    assert "OnCalendar=*-*-* 02:30:00" in timer.read_text(encoding="utf-8")
    assert "systemctl --user enable --now" in out
    analyze = _tool("systemd-analyze")
    result = subprocess.run(
        [analyze, "verify", str(service), str(timer)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # And it does notice an ExecStart that does not exist.
    (unit_dir / "pubtrack-nightly.sh").unlink()
    result = subprocess.run([analyze, "verify", str(service)], capture_output=True, text=True)
    assert result.returncode != 0


@pytest.mark.slow
def test_cron_wrapper_runs_under_crons_environment(project: Path, tmp_path: Path) -> None:
    from pubtrack.testing.fake_api import FakeApiServer, fast_sync_settings, make_papers, write_bib

    papers = make_papers(6, seed=5)
    write_bib(papers, project / "bib" / "publications.bib")
    config = project / "pubtrack.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[sync]\nsources = ["semantic_scholar", "arxiv", "crossref"]\n'
        + fast_sync_settings(0.01),
        encoding="utf-8",
    )
    schedule("cron")
    script = project / "schedule" / "pubtrack-nightly.sh"
    # What cron gives a job: no virtualenv, no PATH beyond /usr/bin:/bin.
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh"}
    env["PUBTRACK_ENV_FILE"] = str(tmp_path / "none")
    command = ["/bin/sh", "-c", f"'{script}' >> '{tmp_path / 'log'}' 2>&1"]
    with FakeApiServer(papers, time_scale=0.01) as server:
        env.update(server.env())
        result = subprocess.run(command, env=env, cwd="/", timeout=120)
        log = (tmp_path / "log").read_text(encoding="utf-8")
        assert result.returncode == 0, log
        assert "Updated 6 works." in log
        readme = (project / "README.md").read_text(encoding="utf-8")
        assert papers[0].title.split(":")[0] in readme
        assert (project / "data" / "citations.csv").is_file()
        # A bib emptied by mistake must not empty the published list.
        (project / "bib" / "publications.bib").write_text("% nothing here\n", encoding="utf-8")
        result = subprocess.run(command, env=env, cwd="/", timeout=120)
    log = (tmp_path / "log").read_text(encoding="utf-8")
    # pubtrack render refuses by itself (issue 9: exit 1, which the wrapper reports
    # as a failed render, exit 2); the wrapper's own guard (exit 1) is the backstop.
    assert result.returncode in (1, 2), log
    assert (
        "README.md: a pubtrack region would have been emptied" in log
        or "pubtrack:publications would become empty" in log
    )
    assert (project / "README.md").read_text(encoding="utf-8") == readme
