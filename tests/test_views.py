"""The SQL views give the numbers the metric functions give (and the hand-computed ones)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import (
    add_years,
    fill_stats_db,
    reference_daily_totals,
    reference_indices,
    yearly_increase,
)
from pubtrack.db import Store, migrations
from pubtrack.models import CitationCount, Library, Work
from pubtrack.stats import build_stats


@pytest.fixture
def store(tmp_path: Path) -> Store:
    fill_stats_db(tmp_path / "p.db")
    return Store.open(tmp_path / "p.db")


def _rows(store: Store, sql: str) -> list[dict]:
    return list(store.db.query(sql))


def test_views_exist_and_migrations_done(store: Store) -> None:
    assert {
        "source_totals",
        "citations_per_year",
        "paper_citations_per_year",
        "daily_citations",
        "daily_totals",
        "latest_profile_metrics",
    } <= set(store.db.view_names())
    assert {"profile_metrics", "profile_cites_per_year"} <= set(store.db.table_names())
    assert not migrations.pending(store.db)


def test_source_totals_hand_computed(store: Store) -> None:
    rows = {r["source"]: r for r in _rows(store, "SELECT * FROM source_totals")}
    # Latest counts of the works in the bib (p4 was removed: its 100 never counts).
    # semantic_scholar 25, 12, 5: total 42; h 3; g 25>=1, 37>=4, 42>=9 -> 3; i10 2;
    # influential = count // 5 -> 5 + 2 + 1
    s2 = rows["semantic_scholar"]
    assert (s2["works"], s2["total_citations"], s2["h_index"], s2["g_index"], s2["i10_index"]) == (
        3,
        42,
        3,
        3,
        2,
    )
    assert s2["influential_citations"] == 8
    # openalex 14, 4: h 2 (4 >= 2); g 14>=1, 18>=4 -> 2; i10 1
    oa = rows["openalex"]
    assert (oa["works"], oa["total_citations"], oa["h_index"], oa["g_index"], oa["i10_index"]) == (
        2,
        18,
        2,
        2,
        1,
    )
    # crossref 9: h 1, g 1, i10 0
    cr = rows["crossref"]
    assert (cr["total_citations"], cr["h_index"], cr["g_index"], cr["i10_index"]) == (9, 1, 1, 0)
    gs = rows["google_scholar"]
    assert (gs["total_citations"], gs["h_index"], gs["i10_index"]) == (55, 2, 2)
    assert s2["last_retrieved_at"] == "2026-11-27T03:00:00Z"


def test_source_totals_match_metrics_and_stats(store: Store) -> None:
    report = build_stats(store)
    for row in _rows(store, "SELECT * FROM source_totals"):
        stats = report.sources[row["source"]]
        assert row["works"] == stats.works
        assert row["total_citations"] == stats.total_citations
        assert row["h_index"] == stats.h_index
        assert row["g_index"] == stats.g_index
        assert row["i10_index"] == stats.i10_index


def test_citations_per_year_hand_computed(store: Store) -> None:
    got = {
        (r["source"], r["year"]): (r["citations"], r["basis"])
        for r in _rows(store, "SELECT * FROM citations_per_year")
    }
    assert got == {
        # history: p1 2025 8-8=0, 2026 25-8=17; p2 2025 0, 2026 12-2=10; p3 2026 5-0=5
        ("semantic_scholar", 2025): (0, "history"),
        ("semantic_scholar", 2026): (32, "history"),
        # p1 from counts_by_year {2024: 2, 2025: 5, 2026: 7}; p2 from history 2026: 4-1=3
        ("openalex", 2024): (2, "counts_by_year"),
        ("openalex", 2025): (5, "counts_by_year"),
        ("openalex", 2026): (10, "counts_by_year+history"),
        # crossref p1: 2026 9-5 = 4
        ("crossref", 2026): (4, "history"),
        # the profile's own cites_per_year replaces the per-paper figures
        ("google_scholar", 2024): (10, "profile"),
        ("google_scholar", 2025): (20, "profile"),
        ("google_scholar", 2026): (30, "profile"),
    }
    report = build_stats(store)
    for (source, year), (citations, _basis) in got.items():
        assert report.sources[source].citations_per_year[year] == citations


def test_daily_totals_hand_computed(store: Store) -> None:
    got = [
        (r["day"], r["works"], r["total_citations"])
        for r in _rows(
            store, "SELECT * FROM daily_totals WHERE source = 'semantic_scholar' ORDER BY day"
        )
    ]
    assert got == [
        ("2025-12-20", 2, 10),  # p1 8 + p2 2 (p4 removed from the bib)
        ("2026-01-10", 3, 13),  # 10 + 3 + 0
        ("2026-11-01", 3, 33),
        ("2026-11-21", 3, 36),
        ("2026-11-27", 3, 42),
    ]
    daily = _rows(
        store,
        "SELECT count FROM daily_citations WHERE publication_key = 'p1'"
        " AND source = 'semantic_scholar' ORDER BY day",
    )
    assert [r["count"] for r in daily] == [8, 10, 20, 22, 25]


def test_latest_profile_metrics(store: Store) -> None:
    rows = _rows(store, "SELECT * FROM latest_profile_metrics")
    assert [(r["source"], r["h_index"], r["i10_index"], r["total_citations"]) for r in rows] == [
        ("google_scholar", 3, 2, 60)
    ]
    # a newer profile fetch (another profile id) replaces the old figures and years
    store.record_profile_metrics(
        "google_scholar",
        "NEWID",
        retrieved_at="2026-11-28T03:00:00Z",
        h_index=4,
        cites_per_year={2026: 31},
    )
    rows = _rows(store, "SELECT * FROM latest_profile_metrics")
    assert [(r["profile_id"], r["h_index"]) for r in rows] == [("NEWID", 4)]
    years = _rows(
        store, "SELECT year, citations FROM citations_per_year WHERE source = 'google_scholar'"
    )
    assert [(r["year"], r["citations"]) for r in years] == [(2026, 31)]


def test_views_match_metrics_on_random_histories() -> None:
    """Random histories (ties, zeros, drops, several per day): SQL == Python."""
    rng = random.Random(4)
    store = Store.memory()
    keys = [f"w{i}" for i in range(12)]
    store.sync_library(Library(works=[Work(k, "article", k) for k in keys]))
    series: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for day in range(40):
        ts_day = f"202{5 + day // 20}-{1 + day % 12:02d}-{1 + day % 28:02d}"
        for key in keys:
            for source in ("semantic_scholar", "crossref"):
                if rng.random() < 0.6:
                    prev = series.get((key, source), [("", rng.randint(0, 12))])[-1][1]
                    count = max(0, prev + rng.randint(-1, 4))
                    ts = f"{ts_day}T0{rng.randint(0, 9)}:00:00Z"
                    series.setdefault((key, source), []).append((ts, count))
    for (key, source), points in series.items():
        points.sort()
        store.record_citations(CitationCount(key, source, n, ts) for ts, n in points)
    totals = {r["source"]: r for r in store.db.query("SELECT * FROM source_totals")}
    per_year = {
        (r["source"], r["year"]): r["citations"]
        for r in store.db.query("SELECT * FROM citations_per_year")
    }
    for source in ("semantic_scholar", "crossref"):
        latest = [points[-1][1] for (k, s), points in series.items() if s == source]
        row = totals[source]
        total, h, g, i10 = reference_indices(latest)
        assert (row["total_citations"], row["h_index"]) == (total, h)
        assert (row["g_index"], row["i10_index"]) == (g, i10)
        assert store.figures_of((source, n) for n in latest)[source]["h_index"] == h
        expected: dict[int, int] = {}
        for (_key, s), points in series.items():
            if s == source:
                add_years(expected, yearly_increase(points))
        assert {y: n for (s, y), n in per_year.items() if s == source} == expected
        by_day = {
            r["day"]: (r["works"], r["total_citations"])
            for r in store.db.query("SELECT * FROM daily_totals WHERE source = ?", [source])
        }
        python = reference_daily_totals([p for (k, s), p in sorted(series.items()) if s == source])
        assert by_day == {day: (works, total) for day, works, total in python}
