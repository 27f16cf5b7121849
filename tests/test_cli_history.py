"""`pubtrack history` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pubtrack.cli import cli


def test_history_one_paper(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "p1", "--source", "crossref"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "p1  Alpha: Learning Things",
        "  2026-01-10 03:00  crossref  5",
        "  2026-11-01 03:00  crossref  9  +4",
        "  2026-11-21 03:00  crossref  9   0",
        "  2026-11-27 03:00  crossref  9   0",
    ]


def test_history_all_grouped_by_paper(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if line and not line.startswith(" ")]
    assert heads == ["p1  Alpha: Learning Things", "p2  Beta Networks", "p3  Gamma Rays"]
    # p1: 5 semantic_scholar + 5 openalex + 4 crossref + 1 google_scholar rows;
    # p2: 5 + 4 + 1; p3: 4
    rows = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(rows) == 15 + 10 + 4


def test_history_json(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "p3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = data["papers"][0]["history"]
    assert [(r["count"], r["change"]) for r in rows] == [(0, None), (4, 4), (4, 0), (5, 1)]


def test_history_unknown_key(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "nope"])
    assert result.exit_code == 2
    assert "Error: no publication with key 'nope'" in result.output


def test_history_unknown_source(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "--source", "scopus"])
    assert result.exit_code == 2
    assert "Error: unknown source 'scopus'" in result.output


def test_history_sources_in_column_order(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "p2"])
    sources = []
    for line in result.output.splitlines()[1:]:
        name = line.split()[2]
        if name not in sources:
            sources.append(name)
    assert sources == ["semantic_scholar", "openalex", "google_scholar"]
