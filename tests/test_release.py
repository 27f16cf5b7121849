"""Release metadata and the Action's files: CHANGELOG.md in Keep a Changelog form,
action.yml valid for GitHub, the README's five-line workflow valid and five lines."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pubtrack import __version__

REPO = Path(__file__).resolve().parent.parent


def _checker() -> str:
    local = Path(sys.executable).parent / "check-jsonschema"
    path = str(local) if local.exists() else shutil.which("check-jsonschema")
    if path is None:
        pytest.skip("check-jsonschema is not installed (pip install -e '.[test]')")
    return path


def _validate(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_checker(), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_changelog_keeps_a_changelog_format() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.MULTILINE)
    assert releases, "no released version"
    versions = [v for v, _ in releases]
    assert __version__ in versions
    dates = [d for _, d in releases]
    assert dates == sorted(dates, reverse=True)  # newest first
    for heading in re.findall(r"^### (.+)$", text, re.MULTILINE):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    for version in ["Unreleased", *versions]:
        assert re.search(rf"^\[{re.escape(version)}\]: \S+$", text, re.MULTILINE), version


def test_action_yml_is_a_valid_action() -> None:
    result = _validate("vendor.github-actions", REPO / "action.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_input_is_used_and_documented() -> None:
    action = (REPO / "action.yml").read_text(encoding="utf-8")
    inputs_block = action.split("\ninputs:\n", 1)[1].split("\noutputs:\n", 1)[0]
    names = re.findall(r"^  ([a-z0-9-]+):$", inputs_block, re.MULTILINE)
    assert {"version", "inject", "history-file", "alfolio", "badges", "s2-api-key"} <= set(names)
    runs = action.split("\nruns:\n", 1)[1]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"inputs.{name}" in runs, f"input {name} is never used"
        assert f"`{name}`" in readme, f"input {name} is not in the README"
    assert "action/pubtrack-action.sh" in runs
    assert (REPO / "action" / "pubtrack-action.sh").is_file()


def test_readme_five_line_workflow_is_valid(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Put it on your homepage", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None
    workflow = match.group(1)
    assert len([ln for ln in workflow.splitlines() if ln.strip()]) <= 5
    assert "uses: <owner>/pubtrack@v1" in workflow
    assert "schedule:" in workflow or "schedule: [" in workflow
    path = tmp_path / "pubtrack.yml"
    path.write_text(workflow.replace("<owner>", "someone"), encoding="utf-8")
    result = _validate("vendor.github-workflows", path)
    assert result.returncode == 0, result.stdout + result.stderr
