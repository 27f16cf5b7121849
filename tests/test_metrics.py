"""Metrics against hand-computed cases: the source_totals view (the one implementation
of the current figures, which `stats` reads) and the series functions."""

from __future__ import annotations

import pytest

from conftest import yearly_increase
from pubtrack import metrics
from pubtrack.db import Store
from pubtrack.models import CitationCount


def _view(counts: list[int]) -> dict[str, int]:
    """works, total_citations, h_index, g_index, i10_index of ``counts`` in the view."""
    store = Store.memory()
    for i in range(len(counts)):
        store.db.execute(
            "INSERT INTO publications (key, title, in_bib) VALUES (?, 'T', 1)", [f"p{i}"]
        )
    store.record_citations(
        [CitationCount(f"p{i}", "s", c, "2026-11-01T00:00:00Z") for i, c in enumerate(counts)]
    )
    row = store.source_totals().get("s")
    names = ("total_citations", "h_index", "g_index", "i10_index")
    return {n: row[n] for n in names} if row else dict.fromkeys(names, 0)


def _snapshot(counts: list[int]) -> dict[str, int]:
    """The same figures of ``counts`` from ``Store.figures_of`` (no publications table)."""
    row = Store.memory().figures_of(("s", c) for c in counts).get("s")
    names = ("total_citations", "h_index", "g_index", "i10_index")
    return {n: row[n] for n in names} if row else dict.fromkeys(names, 0)


# (counts, h, g, i10, total) — worked out by hand:
CASES = [
    # nothing at all
    ([], 0, 0, 0, 0),
    # zeros only: no paper has >= 1 citation; sum of top 1 = 0 < 1
    ([0, 0, 0], 0, 0, 0, 0),
    # one paper: h = 1 (1 paper with >= 1); g capped at the paper count
    ([100], 1, 1, 1, 100),
    ([1], 1, 1, 0, 1),
    # ties: three papers with 3 each -> h = 3; g: 3>=1, 6>=4, 9>=9 -> 3
    ([3, 3, 3], 3, 3, 0, 9),
    # ties at the threshold: four papers with 3: h stays 3 (4th needs >= 4);
    # g: 3, 6, 9 >= 9 -> 3; 12 < 16 -> g = 3
    ([3, 3, 3, 3], 3, 3, 0, 12),
    # Hirsch's example shape: 10, 8, 5, 4, 3 -> h = 4 (4 >= 4, 3 < 5)
    # g: 10>=1, 18>=4, 23>=9, 27>=16, 30>=25 -> g = 5
    ([10, 8, 5, 4, 3], 4, 5, 1, 30),
    # unsorted input, zeros mixed in: 0, 25, 0, 12, 5 -> sorted 25, 12, 5, 0, 0
    # h: 25>=1, 12>=2, 5>=3, 0<4 -> 3; g: 25, 37>=4, 42>=9, 42>=16, 42>=25 -> 5
    ([0, 25, 0, 12, 5], 3, 5, 2, 42),
    # g would exceed the paper count (sum 200 >= 3^2 and beyond): capped at 3
    ([150, 40, 10], 3, 3, 3, 200),
    # i10 boundary: 9 does not count, 10 does
    ([9, 10, 11], 3, 3, 2, 30),
]


@pytest.mark.parametrize(("counts", "h", "g", "i10", "total"), CASES)
def test_indices(counts: list[int], h: int, g: int, i10: int, total: int) -> None:
    figures = _view(counts)
    assert (figures["h_index"], figures["g_index"]) == (h, g)
    assert (figures["i10_index"], figures["total_citations"]) == (i10, total)
    # figures_of (the summary's and `changes`' snapshots) runs the view's query
    assert _snapshot(counts) == figures


def test_many_papers() -> None:
    # 50 papers with 50 citations each: h = 50 (every one of 50 has >= 50);
    # g: sum of top g = 50 g >= g^2 for every g <= 50 -> 50 (capped).
    assert _snapshot([50] * 50)["h_index"] == 50
    assert _view([50] * 50)["g_index"] == 50
    # 1..100: h = 50 (the 50th most cited has 51 >= 50, the 51st has 50 < 51).
    counts = list(range(1, 101))
    assert _snapshot(counts)["h_index"] == 50 == _view(counts)["h_index"]
    # g: top g sum = sum_{k=0}^{g-1} (100 - k) = 100 g - g(g-1)/2 >= g^2
    #  <=> 100 - (g-1)/2 >= g <=> g <= 67 -> 67
    assert _view(counts)["g_index"] == 67
    assert _view(counts)["i10_index"] == 91


