"""`pubtrack changes` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli


def test_changes_default_week(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["changes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Changes since 2026-11-21 12:00 UTC:"
    assert lines[-1] == "New citations: semantic_scholar +6, openalex +1"
    assert "- Gamma Rays (p3): semantic_scholar +1 (now 5)" in lines


def test_changes_none_exits_0(stats_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBTRACK_NOW", "2026-12-20T00:00:00Z")
    result = CliRunner().invoke(cli, ["changes", "--since", "7d"])
    assert result.exit_code == 0
    assert result.output == "No changes since 2026-12-13 00:00 UTC.\n"


def test_changes_json(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["changes", "--since", "2026-01-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["h_index"]["semantic_scholar"] == {"before": 2, "after": 3}
    p3 = next(p for p in data["papers"] if p["key"] == "p3")
    assert p3["changes"]["semantic_scholar"] == {"before": None, "after": 5, "change": None}
    assert data["new_citations"]["semantic_scholar"] == 17 + 10


def test_changes_bad_since(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["changes", "--since", "soon"])
    assert result.exit_code == 2
    assert "Error: --since 'soon'" in result.output
