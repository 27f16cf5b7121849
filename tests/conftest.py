"""Shared fixtures. Tests that read ../shared/ skip when it is absent."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPORA_BIB = SHARED / "corpora" / "bib"
CORPORA_API = SHARED / "corpora" / "api"


@contextmanager
def installed_plugin(
    where: Path, dist: str, entry_points: str, modules: dict[str, str] | None = None
) -> Iterator[None]:
    """A distribution on sys.path, as pip would leave it (``dist``-1.0.dist-info with
    ``entry_points``, plus ``modules``: name -> source), with the registries reloaded;
    all of it gone again afterwards."""
    from pubtrack.sources.registry import reload

    where.mkdir(parents=True, exist_ok=True)
    for name, source in (modules or {}).items():
        (where / f"{name}.py").write_text(source)
    info = where / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    sys.path.insert(0, str(where))
    try:
        reload()
        yield
    finally:
        sys.path.remove(str(where))
        for name in modules or {}:
            sys.modules.pop(name, None)
        reload()


class FakeTime:
    """A clock that moves only when someone sleeps: retry and rate-limit
    tests run without waiting (inject ``clock``/``sleep`` into HttpClient)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def corpora_bib() -> Path:
    if not CORPORA_BIB.is_dir():
        pytest.skip("../shared/corpora/bib is not available")
    return CORPORA_BIB


@pytest.fixture
def corpora_api() -> Path:
    if not CORPORA_API.is_dir():
        pytest.skip("../shared/corpora/api is not available")
    return CORPORA_API


@pytest.fixture
def example_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled example (pubtrack.toml + bib/) in a temp dir, as cwd."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "pubtrack.toml", root / "pubtrack.toml")
    shutil.copytree(REPO / "bib", root / "bib")
    (root / "data").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    return root


@pytest.fixture
def render_example():
    """The seed example as models (what the reader gives), for renderer tests."""
    from datetime import date

    from pubtrack.models import Author, Identifiers, Library, Link, Talk, Work

    works = [
        Work(
            "du2022ensemblemot",
            "misc",
            "EnsembleMOT: A Step towards Ensemble Learning of Multiple Object Tracking",
            authors=[
                Author("Yunhao", "", "Du"),
                Author("Zihang", "", "Liu"),
                Author("Fei", "", "Su"),
            ],
            year=2022,
            kind="preprint",
            ids=Identifiers(arxiv="2210.05278"),
            links=[
                Link("arXiv", "https://arxiv.org/abs/2210.05278"),
                Link("Code", "https://github.com/dyhBUPT/EnsembleMOT"),
            ],
        ),
        Work(
            "liu2024modelbalancing",
            "inproceedings",
            "Model Balancing Helps Low-data Training and Fine-tuning",
            authors=[
                Author(first, "", last)
                for first, last in [
                    ("Zihang", "Liu"),
                    ("Yuanzhe", "Hu"),
                    ("Tianyu", "Pang"),
                    ("Yefan", "Zhou"),
                    ("Pu", "Ren"),
                    ("Yaoqing", "Yang"),
                ]
            ],
            year=2024,
            month=11,
            venue="EMNLP",
            award="Oral",
            kind="conference",
            ids=Identifiers(arxiv="2410.12178", doi="10.18653/v1/2024.emnlp-main.78"),
            links=[
                Link("arXiv", "https://arxiv.org/abs/2410.12178"),
                Link("DOI", "https://doi.org/10.18653/v1/2024.emnlp-main.78"),
                Link("Code", "https://github.com/ZihangHLiu/ModelBalancing"),
            ],
            selected=True,
            fields={"abbr": "EMNLP"},
        ),
    ]
    talk = Talk(
        "liu2024emnlp_talk",
        "Model Balancing Helps Low-data Training and Fine-tuning",
        event="EMNLP 2024",
        date=date(2024, 11, 12),
        talk_type="Oral presentation",
        publication="liu2024modelbalancing",
    )
    return Library(works=works, talks=[talk])


# -- stats (issue 4): a database holding several simulated days of syncs ------