SERIES = [
    ("2025-12-20T03:00:00Z", 8),
    ("2026-01-10T03:00:00Z", 10),
    ("2026-11-01T03:00:00Z", 20),
    ("2026-11-21T03:00:00Z", 22),
    ("2026-11-27T03:00:00Z", 25),
]


def _series_store(series: dict[str, list[tuple[str, int]]]) -> Store:
    """A database holding ``{key: [(retrieved_at, count), ...]}`` for source "s"."""
    store = Store.memory()
    for key in series:
        store.db.execute("INSERT INTO publications (key, title, in_bib) VALUES (?, 'T', 1)", [key])
    checks = sorted({t for points in series.values() for t, _ in points})
    for ts in checks:  # one sync per time, as a real history is written
        store.record_citations(
            CitationCount(key, "s", n, ts)
            for key, points in series.items()
            for t, n in points
            if t == ts
        )
    return store


def test_count_then_and_change_since() -> None:
    # Store.paper_counts: the count at a cutoff (inclusive) and so the change since.
    store = _series_store({"p": SERIES})

    def at(when: str) -> int | None:
        ((_key, _src, count, _infl, _ts, then, _then2),) = store.paper_counts(when, when)
        assert count == 25
        return then

    assert at("2025-12-01T00:00:00Z") is None
    assert at("2025-12-20T03:00:00Z") == 8  # inclusive
    assert at("2026-11-21T12:00:00Z") == 22  # change since then: 25 - 22 = 3
    assert at("2026-10-29T12:00:00Z") == 10  # change since then: 15
    # before tracking began: unknown, not "everything is new"
    assert at("2025-01-01T00:00:00Z") is None


def test_yearly_increase() -> None:
    # 2025: first year tracked: 8 - 8 = 0; 2026: 25 - 8 (last of 2025) = 17
    assert yearly_increase(SERIES) == {2025: 0, 2026: 17}
    # a gap year: 2024 last 5, nothing in 2025, 2026 last 9 -> all 4 go to 2026
    gap = [("2024-03-01T00:00:00Z", 2), ("2024-12-01T00:00:00Z", 5), ("2026-02-01T00:00:00Z", 9)]
    assert yearly_increase(gap) == {2024: 3, 2026: 4}
    # a source lowering a count (merged duplicates) gives a net negative year
    assert yearly_increase([("2025-06-01T00:00:00Z", 10), ("2026-06-01T00:00:00Z", 7)]) == {
        2025: 0,
        2026: -3,
    }
    assert yearly_increase([]) == {}


def test_daily_counts_and_daily_totals() -> None:
    a = [("2026-11-01T01:00:00Z", 1), ("2026-11-01T05:00:00Z", 2), ("2026-11-03T00:00:00Z", 4)]
    b = [("2026-11-02T00:00:00Z", 10)]
    store = _series_store({"a": a, "b": b})
    # the daily_citations view: the last count of each day a work was checked
    assert store.daily_counts("s", ["a", "b", "c"]) == {
        "a": [("2026-11-01", 2), ("2026-11-03", 4)],
        "b": [("2026-11-02", 10)],
        "c": [],
    }
    # day 1: only a (2); day 2: a carried (2) + b 10; day 3: a 4 + b carried 10
    expected = [("2026-11-01", 1, 2), ("2026-11-02", 2, 12), ("2026-11-03", 2, 14)]
    assert store.daily_totals() == {"s": expected}
    # only the parsed bib's works (b removed since the last sync): a alone
    store.count_only(["a"])
    assert store.daily_totals("s") == {
        "s": [("2026-11-01", 1, 2), ("2026-11-02", 1, 2), ("2026-11-03", 1, 4)]
    }
    assert store.daily_totals("other") == {}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (
            {"semantic_scholar": 97, "openalex": 39, "google_scholar": 135},
            ("google_scholar", 135, "openalex", 39),
        ),
        # ratio 2 but difference 2 < 5: chance, not a disagreement
        ({"a": 2, "b": 4}, None),
        # difference 10 but ratio 110/100 = 1.1: fine
        ({"a": 100, "b": 110}, None),
        # exactly 1.5x is not "more than 1.5x"
        ({"a": 10, "b": 15}, None),
        ({"a": 10, "b": 16}, ("b", 16, "a", 10)),
        # zero on one side: far apart once the difference is >= 5
        ({"a": 0, "b": 5}, ("b", 5, "a", 0)),
        ({"a": 0, "b": 4}, None),
        ({"only": 50}, None),
    ],
)
def test_disagreement(counts: dict[str, int], expected: tuple[str, int, str, int] | None) -> None:
    found = metrics.disagreement(counts)
    if expected is None:
        assert found is None
    else:
        assert found == metrics.Disagreement(*expected)


