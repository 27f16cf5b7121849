"""Change-only citation history: lossless compaction, the live path, indexes, append-only."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import legacy_history as lh
from pubtrack.db import Store
from pubtrack.errors import StorageError
from pubtrack.models import CitationCount

GOLDEN = json.loads(
    (Path(__file__).parent / "golden" / "history_compaction.json").read_text(encoding="utf-8")
)


def _legacy_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(str(path))
    try:
        return sorted(
            conn.execute(
                "SELECT publication_key, source, count, influential, retrieved_at FROM citations"
            ),
            key=repr,
        )
    finally:
        conn.close()


def _assert_same(found: dict[str, object], expected: dict[str, object]) -> None:
    assert sorted(found) == sorted(expected)
    for name in expected:
        assert found[name] == expected[name], name


def _live_project(root: Path) -> Path:
    """The same syncs recorded through Store.record_citations (one check per source
    and sync, as `pubtrack sync` records them)."""
    db = lh.write_project(root)
    with Store.open(db) as store:
        store.db.conn.executemany(
            "INSERT INTO publications (key, title, year, in_bib, entry_type, kind)"
            " VALUES (?, ?, ?, ?, 'article', 'journal')",
            lh.publication_rows(),
        )
        store.db.conn.executemany(
            "INSERT INTO counts_by_year (publication_key, source, year, count, retrieved_at)"
            " VALUES (?, ?, ?, ?, ?)",
            lh.counts_by_year_rows(),
        )
        batch: list[CitationCount] = []
        current: tuple[str, str, int] | None = None
        for key, source, count, infl, ts, run in lh.observations():
            if (source, ts, run) != current and batch:
                store.record_citations(batch, current[2] if current else None)
                batch = []
            current = (source, ts, run)
            batch.append(CitationCount(key, source, count, ts, influential=infl))
        store.record_citations(batch, current[2] if current else None)
        assert store.observation_rows() == len(list(lh.observations()))
    return db


def test_compaction_is_lossless(tmp_path: Path) -> None:
    """A many-day history in the old layout (one row per fetch), migrated: every fetch
    is still there, every view gives the rows the old views gave on the old layout,
    and every command (render included) prints what it prints on the same syncs
    recorded through the live path."""
    db = lh.write_project(tmp_path / "old")
    lh.build_legacy_db(db)
    legacy = _legacy_rows(db)
    views_before = lh.view_rows(db)  # the old views (m001/m030) on the old layout

    with Store.open(db) as store:  # migrates: m040 compacts
        spans = store.citation_rows()
        observations = sorted(
            (
                (r["publication_key"], r["source"], r["count"], r["influential"], r["retrieved_at"])
                for r in store.citation_history()
            ),
            key=repr,
        )
        assert store.observation_rows() == len(legacy)
    assert observations == legacy  # every fetch is still there
    assert spans < len(legacy) / 3  # and the table holds spans, not fetches
    _assert_same(lh.view_rows(db), views_before)

    live = _live_project(tmp_path / "live")
    _assert_same(lh.view_rows(live), views_before)
    _assert_same(lh.run_commands(tmp_path / "old"), lh.run_commands(tmp_path / "live"))


@pytest.mark.parametrize("layout", ["migrated", "live"])
def test_reports_match_the_pre_change_code(tmp_path: Path, layout: str) -> None:
    """stats, history, changes and badge print, byte for byte, what the pre-change code
    printed on the old layout (tests/golden/history_compaction.json; regenerate with
    the code before m040: ``PYTHONPATH=<its src> python tests/legacy_history.py
    tests/golden/history_compaction.json``). Render is compared with the same code
    (above): its format belongs to other work."""
    if layout == "migrated":
        lh.build_legacy_db(lh.write_project(tmp_path))
    else:
        _live_project(tmp_path)
    found = lh.run_commands(tmp_path)
    names = [n for n in GOLDEN["commands"] if not n.startswith("render")]
    _assert_same({n: found[n] for n in names}, {n: GOLDEN["commands"][n] for n in names})
    _assert_same(lh.view_rows(tmp_path / "data" / "pubtrack.db"), GOLDEN["views"])


def test_an_unchanged_count_reads_as_of_its_last_check() -> None:
    store = Store.memory()
    for day in range(1, 31):
        ts = f"2026-11-{day:02d}T03:00:00Z"
        store.record_citations([CitationCount("a", "openalex", 7, ts)])
    assert store.citation_rows() == 1
    assert store.observation_rows() == 30
    assert store.latest_citations()["a"]["openalex"].retrieved_at == "2026-11-30T03:00:00Z"
    daily = list(store.db.query("SELECT day, count FROM daily_citations ORDER BY day"))
    assert [r["day"] for r in daily] == [f"2026-11-{d:02d}" for d in range(1, 31)]
    assert {r["count"] for r in daily} == {7}


def test_a_new_year_adds_a_year_row_only_for_counts_that_moved() -> None:
    """The first sync of a year must not add a citation_years row per work: quiet
    works read as 0 for that year from the view, movers as their increase."""
    store = Store.memory()
    days = ["2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02", "2027-01-01"]
    for i, day in enumerate(days):
        ts = f"{day}T03:00:00Z"
        moved = 10 + i if day == "2026-01-02" or day == "2027-01-01" else 10
        store.record_citations(
            [
                CitationCount("quiet", "openalex", 5, ts),
                CitationCount("mover", "openalex", moved, ts),
            ]
        )
    rows = list(store.db.query("SELECT publication_key, year FROM citation_years ORDER BY 1, 2"))
    assert [(r["publication_key"], r["year"]) for r in rows] == [
        ("mover", 2025),
        ("mover", 2026),
        ("mover", 2027),
        ("quiet", 2025),
    ]
    per_year = {
        (r["publication_key"], r["year"]): r["citations"]
        for r in store.db.query("SELECT * FROM paper_citations_per_year")
    }
    assert per_year == {
        ("quiet", 2025): 0,
        ("quiet", 2026): 0,
        ("quiet", 2027): 0,
        ("mover", 2025): 0,
        ("mover", 2026): 3,
        ("mover", 2027): 1,
    }


def test_a_skipped_check_starts_a_new_span() -> None:
    """A work not fetched in a check (not due, failed) must not look checked then."""
    store = Store.memory()
    store.record_citations([CitationCount("a", "crossref", 3, "2026-11-01T03:00:00Z")])
    store.record_citations(
        [
            CitationCount("a", "crossref", 3, "2026-11-02T03:00:00Z"),
            CitationCount("b", "crossref", 1, "2026-11-02T03:00:00Z"),
        ]
    )
    store.record_citations([CitationCount("b", "crossref", 1, "2026-11-03T03:00:00Z")])
    store.record_citations([CitationCount("a", "crossref", 3, "2026-11-04T03:00:00Z")])
    days = [r["retrieved_at"][:10] for r in store.citation_history("a")]
    assert days == ["2026-11-01", "2026-11-02", "2026-11-04"]
    assert store.citation_rows() == 3  # a: two spans (the gap), b: one


def test_latest_follows_the_sync_order_not_the_clock() -> None:
    """A check dated in the future (clock skew, a bad PUBTRACK_NOW) must not pin the
    latest value: the next sync's count is the latest, whatever its date."""
    store = Store.memory()
    store.record_citations([CitationCount("a", "openalex", 10, "2026-11-01T03:00:00Z")])
    store.record_citations([CitationCount("a", "openalex", 99, "2031-01-01T00:00:00Z")])
    store.record_citations([CitationCount("a", "openalex", 12, "2026-11-02T03:00:00Z")])
    latest = store.latest_citations()["a"]["openalex"]
    assert (latest.count, latest.retrieved_at) == (12, "2026-11-02T03:00:00Z")
    store.record_citations([CitationCount("a", "openalex", 12, "2026-11-03T03:00:00Z")])
    assert store.latest_citations()["a"]["openalex"].retrieved_at == "2026-11-03T03:00:00Z"