STATS_NOW = "2026-11-28T12:00:00Z"
# (retrieved_at, {source: {key: count}}); p4 is removed from the bib later.
STATS_DAYS = [
    (
        "2025-12-20T03:00:00Z",
        {"semantic_scholar": {"p1": 8, "p2": 2, "p4": 100}, "openalex": {"p1": 6}},
    ),
    (
        "2026-01-10T03:00:00Z",
        {
            "semantic_scholar": {"p1": 10, "p2": 3, "p3": 0, "p4": 100},
            "openalex": {"p1": 7, "p2": 1},
            "crossref": {"p1": 5},
        },
    ),
    (
        "2026-11-01T03:00:00Z",
        {
            "semantic_scholar": {"p1": 20, "p2": 9, "p3": 4},
            "openalex": {"p1": 12, "p2": 4},
            "crossref": {"p1": 9},
        },
    ),
    (
        "2026-11-21T03:00:00Z",
        {
            "semantic_scholar": {"p1": 22, "p2": 10, "p3": 4},
            "openalex": {"p1": 13, "p2": 4},
            "crossref": {"p1": 9},
        },
    ),
    (
        "2026-11-27T03:00:00Z",
        {
            "semantic_scholar": {"p1": 25, "p2": 12, "p3": 5},
            "openalex": {"p1": 14, "p2": 4},
            "crossref": {"p1": 9},
            "google_scholar": {"p1": 40, "p2": 15},
        },
    ),
]


# The bib of the stats project: p1..p3 (p4 was removed before the last sync).
STATS_BIB = "".join(
    f"@article{{{key},\n  author = {{Test Owner}},\n  title = {{{title}}},\n"
    f"  year = {{{year}}},\n}}\n\n"
    for key, title, year in (
        ("p1", "Alpha: Learning Things", 2022),
        ("p2", "Beta Networks", 2023),
        ("p3", "Gamma Rays", 2024),
    )
)


def fill_stats_db(path: Path) -> None:
    """Three works in the bib (p1..p3), one removed (p4), five days of counts,
    OpenAlex counts_by_year for p1 and a Google Scholar profile."""
    from pubtrack.db import Store
    from pubtrack.models import CitationCount, Library, Work

    titles = {"p1": "Alpha: Learning Things", "p2": "Beta Networks", "p3": "Gamma Rays"}
    works = [Work(k, "article", t, year=2022 + i) for i, (k, t) in enumerate(titles.items())]
    with Store.open(path) as store:
        store.sync_library(Library(works=[*works, Work("p4", "article", "Delta (removed)")]))
        for day, per_source in STATS_DAYS:
            store.record_citations(
                CitationCount(
                    key, src, n, day, influential=n // 5 if src == "semantic_scholar" else None
                )
                for src, counts in per_source.items()
                for key, n in counts.items()
            )
        store.sync_library(Library(works=works))
        store.save_counts_by_year(
            "p1", "openalex", {2024: 2, 2025: 5, 2026: 7}, "2026-11-27T03:00:00Z"
        )
        store.record_profile_metrics(
            "google_scholar",
            "ABCDEFGAAAAJ",
            retrieved_at="2026-11-27T03:00:00Z",
            name="Test Owner",
            total_citations=60,
            h_index=3,
            i10_index=2,
            cites_per_year={2024: 10, 2025: 20, 2026: 30},
        )


