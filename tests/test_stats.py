"""stats / history / changes / badge reports over a database of several simulated days."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import fill_stats_db, reference_indices
from pubtrack.badges import badge_payload
from pubtrack.db import Store
from pubtrack.errors import BadInputError, PubtrackError
from pubtrack.models import CitationCount, Library, Work
from pubtrack.stats import (
    build_changes,
    build_history,
    build_stats,
    parse_since,
)
from pubtrack.timeline import build_timeline

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    fill_stats_db(tmp_path / "p.db")
    return Store.open(tmp_path / "p.db")


def test_stats_per_source_figures(store: Store) -> None:
    report = build_stats(store, now=NOW)
    assert list(report.sources) == ["semantic_scholar", "openalex", "crossref", "google_scholar"]
    assert report.works_in_bib == 3
    s2 = report.sources["semantic_scholar"]
    assert (s2.works, s2.total_citations, s2.h_index, s2.g_index, s2.i10_index) == (3, 42, 3, 3, 2)
    assert s2.influential_citations == 8
    assert s2.citations_per_year == {2025: 0, 2026: 32}
    assert s2.citations_per_year_basis == "history"
    oa = report.sources["openalex"]
    assert oa.citations_per_year == {2024: 2, 2025: 5, 2026: 10}
    assert oa.citations_per_year_basis == "counts_by_year+history"
    gs = report.sources["google_scholar"]
    assert gs.citations_per_year_basis == "profile"
    assert gs.profile is not None and gs.profile["h_index"] == 3


def test_stats_per_paper_changes(store: Store) -> None:
    s2 = build_stats(store, now=NOW).sources["semantic_scholar"]
    rows = {p.key: p for p in s2.papers}
    assert [p.key for p in s2.papers] == ["p1", "p2", "p3"]  # most cited first
    # a week before NOW (2026-11-21T12:00) the counts were 22, 10, 4;
    # 30 days before (2026-10-29T12:00) they were 10, 3, 0 (the 2026-01-10 fetch)
    assert [
        (rows[k].count, rows[k].change_week, rows[k].change_month) for k in ("p1", "p2", "p3")
    ] == [
        (25, 3, 15),
        (12, 2, 9),
        (5, 1, 5),
    ]
    assert rows["p1"].influential == 5
    gs = {p.key: p for p in build_stats(store, now=NOW).sources["google_scholar"].papers}
    assert gs["p1"].change_week is None  # first fetched two days ago: unknown, not +40


def test_stats_removed_work_does_not_count(store: Store) -> None:
    report = build_stats(store, now=NOW)
    assert all(p.key != "p4" for s in report.sources.values() for p in s.papers)


def test_disagreements(store: Store) -> None:
    found = {d.key: d for d in build_stats(store, now=NOW).disagreements}
    # p1: google_scholar 40 vs crossref 9; p2: google_scholar 15 vs openalex 4; p3: one source
    assert sorted(found) == ["p1", "p2"]
    assert (found["p1"].high_source, found["p1"].high, found["p1"].low_source, found["p1"].low) == (
        "google_scholar",
        40,
        "crossref",
        9,
    )
    assert found["p2"].low_source == "openalex"


def test_stats_json_shape(store: Store) -> None:
    data = json.loads(build_stats(store, now=NOW).to_json())
    assert set(data) == {"sources", "disagreements", "works_in_bib", "generated_at"}
    s2 = data["sources"]["semantic_scholar"]
    for key in (
        "total_citations",
        "h_index",
        "g_index",
        "i10_index",
        "citations_per_year",
        "papers",
    ):
        assert key in s2
    assert s2["citations_per_year"] == {"2025": 0, "2026": 32}
    assert s2["papers"][0] == {
        "key": "p1",
        "title": "Alpha: Learning Things",
        "year": 2022,
        "count": 25,
        "influential": 5,
        "retrieved_at": "2026-11-27T03:00:00Z",
        "change_7d": 3,
        "change_30d": 15,
    }
    assert data["generated_at"] == "2026-11-28T12:00:00Z"


def test_stats_one_source_and_unknown_source(store: Store) -> None:
    report = build_stats(store, source="crossref", now=NOW)
    assert list(report.sources) == ["crossref"]
    assert report.disagreements == []  # one source cannot disagree with itself
    with pytest.raises(BadInputError, match="unknown source 'nope'"):
        build_stats(store, source="nope", now=NOW)


def test_stats_text_layout(store: Store) -> None:
    text = build_stats(store, now=NOW).format_text()
    lines = text.splitlines()
    header = next(line for line in lines if "semantic_scholar" in line)
    assert header.split() == ["semantic_scholar", "openalex", "crossref", "google_scholar"]
    assert next(line for line in lines if line.startswith("h-index")).split() == [
        "h-index",
        "3",
        "2",
        "1",
        "2",
    ]
    assert next(line for line in lines if line.startswith("influential")).split() == [
        "influential",
        "8",
        "–",
        "–",
        "–",
    ]
    assert "p1: google_scholar 40 vs crossref 9 (4.4×)" in text
    assert "pubtrack's own history" in text and "cites_per_year" in text


def test_stats_empty_database() -> None:
    store = Store.memory()
    store.sync_library(Library(works=[Work("a", "article", "A")]))
    report = build_stats(store, now=NOW)
    assert report.sources["semantic_scholar"].total_citations is None
    assert "No citation counts recorded yet" in report.format_text()
    assert json.loads(report.to_json())["sources"]["openalex"]["h_index"] is None


def test_history_all_and_one(store: Store) -> None:
    report = build_history(store)
    assert [p.key for p in report.papers] == ["p1", "p2", "p3"]
    p2 = report.papers[1]
    s2 = [
        (r.retrieved_at[:10], r.count, r.change) for r in p2.rows if r.source == "semantic_scholar"
    ]
    assert s2 == [
        ("2025-12-20", 2, None),
        ("2026-01-10", 3, 1),
        ("2026-11-01", 9, 6),
        ("2026-11-21", 10, 1),
        ("2026-11-27", 12, 2),
    ]
    text = build_history(store, key="p3", source="semantic_scholar").format_text()
    assert text.splitlines() == [
        "p3  Gamma Rays",
        "  2026-01-10 03:00  semantic_scholar  0",
        "  2026-11-01 03:00  semantic_scholar  4  +4",
        "  2026-11-21 03:00  semantic_scholar  4   0",
        "  2026-11-27 03:00  semantic_scholar  5  +1",
    ]
    # a work removed from the bib keeps its history, shown when asked by key
    assert [r.count for r in build_history(store, key="p4").papers[0].rows] == [100, 100]
    with pytest.raises(BadInputError, match="no publication with key 'zz'"):
        build_history(store, key="zz")


def test_changes_last_week(store: Store) -> None:
    report = build_changes(store, since="7d", now=NOW)
    got = {p.key: {c.source: (c.before, c.after) for c in p.changes} for p in report.papers}
    assert got == {
        "p1": {"semantic_scholar": (22, 25), "openalex": (13, 14), "google_scholar": (None, 40)},
        "p2": {"semantic_scholar": (10, 12), "google_scholar": (None, 15)},
        "p3": {"semantic_scholar": (4, 5)},
    }
    assert report.totals() == {"openalex": 1, "semantic_scholar": 6}
    # h-index did not move on any source tracked a week ago; google_scholar is new
    assert report.h_index == {"google_scholar": (None, 2)}
    text = report.format_text()
    assert text.splitlines()[0] == "Changes since 2026-11-21 12:00 UTC:"
    assert "- Alpha: Learning Things (p1): " in text
    assert "semantic_scholar +3 (now 25)" in text
    assert "google_scholar now 40 (tracked since 2026-11-27)" in text
    assert text.splitlines()[-1] == "New citations: semantic_scholar +6, openalex +1"


def test_changes_new_h_index(store: Store) -> None:
    report = build_changes(store, since="2026-01-01", now=NOW)
    # 2026-01-01: semantic_scholar had p1 8, p2 2 -> h 2; now 25, 12, 5 -> h 3
    assert report.h_index["semantic_scholar"] == (2, 3)
    assert report.h_index["openalex"] == (1, 2)  # then p1 6 only; now 14, 4
    assert "- h-index (semantic_scholar): 2 → 3" in report.format_text()


def test_changes_nothing_new(store: Store) -> None:
    report = build_changes(store, since="12h", now=NOW)
    assert report.empty
    assert report.format_text() == "No changes since 2026-11-28 00:00 UTC."
    data = json.loads(report.to_json())
    assert data["papers"] == [] and data["h_index"] == {}


def test_changes_ignores_refetch_with_same_count(tmp_path: Path) -> None:
    store = Store.memory()
    store.sync_library(Library(works=[Work("a", "article", "A")]))
    store.record_citations(
        [
            CitationCount("a", "crossref", 4, "2026-11-20T03:00:00Z"),
            CitationCount("a", "crossref", 4, "2026-11-27T03:00:00Z"),
        ]
    )
    assert build_changes(store, since="7d", now=NOW).empty


def test_parse_since() -> None:
    assert parse_since("7d", NOW) == datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(BadInputError, match="--since"):
        parse_since("last tuesday", NOW)


def test_badge_payloads(store: Store) -> None:
    report = build_stats(store, now=NOW)
    assert badge_payload(report, "citations") == {
        "schemaVersion": 1,
        "label": "citations",
        "message": "42",
        "color": "blue",
    }
    assert badge_payload(report, "h-index", "openalex")["message"] == "2"
    empty = build_stats(Store.memory(), now=NOW)
    with pytest.raises(PubtrackError, match="no citation counts"):
        badge_payload(empty, "citations")


def test_timeline_for_plots(store: Store) -> None:
    timeline = build_timeline(store, top=2)
    assert timeline.totals["semantic_scholar"][-1] == ("2026-11-27", 42)
    assert timeline.totals["crossref"] == [
        ("2026-01-10", 5),
        ("2026-11-01", 9),
        ("2026-11-21", 9),
        ("2026-11-27", 9),
    ]
    # top papers come from the source with the longest history
    assert timeline.paper_source == "semantic_scholar"
    assert list(timeline.papers) == ["p1", "p2"]
    assert timeline.per_year["google_scholar"] == {2024: 10, 2025: 20, 2026: 30}


# ---------------------------------------------------------------------------
# End to end: the real sync against the fake API server on several "days"
# ---------------------------------------------------------------------------

DAYS = ["2026-11-20T03:00:00Z", "2026-11-21T03:00:00Z", "2026-11-27T03:00:00Z"]


def test_sync_over_several_days_then_stats_history_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api = pytest.importorskip("pubtrack.testing.fake_api")
    from click.testing import CliRunner

    from pubtrack.cli import cli

    papers = fake_api.make_papers(6, seed=3)
    root = tmp_path / "e2e"
    (root / "data").mkdir(parents=True)
    fake_api.write_bib(papers, root / "bib" / "publications.bib")
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Nobody"\n\n[sync]\nsources = ["semantic_scholar", "openalex", '
        '"crossref"]\n\n' + fake_api.fast_sync_settings(0.01),
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    for var in ("PUBTRACK_CONFIG", "PUBTRACK_DB", "S2_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENALEX_API_KEY", "test-key")
    runner = CliRunner()
    first = {p.key: p.citation_count for p in papers}
    with fake_api.FakeApiServer(papers, time_scale=0.01, openalex_api_key="test-key") as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        for day, now in enumerate(DAYS):
            if day == 1:
                server.set_citations({papers[0].s2_id: first[papers[0].key] + 5})
            if day == 2:
                server.set_citations(bump=2)
            monkeypatch.setenv("PUBTRACK_NOW", now)
            result = runner.invoke(cli, ["sync", "--all", "--quiet"])
            assert result.exit_code == 0, result.output
    final = {p.key: p.citation_count for p in papers}
    assert final[papers[0].key] == first[papers[0].key] + 7

    # stats (as of the last day): semantic_scholar knows every paper
    monkeypatch.setenv("PUBTRACK_NOW", "2026-11-27T12:00:00Z")
    stats = json.loads(runner.invoke(cli, ["stats", "--json"]).output)
    s2 = stats["sources"]["semantic_scholar"]
    assert s2["works"] == 6
    assert s2["total_citations"] == sum(final.values())
    _total, h, g, i10 = reference_indices(final.values())
    assert (s2["h_index"], s2["g_index"], s2["i10_index"]) == (h, g, i10)
    week = {p["key"]: p["change_7d"] for p in s2["papers"]}
    assert week == {k: final[k] - first[k] for k in final}  # 7 days back = the first sync
    assert stats["sources"]["openalex"]["citations_per_year_basis"] == "counts_by_year"

    # history: three fetches per paper and source, with the changes
    history = json.loads(runner.invoke(cli, ["history", papers[0].key, "--json"]).output)
    rows = [r for r in history["papers"][0]["history"] if r["source"] == "semantic_scholar"]
    assert [(r["retrieved_at"], r["count"], r["change"]) for r in rows] == [
        (DAYS[0], first[papers[0].key], None),
        (DAYS[1], first[papers[0].key] + 5, 5),
        (DAYS[2], first[papers[0].key] + 7, 2),
    ]

    # changes since the second day: +2 on every paper and source that counts
    changes = runner.invoke(cli, ["changes", "--since", "2026-11-22"])
    assert changes.exit_code == 0
    assert f"semantic_scholar +2 (now {final[papers[0].key]})" in changes.output
    assert changes.output.splitlines()[-1].startswith("New citations: ")
    assert "semantic_scholar +12" in changes.output.splitlines()[-1]


def test_paper_sparklines(store: Store) -> None:
    from pubtrack.timeline import paper_sparklines

    # semantic_scholar has the longest history; p1 8, 10, 20, 22, 25:
    # (v - 8) / 17 * 7 -> 0, 0.8, 4.9, 5.8, 7 -> ▁▂▆▇█
    lines = paper_sparklines(store)
    assert lines["p1"] == "▁▂▆▇█"
    assert set(lines) == {"p1", "p2", "p3"}
    assert paper_sparklines(store, source="crossref", points=2) == {"p1": "▁▁"}  # 9, 9: flat
    assert paper_sparklines(store, source="google_scholar") == {}  # one day only


def test_sparklines_read_only_the_last_days_in_one_query(store: Store) -> None:
    """Store.recent_daily_counts: each work's last N checked days, oldest first."""
    statements: list[str] = []
    store.db._conn.set_trace_callback(statements.append)
    counts = store.recent_daily_counts("semantic_scholar", 2)
    store.db._conn.set_trace_callback(None)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert counts and all(1 <= len(v) <= 2 for v in counts.values())
    longer = store.recent_daily_counts("semantic_scholar", 50)
    for key, values in counts.items():
        assert longer[key][-len(values) :] == values  # the same days, the latest ones
