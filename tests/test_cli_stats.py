"""`pubtrack stats` and `pubtrack badge` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pubtrack.cli import cli


def test_stats_text(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Citations of the 3 works in the bib (as of 2026-11-28 12:00 UTC)"
    table = {line.split()[0]: line.split()[1:] for line in lines[3:9]}
    assert table["citations"] == ["42", "18", "9", "55"]
    assert table["g-index"] == ["3", "2", "1", "2"]
    assert table["i10-index"] == ["2", "1", "0", "2"]
    assert "Sources disagree strongly on:" in result.output


def test_stats_json(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--json", "--source", "openalex"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data["sources"]) == ["openalex"]
    oa = data["sources"]["openalex"]
    assert (oa["total_citations"], oa["h_index"], oa["g_index"], oa["i10_index"]) == (18, 2, 2, 1)
    assert oa["citations_per_year"] == {"2024": 2, "2025": 5, "2026": 10}
    assert [p["key"] for p in oa["papers"]] == ["p1", "p2"]


def test_stats_unknown_source_is_bad_input(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["stats", "--source", "scopus"])
    assert result.exit_code == 2
    assert "Error: unknown source 'scopus'" in result.output


def test_stats_without_database(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pubtrack.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    result = CliRunner().invoke(cli, ["stats"])
    assert result.exit_code == 1
    assert "no database yet (run `pubtrack sync` first)" in result.output
    assert "Traceback" not in result.output


def test_badge_both_into_directory(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["badge", "--output", "site/badges"])
    assert result.exit_code == 0, result.output
    citations = json.loads((stats_project / "site/badges/citations.json").read_text())
    h_index = json.loads((stats_project / "site/badges/h-index.json").read_text())
    assert citations == {"schemaVersion": 1, "label": "citations", "message": "42", "color": "blue"}
    assert h_index["label"] == "h-index" and h_index["message"] == "3"
    assert "Wrote site/badges/citations.json" in result.output


def test_badge_one_metric_to_stdout_and_file(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["badge", "--metric", "h-index", "--source", "crossref"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["message"] == "1"
    result = CliRunner().invoke(cli, ["badge", "--metric", "citations", "-o", "c.json"])
    assert result.exit_code == 0, result.output
    assert json.loads((stats_project / "c.json").read_text())["message"] == "42"
    assert not list(stats_project.glob(".c.json.*"))  # no temp file left behind


def test_badge_bad_metric(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["badge", "--metric", "followers"])
    assert result.exit_code == 2


def test_stats_on_a_read_only_database_from_before_the_stats_migration(
    stats_project: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A database pubtrack may not write (and so not migrate) still gives stats."""
    from pubtrack.db import Store
    from pubtrack.errors import DatabaseError

    with Store.open(stats_project / "data" / "pubtrack.db") as store:
        store.db.executescript(
            "DROP VIEW latest_profile_metrics; DROP VIEW citations_per_year;"
            " DROP TABLE profile_metrics; DROP TABLE profile_cites_per_year;"
        )

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DatabaseError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "open", refuse)
    result = CliRunner().invoke(cli, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sources"]["semantic_scholar"]["total_citations"] == 42
    assert data["sources"]["google_scholar"]["profile"] is None


def test_badge_output_errors_are_one_line(stats_project: Path) -> None:
    (stats_project / "taken").mkdir()
    result = CliRunner().invoke(cli, ["badge", "--metric", "citations", "-o", "taken"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: taken: is a directory, not a file"
    (stats_project / "afile").write_text("x")
    result = CliRunner().invoke(cli, ["badge", "-o", "afile"])
    assert result.exit_code == 2
    assert "not a directory" in result.output
    result = CliRunner().invoke(cli, ["badge", "--metric", "citations", "-o", "afile/sub/c.json"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: afile/sub/c.json: cannot write:")
    assert "Traceback" not in result.output
