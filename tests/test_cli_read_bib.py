"""Read commands count the works of the parsed bib, not the database's copy of the
last sync: an entry removed from the bib stops counting at once, without a write."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from pubtrack.cli import cli


def _json(*args: str) -> Any:
    result = CliRunner().invoke(cli, [*args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _remove_from_bib(root: Path, key: str) -> None:
    bib = root / "bib" / "publications.bib"
    entries = bib.read_text(encoding="utf-8").split("\n\n")
    kept = [e for e in entries if not e.startswith(f"@article{{{key},")]
    assert len(kept) == len(entries) - 1
    bib.write_text("\n\n".join(kept), encoding="utf-8")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_entry_removed_after_the_sync_stops_counting(stats_project: Path) -> None:
    db = stats_project / "data" / "pubtrack.db"
    before = _json("stats", "--json")
    changes_before = _json("changes", "--since", "2026-01-01", "--json")
    p2 = {
        src: next(p["count"] for p in s["papers"] if p["key"] == "p2")
        for src, s in before["sources"].items()
        if any(p["key"] == "p2" for p in s["papers"])
    }
    assert p2  # p2 has counts: removing it must show
    digest = _digest(db)

    _remove_from_bib(stats_project, "p2")
    after = _json("stats", "--json")
    assert after["works_in_bib"] == before["works_in_bib"] - 1
    for src, count in p2.items():
        was, now = before["sources"][src], after["sources"][src]
        assert "p2" not in [p["key"] for p in now["papers"]]
        if now["works"]:
            assert now["total_citations"] == was["total_citations"] - count
            assert now["works"] == was["works"] - 1
    assert "p2" not in {d["key"] for d in after["disagreements"]}

    # badge reads the same figures
    badge = _json("badge", "--metric", "citations", "--source", "semantic_scholar")
    assert badge["message"] == str(after["sources"]["semantic_scholar"]["total_citations"])
    assert badge["message"] != str(before["sources"]["semantic_scholar"]["total_citations"])

    changes_after = _json("changes", "--since", "2026-01-01", "--json")
    assert "p2" in {p["key"] for p in changes_before["papers"]}
    assert "p2" not in {p["key"] for p in changes_after["papers"]}

    # history: the removed work's own history stays readable; the full list drops it
    one = _json("history", "p2", "--json")
    assert one and all(p["key"] == "p2" for p in one["papers"]) and one["papers"][0]["history"]
    everything = _json("history", "--json")
    assert "p2" not in {p["key"] for p in everything["papers"]}
    assert {"p1", "p3"} <= {p["key"] for p in everything["papers"]}

    # nothing was written; the documented views still show the last sync's bib
    assert _digest(db) == digest
    with sqlite3.connect(db) as conn:
        in_bib = {k for (k,) in conn.execute("SELECT key FROM publications WHERE in_bib = 1")}
    assert "p2" in in_bib


def test_plot_drops_an_entry_removed_after_the_sync(stats_project: Path) -> None:
    import matplotlib

    def plotted() -> str:
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            result = CliRunner().invoke(cli, ["plot", "-o", "p.svg", "--top", "1"])
        assert result.exit_code == 0, result.output
        return (stats_project / "p.svg").read_text()

    assert "Alpha: Learning Things" in plotted()  # p1, the most cited
    _remove_from_bib(stats_project, "p1")
    text = plotted()
    assert "Alpha: Learning Things" not in text
    assert "Beta Networks" in text or "Gamma Rays" in text  # the next one leads


def test_one_works_history_does_not_read_the_bib(stats_project: Path, monkeypatch) -> None:
    """`history KEY` shows removed works too, so it has no reason to parse the bib
    (at lab scale that parse would be most of its time)."""
    import pubtrack.bibtex

    def no_parse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("history KEY parsed the bib")

    monkeypatch.setattr(pubtrack.bibtex, "load_library", no_parse)
    one = CliRunner().invoke(cli, ["history", "p1"])
    assert one.exit_code == 0, one.output
    assert "p1" in one.output
    every = CliRunner().invoke(cli, ["history"])
    assert isinstance(every.exception, AssertionError)  # the whole list follows the bib
