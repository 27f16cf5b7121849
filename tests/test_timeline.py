"""The plot's series come from the database's queries: daily totals from
``daily_totals_sql`` (the view, or the same query over the parsed bib's works),
each paper's days from the ``daily_citations`` view."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from conftest import daily_last, reference_daily_totals
from pubtrack.db import DAILY_CITATIONS_VIEW, DAILY_TOTALS_VIEW, Store, daily_citations_sql
from pubtrack.models import CitationCount, Library, Work
from pubtrack.timeline import build_timeline

SOURCES = ("semantic_scholar", "crossref")


def _random_history(seed: int) -> tuple[Store, dict[tuple[str, str], list[tuple[str, int]]]]:
    """Random syncs over random days (ties, drops, zeros, several a day), some works
    later removed from the bib; returns the store and every (key, source) series."""
    rng = random.Random(seed)
    store = Store.memory()
    keys = [f"w{i}" for i in range(rng.randint(1, 10))]
    store.sync_library(Library(works=[Work(k, "article", k) for k in keys]))
    series: dict[tuple[str, str], list[tuple[str, int]]] = {}
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    for _sync in range(rng.randint(1, 25)):
        moment += timedelta(hours=rng.choice([1, 5, 24, 24, 48, 24 * 20]))  # some days twice
        ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        for source in SOURCES:
            if rng.random() < 0.3:
                continue  # this source not synced this time
            counts = []
            for key in keys:
                if rng.random() < 0.7:  # the work was fetched
                    previous = series.get((key, source), [("", rng.randint(0, 9))])[-1][1]
                    count = max(0, previous + rng.choice([-2, 0, 0, 1, 3, 10]))
                    series.setdefault((key, source), []).append((ts, count))
                    counts.append(CitationCount(key, source, count, ts))
            store.record_citations(counts)
    kept = [k for k in keys if rng.random() < 0.7]
    store.sync_library(Library(works=[Work(k, "article", k) for k in kept]))
    return store, series


def _check_days(store: Store, source: str) -> set[str]:
    """The days ``source`` was checked (synced) on."""
    rows = store.db.execute("SELECT retrieved_at FROM citation_checks WHERE source = ?", [source])
    return {ts[:10] for (ts,) in rows}


@pytest.mark.parametrize("seed", range(25))
def test_the_view_and_the_store_query_agree_on_random_histories(seed: int) -> None:
    store, series = _random_history(seed)
    in_bib = {r[0] for r in store.db.execute("SELECT key FROM publications WHERE in_bib = 1")}
    view = {
        source: [
            (r["day"], r["works"], r["total_citations"])
            for r in store.db.query(
                "SELECT * FROM daily_totals WHERE source = ? ORDER BY day", [source]
            )
        ]
        for source in SOURCES
    }
    query = store.daily_totals()
    for source in SOURCES:
        expected = reference_daily_totals(
            [s for (k, src), s in sorted(series.items()) if src == source and k in in_bib],
            days=_check_days(store, source),
        )
        assert view[source] == expected
        assert query.get(source, []) == expected
    # The same query over another set of works (the parsed bib's, as read commands count).
    chosen = sorted({k for k, _ in series if random.Random(seed).random() < 0.5})
    store.count_only(chosen)
    query = store.daily_totals()
    for source in SOURCES:
        expected = reference_daily_totals(
            [s for (k, src), s in sorted(series.items()) if src == source and k in chosen],
            days=_check_days(store, source),
        )
        assert query.get(source, []) == expected
        assert store.daily_totals(source).get(source, []) == expected
        # each paper's days: the daily_citations view == the last count of each day
        keys = sorted({k for k, src in series if src == source})
        assert store.daily_counts(source, keys) == {
            k: daily_last(series[(k, source)]) for k in keys
        }


@pytest.mark.parametrize(
    ("view", "text"),
    [("daily_totals", DAILY_TOTALS_VIEW), ("daily_citations", DAILY_CITATIONS_VIEW)],
)
def test_the_views_are_the_builders_queries(view: str, text: str) -> None:
    # One implementation: the view stored in a migrated database is the builder's text.
    (stored,) = (
        Store.memory()
        .db.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", [view])
        .fetchone()
    )
    assert " ".join(stored.split()) == " ".join(text.split())


def test_a_few_works_days_read_only_their_own_spans() -> None:
    """Store.daily_counts: the view's rows for those works, through the key index."""
    store, series = _random_history(7)
    keys = sorted({k for k, _ in series})[:3]
    for source in SOURCES:
        view: dict[str, list[tuple[str, int]]] = {k: [] for k in keys}
        for r in store.db.query(
            "SELECT publication_key, day, count FROM daily_citations WHERE source = ?"
            " ORDER BY publication_key, day",
            [source],
        ):
            if r["publication_key"] in view:
                view[r["publication_key"]].append((r["day"], r["count"]))
        assert store.daily_counts(source, keys) == view
    plan = " ".join(
        str(row)
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM (" + daily_citations_sql("SELECT 'w1'") + ")"
        )
    )
    assert "idx_citations_checked_until" not in plan  # not every span of every day


def test_the_timeline_draws_the_store_queries() -> None:
    store, series = _random_history(3)
    store.count_only([k for k, _ in series])
    timeline = build_timeline(store, top=3)
    daily = store.daily_totals()
    assert timeline.totals == {s: [(d, t) for d, _w, t in rows] for s, rows in daily.items()}
    assert timeline.paper_source is not None
    counts = store.daily_counts(timeline.paper_source, list(timeline.papers))
    assert timeline.papers == counts
    assert 0 < len(timeline.papers) <= 3


def test_a_source_checked_without_a_counted_work_carries_its_total() -> None:
    # a day whose check saw only a work no longer counted: the total carries forward
    store = Store.memory()
    store.sync_library(Library(works=[Work(k, "article", k) for k in ("a", "b")]))
    store.record_citations([CitationCount("a", "s", 3, "2026-11-01T03:00:00Z")])
    store.record_citations([CitationCount("b", "s", 7, "2026-11-02T03:00:00Z")])
    store.sync_library(Library(works=[Work("a", "article", "a")]))
    assert store.daily_totals("s") == {"s": [("2026-11-01", 1, 3), ("2026-11-02", 1, 3)]}