def test_history_is_append_only() -> None:
    store = Store.memory()
    for day in (1, 2, 3):
        store.record_citations([CitationCount("a", "s", day // 2, f"2026-11-0{day}T03:00:00Z")])
    closed = store.db.execute("SELECT id FROM citations WHERE last_check IS NOT NULL").fetchone()[0]
    for sql in (
        "UPDATE citations SET count = 5",
        "UPDATE citations SET retrieved_at = '2020-01-01T00:00:00Z'",
        f"UPDATE citations SET last_check = 99 WHERE id = {closed}",
        "DELETE FROM citations",
        "UPDATE citation_checks SET retrieved_at = 'x'",
    ):
        with pytest.raises(StorageError, match="append-only"):  # the Store's words
            store.db.execute(sql)


def _plan(store: Store, sql: str) -> list[str]:
    return [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]


@pytest.mark.parametrize("view", [*lh.VIEWS, "citation_spans", "citation_observations"])
def test_no_view_scans_the_history_per_row(tmp_path: Path, view: str) -> None:
    """Every lookup into citations/citation_checks from a correlated subquery or a
    join's inner loop goes through an index: no view is quadratic in the history."""
    db = lh.write_project(tmp_path)
    lh.build_legacy_db(db)
    with Store.open(db) as store:
        store.db.execute("ANALYZE")
        plan = _plan(store, f"SELECT * FROM {view}")
    history_tables = ("citations", "citation_checks", "citations_latest")
    full_scans = [
        line
        for line in plan
        if line.startswith("SCAN ")
        and line.split()[1] in history_tables
        and "USING" not in line
        and "INDEX" not in line
    ]
    # At most one plain pass over each history table (the outer loop of the view).
    assert len(full_scans) <= len({line.split()[1] for line in full_scans}), plan
    assert not [line for line in plan if "CORRELATED" in line and "SCAN" in line], plan


def test_history_key_reads_only_that_work(tmp_path: Path) -> None:
    db = lh.write_project(tmp_path)
    lh.build_legacy_db(db)
    with Store.open(db) as store:
        sql = (
            "SELECT s.publication_key FROM citation_spans s JOIN citation_checks e"
            " ON e.source = s.source AND e.id BETWEEN s.first_check AND s.last_check"
            " WHERE s.publication_key = 'w3'"
        )
        plan = _plan(store, sql)
    assert any("idx_citations_pub_source" in line for line in plan), plan
    assert not any(line.startswith("SCAN c") and "INDEX" not in line for line in plan), plan


def test_the_history_file_round_trips_through_the_spans(tmp_path: Path) -> None:
    """export (changes only) -> import into an empty database -> export: the same file,
    and the same counts and change dates as the database it came from."""
    from pubtrack.sync import export_history, import_history

    db = lh.write_project(tmp_path)
    lh.build_legacy_db(db)
    first, second = tmp_path / "h1.csv", tmp_path / "h2.csv"
    with Store.open(db) as store:
        rows = export_history(store, first)
        compact = store.compact_history()
    assert rows == len(compact) < len(list(lh.observations())) / 3
    with Store.open(tmp_path / "fresh.db") as fresh:
        assert import_history(fresh, first) == rows
        export_history(fresh, second)
        assert fresh.compact_history() == compact
        assert fresh.citation_rows() == rows  # one span per change
        # no publications mirrored yet: no work of the bib to total
        assert list(fresh.db.query("SELECT * FROM daily_totals")) == []
    assert second.read_bytes() == first.read_bytes()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("w1,openalex,5,,2031-01-01T00:00:00Z", "in the future"),
        ("w1,openalex,5,,yesterday", "bad row"),
        ("w1,openalex,-3,,2026-01-01T00:00:00Z", "not a whole number"),
        ("w1,openalex,100000000000000000000,,2026-01-01T00:00:00Z", "not a whole number"),
        (",openalex,5,,2026-01-01T00:00:00Z", "bad row"),
    ],
)
def test_a_bad_history_row_is_refused_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    from pubtrack.errors import BadInputError
    from pubtrack.sync import import_history

    path = tmp_path / "h.csv"
    path.write_text(
        "publication_key,source,count,influential,retrieved_at\n"
        "w0,openalex,4,,2026-01-01T00:00:00Z\n" + row + "\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "p.db") as store:
        with pytest.raises(BadInputError, match=rf"h.csv:3: .*{message}"):
            import_history(store, path)
        assert store.citation_rows() == 0  # nothing imported


def test_an_imported_history_in_any_row_order_reads_in_time_order(tmp_path: Path) -> None:
    from pubtrack.sync import import_history

    path = tmp_path / "h.csv"
    path.write_text(
        "publication_key,source,count,influential,retrieved_at\n"
        "a,openalex,9,,2026-03-01T00:00:00Z\n"
        "a,openalex,4,,2026-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "p.db") as store:
        import_history(store, path)
        latest = store.latest_citations()["a"]["openalex"]
        assert (latest.count, latest.retrieved_at) == (9, "2026-03-01T00:00:00Z")


def test_a_sync_dated_in_the_future_does_not_pin_the_latest_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run under a bad clock (PUBTRACK_NOW years ahead) is followed by a normal run:
    its works are due again at once (not "fresh" until 2031) and its counts are the
    latest, although their dates are earlier."""
    from pubtrack.config import Config, DatabaseSettings, SyncSettings
    from pubtrack.models import Identifiers, Library, Work
    from pubtrack.sources.base import Source, SourceResult, WorkRef
    from pubtrack.sync import SyncOptions, run_sync

    class Counting(Source):
        name = "openalex"
        label = "Counting"
        batch_size = 10
        count = 10
        calls = 0

        def lookup_id(self, work: WorkRef) -> str | None:
            return work.ids.doi

        def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
            Counting.calls += 1
            return [SourceResult(w.key, "found", citation_count=Counting.count) for w in works]

    config = Config(
        root=tmp_path,
        database=DatabaseSettings("data/p.db"),
        sync=SyncSettings(sources=["openalex"], lock_timeout=1),
    )

    class Http:
        requests_sent: dict[str, int] = {}  # noqa: RUF012

        def close(self) -> None:
            pass

    library = Library(works=[Work("a", "article", "A", ids=Identifiers(doi="10.1234/a"))])

    def sync(now: str, count: int) -> None:
        monkeypatch.setenv("PUBTRACK_NOW", now)
        Counting.count = count
        report = run_sync(
            config,
            SyncOptions(history_file=""),
            library=library,
            source_classes={"openalex": Counting},
            http=Http(),
        )
        assert report.exit_code == 0, report.summary_lines()

    sync("2031-06-01T00:00:00Z", 10)
    sync("2026-11-02T03:00:00Z", 12)
    with Store.open(config.database_path) as store:
        latest = store.latest_citations()["a"]["openalex"]
        runs = store.sync_runs()
    assert (latest.count, latest.retrieved_at) == (12, "2026-11-02T03:00:00Z")
    assert Counting.calls == 2  # it was due again at once, not "fresh" until 2031
    assert [r["status"] for r in runs] == ["ok", "ok"]


def test_a_read_only_database_in_the_old_layout_reads_through_an_upgraded_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pubtrack may not write (so not migrate) the file: the reports still answer
    what the old code answered, and the file is not touched."""
    from pubtrack.errors import DatabaseError

    db = lh.write_project(tmp_path)
    lh.build_legacy_db(db)
    before = db.read_bytes()

    def refuse(*args: object, **kwargs: object) -> Store:
        raise DatabaseError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "open", refuse)
    found = lh.run_commands(tmp_path)
    for name in ("stats", "stats_json", "history_key", "changes_30d", "badge_citations"):
        assert found[name] == GOLDEN["commands"][name], name
    assert db.read_bytes() == before


def test_the_page_series_from_spans_equal_the_daily_change_points(tmp_path: Path) -> None:
    """render --standalone's sparklines (one query over the daily counts): the same
    daily change points as computed from every fetch, for the works in the bib (a
    work removed from the bib is not on the page)."""
    from conftest import daily_last
    from pubtrack.render.page import SPARK_POINTS, load_series

    db = lh.write_project(tmp_path)
    lh.build_legacy_db(db)
    with Store.open(db) as store:
        found = load_series(store)["papers"]
        in_bib = {p["key"] for p in store.publication_list()}
        history = store.citation_history()
        fetches: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for row in history:
            if row["publication_key"] not in in_bib:
                continue
            key = (row["publication_key"], row["source"])
            fetches.setdefault(key, []).append((row["retrieved_at"], row["count"]))
    expected: dict[str, dict[str, list[list[object]]]] = {}
    for (key, source), series in fetches.items():
        points: list[tuple[str, int]] = []
        for day, count in daily_last(series):
            if not points or points[-1][1] != count:
                points.append((day, count))
        expected.setdefault(key, {})[source] = [[d, c] for d, c in points[-SPARK_POINTS:]]
    assert found == expected
    assert any(row["publication_key"] == lh.REMOVED for row in history)
    assert lh.REMOVED not in in_bib and lh.REMOVED not in found
    assert any(len(v) > 3 for per in found.values() for v in per.values())