@pytest.fixture
def stats_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir (cwd) whose data/pubtrack.db went through STATS_DAYS; now = STATS_NOW."""
    root = tmp_path / "statsproject"
    (root / "data").mkdir(parents=True)
    (root / "pubtrack.toml").write_text('[owner]\nname = "Test Owner"\n', encoding="utf-8")
    (root / "bib").mkdir()
    (root / "bib" / "publications.bib").write_text(STATS_BIB, encoding="utf-8")
    fill_stats_db(root / "data" / "pubtrack.db")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    monkeypatch.setenv("PUBTRACK_NOW", STATS_NOW)
    return root


def reference_indices(counts) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    """(total, h, g, i10) computed the plain way: the oracle the tests check the
    database's source_totals view (pubtrack's one implementation) against."""
    ranked = sorted((int(c) for c in counts), reverse=True)
    h = sum(1 for rank, c in enumerate(ranked, start=1) if c >= rank)
    g = 0
    for rank in range(1, len(ranked) + 1):
        if sum(ranked[:rank]) >= rank * rank:
            g = rank
    return sum(ranked), h, g, sum(1 for c in ranked if c >= 10)


def yearly_increase(series) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Citations gained in each calendar year, from the recorded history.

    For every year with a record: the last count of that year minus the last
    count of the previous recorded year (or, for the first year tracked, minus
    the first count of that year: what happened before tracking began is not
    known). Net changes: a source that merges duplicates can lower a count.
    The plain oracle the tests check the ``paper_citations_per_year`` view against.
    """
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for retrieved_at, count in series:
        year = int(retrieved_at[:4])
        first.setdefault(year, count)
        last[year] = count
    out: dict[int, int] = {}
    previous: int | None = None
    for year in sorted(last):
        base = previous if previous is not None else first[year]
        out[year] = last[year] - base
        previous = last[year]
    return out


def add_years(total, more) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Sum per-year dicts in place (and return the result)."""
    for year, count in more.items():
        total[int(year)] = total.get(int(year), 0) + int(count)
    return total


def daily_last(series) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """The last count of each day, ``[("2026-11-20", 12), ...]``: the plain oracle the
    tests check the ``daily_citations`` view against."""
    days: dict[str, int] = {}
    for retrieved_at, count in series:
        days[retrieved_at[:10]] = count
    return sorted(days.items())


def reference_daily_totals(all_series, days=None) -> list[tuple[str, int, int]]:  # type: ignore[no-untyped-def]
    """``(day, works, total)`` for each of ``days`` (default: every day any of the
    series was recorded) from the first with a count on, each work counted with its
    latest count on or before that day (carried forward): the plain oracle the tests
    check the ``daily_totals`` view and its query against."""
    events: dict[str, list[tuple[int, int]]] = {}
    for index, series in enumerate(all_series):
        for day, count in daily_last(series):
            events.setdefault(day, []).append((index, count))
    current: dict[int, int] = {}
    out: list[tuple[str, int, int]] = []
    for day in sorted(set(events) | set(days or ())):
        for index, count in events.get(day, []):
            current[index] = count
        if current and (days is None or day in days):
            out.append((day, len(current), sum(current.values())))
    return out


def damage_last_page_of(path: Path, table: str) -> int:
    """Overwrite the page holding ``table``'s last rows (the rightmost leaf of its
    b-tree, found by following the interior pages' right-most pointers, as the SQLite
    file format lays them out) with garbage, as a failing disk would: the first rows
    still read, reaching the last ones fails. Returns the page number."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
        ).fetchone()
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    page = root
    while True:
        header = (page - 1) * size + (100 if page == 1 else 0)
        kind = data[header]
        if kind == 0x0D:  # a table leaf
            break
        assert kind == 0x05, f"page {page} of {table} is not a table b-tree page"
        page = int.from_bytes(data[header + 8 : header + 12], "big")  # right-most child
    assert page != root, f"{table} fits on one page: nothing before its last rows"
    data[(page - 1) * size : page * size] = b"\xa5" * size
    path.write_bytes(data)
    return page


def history_with_a_damaged_tail(path: Path) -> list[str]:
    """A database whose works a..j have a month of counts each and work z, synced
    last, a long history; then the last page of ``citations`` and of
    ``citation_checks`` (z's newest rows) is damaged. Returns the undamaged keys."""
    from datetime import UTC, datetime, timedelta

    from pubtrack.db import Store
    from pubtrack.models import CitationCount, Library, Work

    keys = list("abcdefghij")
    start = datetime(2025, 1, 1, 3, tzinfo=UTC)
    with Store.open(path) as store, store.transaction():
        store.sync_library(Library(works=[Work(k, "article", k) for k in [*keys, "z"]]))
        for day in range(30):
            ts = (start + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
            store.record_citations(CitationCount(k, "openalex", day, ts) for k in keys)
        for day in range(30, 800):
            ts = (start + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
            store.record_citations([CitationCount("z", "openalex", day, ts)])
    damage_last_page_of(path, "citations")
    damage_last_page_of(path, "citation_checks")
    return keys