def test_sparkline() -> None:
    assert metrics.sparkline([]) == ""
    assert metrics.sparkline([1, 5, 9]) == "▁▅█"
    assert metrics.sparkline([0, 7]) == "▁█"
    # 0..7 map one to one onto the eight bars
    assert metrics.sparkline(list(range(8))) == "▁▂▃▄▅▆▇█"
    assert metrics.sparkline([3, 3, 3]) == "▁▁▁"
    assert metrics.sparkline([1, None, 3]) == "▁ █"
    assert metrics.sparkline([None]) == ""


def test_format_change() -> None:
    assert [metrics.format_change(c) for c in (3, 0, -2, None)] == ["+3", "0", "-2", "–"]


def _oracle_h(counts: list[int]) -> int:
    """Hirsch's definition, read literally: the largest h with h papers >= h."""
    return max((h for h in range(len(counts) + 1) if sum(c >= h for c in counts) >= h), default=0)


def _oracle_g(counts: list[int]) -> int:
    """Egghe's g, capped at the paper count: the top g papers have >= g² citations."""
    top = sorted(counts, reverse=True)
    return max((g for g in range(len(top) + 1) if sum(top[:g]) >= g * g), default=0)


def test_the_view_is_figures_sql_over_the_latest_counts() -> None:
    # One implementation: the view stored in a migrated database is figures_sql's text.
    from pubtrack.db import SOURCE_TOTALS_VIEW

    store = Store.memory()
    (stored,) = store.db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'source_totals'"
    ).fetchone()
    assert " ".join(stored.split()) == " ".join(SOURCE_TOTALS_VIEW.split())


def test_the_per_year_view_is_the_query_stats_runs() -> None:
    from pubtrack.db import CITATIONS_PER_YEAR_VIEW

    (stored,) = (
        Store.memory()
        .db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'citations_per_year'"
        )
        .fetchone()
    )
    assert " ".join(stored.split()) == " ".join(CITATIONS_PER_YEAR_VIEW.split())


@pytest.mark.parametrize("seed", range(20))
def test_view_and_snapshot_agree_with_the_definitions(seed: int) -> None:
    import random

    rng = random.Random(seed)
    counts = [rng.choice([0, 1, 2, 3, 5, 8, 9, 10, 11, 40, 200]) for _ in range(rng.randint(0, 30))]
    view, snapshot = _view(counts), _snapshot(counts)
    assert view == snapshot
    assert snapshot["h_index"] == _oracle_h(counts)
    assert snapshot["g_index"] == _oracle_g(counts)
    assert snapshot["i10_index"] == sum(c >= 10 for c in counts)
    assert snapshot["total_citations"] == sum(counts)


def test_figures_of_keeps_sources_apart() -> None:
    figures = Store.memory().figures_of([("a", 5), ("b", 1), ("a", 5), ("a", 1), ("b", 1)])
    assert {s: f["h_index"] for s, f in figures.items()} == {"a": 2, "b": 1}
    assert {s: f["works"] for s, f in figures.items()} == {"a": 3, "b": 2}


@pytest.mark.parametrize("seed", range(10))
def test_sync_summary_h_index_agrees_with_the_definition(seed: int) -> None:
    import random

    from pubtrack.sync.report import _h_index_changes

    rng = random.Random(seed)
    keys = [f"k{i}" for i in range(rng.randint(1, 15))]
    before = {
        k: {"s": CitationCount(k, "s", rng.randint(0, 20), "2026-11-01T00:00:00Z")}
        for k in keys
        if rng.random() < 0.7
    }
    new_counts = {(k, "s"): rng.randint(0, 25) for k in keys if rng.random() < 0.5}
    in_bib = {k for k in keys if rng.random() < 0.9}
    old = {k: c["s"].count for k, c in before.items() if k in in_bib}
    new = {**old, **{k: n for (k, _), n in new_counts.items() if k in in_bib}}
    was = _oracle_h(list(old.values())) if old else None
    now = _oracle_h(list(new.values()))
    expected = {"s": (was, now)} if new_counts and was != now else {}
    assert _h_index_changes(Store.memory(), before, new_counts, in_bib) == expected
