"""The sync run against in-test fake sources (no HTTP, no bib files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pubtrack.config import Config, DatabaseSettings, SyncSettings
from pubtrack.db import Store
from pubtrack.errors import EXIT_OK, EXIT_PARTIAL, BadInputError, SourceError
from pubtrack.identity import find_duplicate_works
from pubtrack.models import Identifiers, Library, Work
from pubtrack.sources.base import Source, SourceResult, WorkRef
from pubtrack.sync import SyncOptions, run_sync, select_sources


class FakeHttp:
    """Counts requests per source, like HttpClient.requests_sent."""

    def __init__(self) -> None:
        self.requests_sent: dict[str, int] = {}

    def close(self) -> None:
        pass


class FakeSource(Source):
    """A citation source answering from a class-level table; batches can be made to fail."""

    name = "semantic_scholar"
    label = "Fake S2"
    batch_size = 2
    # id used for lookup -> (count, external ids)
    table: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {}
    fail_calls: ClassVar[set[int]] = set()  # 1-based numbers of fetch_batch calls that fail
    calls: ClassVar[list[list[str]]] = []
    skip: ClassVar[str | None] = None

    def skip_reason(self) -> str | None:
        return self.skip

    def lookup_id(self, work: WorkRef) -> str | None:
        if work.ids.doi:
            return f"DOI:{work.ids.doi}"
        if work.ids.arxiv:
            return f"ARXIV:{work.ids.arxiv}"
        return None

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        type(self).calls.append([w.key for w in works])
        self.http.requests_sent[self.name] = self.http.requests_sent.get(self.name, 0) + 1
        if len(type(self).calls) in self.fail_calls:
            raise SourceError(f"{self.name}: HTTP 503 after 4 attempts", source=self.name)
        out = []
        for w in works:
            hit = self.table.get(self.lookup_id(w) or "")
            if hit is None:
                out.append(SourceResult(w.key, "not_found"))
            else:
                count, ext = hit
                out.append(
                    SourceResult(
                        w.key,
                        "found",
                        external_id=f"s2-{w.key}",
                        citation_count=count,
                        external_ids=dict(ext),
                        counts_by_year={2025: count},
                    )
                )
        return out

    def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
        self.http.requests_sent[self.name] = self.http.requests_sent.get(self.name, 0) + len(works)
        return [SourceResult(w.key, "unresolved") for w in works]


class FakeArxiv(FakeSource):
    """Teaches DOIs of published versions; gives no citation counts."""

    name = "arxiv"
    batch_size = 100
    provides_citations = False
    table: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {}
    calls: ClassVar[list[list[str]]] = []
    fail_calls: ClassVar[set[int]] = set()

    def lookup_id(self, work: WorkRef) -> str | None:
        return f"ARXIV:{work.ids.arxiv}" if work.ids.arxiv else None

    def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
        return []


class FakeCrossref(FakeSource):
    name = "crossref"
    batch_size = 1
    table: ClassVar[dict[str, tuple[int, dict[str, str]]]] = {}
    calls: ClassVar[list[list[str]]] = []
    fail_calls: ClassVar[set[int]] = set()

    def lookup_id(self, work: WorkRef) -> str | None:
        return f"DOI:{work.ids.doi}" if work.ids.doi else None

    def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
        return []


@pytest.fixture(autouse=True)
def _reset() -> None:
    for cls in (FakeSource, FakeArxiv, FakeCrossref):
        cls.table = {}
        cls.calls = []
        cls.fail_calls = set()
        cls.skip = None


def _work(key: str, *, arxiv: str | None = None, doi: str | None = None) -> Work:
    return Work(key, "article", f"Title of {key}", year=2024, ids=Identifiers(arxiv=arxiv, doi=doi))


def _config(tmp_path: Path, sources: list[str]) -> Config:
    return Config(
        root=tmp_path,
        database=DatabaseSettings("data/p.db"),
        sync=SyncSettings(sources=sources, lock_timeout=1),
    )


def _sync(config: Config, library: Library, http: FakeHttp | None = None, **opts: Any):
    classes = {"semantic_scholar": FakeSource, "arxiv": FakeArxiv, "crossref": FakeCrossref}
    return run_sync(
        config,
        SyncOptions(**opts),
        library=library,
        source_classes=classes,
        http=http or FakeHttp(),
    )


def _latest(config: Config) -> dict[str, int]:
    with Store.open(config.database_path) as store:
        return {k: v["semantic_scholar"].count for k, v in store.latest_citations().items()}


def test_batches_store_counts_and_history(tmp_path: Path) -> None:
    works = [_work(f"w{i}", arxiv=f"2401.0000{i}") for i in range(5)]
    FakeSource.table = {f"ARXIV:2401.0000{i}": (10 * i, {}) for i in range(5)}
    config = _config(tmp_path, ["semantic_scholar"])
    http = FakeHttp()
    report = _sync(config, Library(works=works), http)
    assert report.exit_code == EXIT_OK
    assert [len(c) for c in FakeSource.calls] == [2, 2, 1]  # batch_size 2
    assert report.requests == {"semantic_scholar": 3}
    assert _latest(config) == {f"w{i}": 10 * i for i in range(5)}
    with Store.open(config.database_path) as store:
        run = store.sync_runs()[0]
        assert run["status"] == "ok" and json.loads(run["requests"]) == {"semantic_scholar": 3}
        assert run["updated"] == 5 and run["finished_at"]
        rows = list(store.db.query("select * from counts_by_year where publication_key='w3'"))
        assert rows[0]["count"] == 30
        assert store.citation_history("w1")[0]["count"] == 10


def test_freshness_follows_the_simulated_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    works = [_work("a", doi="10.1001/a")]
    FakeSource.table = {"DOI:10.1001/a": (1, {})}
    config = _config(tmp_path, ["semantic_scholar"])
    monkeypatch.setenv("PUBTRACK_NOW", "2026-11-01T03:00:00Z")
    _sync(config, Library(works=works), max_age=20 * 3600)
    monkeypatch.setenv("PUBTRACK_NOW", "2026-11-01T13:00:00Z")  # 10 h later: fresh
    _sync(config, Library(works=works), max_age=20 * 3600)
    assert len(FakeSource.calls) == 1
    monkeypatch.setenv("PUBTRACK_NOW", "2026-11-02T03:00:00Z")  # a day later: due
    _sync(config, Library(works=works), max_age=20 * 3600)
    assert len(FakeSource.calls) == 2


def test_fresh_works_are_skipped_and_all_refetches(tmp_path: Path) -> None:
    works = [_work("a", doi="10.1001/a"), _work("b", doi="10.1001/b")]
    FakeSource.table = {"DOI:10.1001/a": (1, {}), "DOI:10.1001/b": (2, {})}
    config = _config(tmp_path, ["semantic_scholar"])
    _sync(config, Library(works=works))
    assert len(FakeSource.calls) == 1
    report = _sync(config, Library(works=works))  # right after: nothing is due
    assert len(FakeSource.calls) == 1
    assert report.requests == {"semantic_scholar": 0} and report.exit_code == EXIT_OK
    _sync(config, Library(works=works), max_age=0)  # everything is older than 0 s
    assert len(FakeSource.calls) == 2
    _sync(config, Library(works=works), all=True)
    assert len(FakeSource.calls) == 3
    with Store.open(config.database_path) as store:
        assert len(store.citation_history("a")) == 3  # one row per fetch


def test_a_new_id_in_the_bib_makes_the_work_due(tmp_path: Path) -> None:
    FakeSource.table = {"DOI:10.1001/a": (1, {}), "ARXIV:2401.00001": (5, {})}
    config = _config(tmp_path, ["semantic_scholar"])
    _sync(config, Library(works=[_work("a", arxiv="2401.00001")]))
    _sync(config, Library(works=[_work("a", arxiv="2401.00001", doi="10.1001/a")]))
    assert FakeSource.calls == [["a"], ["a"]]
    assert _latest(config) == {"a": 1}


def test_failed_batch_keeps_earlier_values_and_other_batches_go_on(tmp_path: Path) -> None:
    works = [_work(f"w{i}", doi=f"10.1001/{i}") for i in range(6)]
    FakeSource.table = {f"DOI:10.1001/{i}": (5, {}) for i in range(6)}
    config = _config(tmp_path, ["semantic_scholar"])
    _sync(config, Library(works=works))
    FakeSource.table = {f"DOI:10.1001/{i}": (7, {}) for i in range(6)}
    FakeSource.fail_calls = {5}  # 2nd batch of the second run (calls 4, 5, 6)
    report = _sync(config, Library(works=works), all=True)
    assert report.exit_code == EXIT_PARTIAL
    assert report.sources[0].status == "partial"
    assert report.sources[0].failed == ["w2", "w3"]
    assert _latest(config) == {"w0": 7, "w1": 7, "w2": 5, "w3": 5, "w4": 7, "w5": 7}
    with Store.open(config.database_path) as store:
        recs = store.source_records("semantic_scholar")
        assert "503" in recs["w2"]["last_error"] and recs["w2"]["fetched_at"]
        assert recs["w2"]["external_id"] == "s2-w2"  # metadata kept
        assert recs["w0"]["last_error"] is None
        assert json.loads(store.sync_runs()[0]["errors"])["semantic_scholar"]
        assert store.sync_runs()[0]["status"] == "partial"
    # The failed works are due again next time; the others are fresh.
    FakeSource.fail_calls = set()
    FakeSource.calls = []
    _sync(config, Library(works=works))
    assert FakeSource.calls == [["w2", "w3"]]


def test_failure_is_never_stored_as_zero(tmp_path: Path) -> None:
    works = [_work("a", doi="10.1001/a")]
    FakeSource.table = {"DOI:10.1001/a": (42, {})}
    config = _config(tmp_path, ["semantic_scholar"])
    _sync(config, Library(works=works))
    FakeSource.fail_calls = {2}
    report = _sync(config, Library(works=works), all=True)
    assert report.sources[0].status == "failed" and report.exit_code == EXIT_PARTIAL
    FakeSource.table = {}  # the source no longer knows the id: not found, not 0
    report = _sync(config, Library(works=works), all=True)
    assert report.exit_code == EXIT_OK
    with Store.open(config.database_path) as store:
        assert [r["count"] for r in store.citation_history("a")] == [42]
        assert store.latest_citations()["a"]["semantic_scholar"].count == 42


def test_a_source_that_is_down_stops_after_two_failed_batches(tmp_path: Path) -> None:
    works = [_work(f"w{i}", doi=f"10.1001/{i}") for i in range(10)]
    FakeSource.fail_calls = set(range(1, 100))
    config = _config(tmp_path, ["semantic_scholar", "crossref"])
    FakeCrossref.table = {f"DOI:10.1001/{i}": (3, {}) for i in range(10)}
    report = _sync(config, Library(works=works))
    s2 = report.sources[0]
    assert s2.name == "semantic_scholar" and s2.status == "failed"
    assert len(FakeSource.calls) == 2 and len(s2.failed) == 10
    assert report.sources[1].status == "ok" and report.exit_code == EXIT_PARTIAL
    assert report.status == "partial"
    with Store.open(config.database_path) as store:
        latest = store.latest_citations()
        assert {k: set(v) for k, v in latest.items()} == {f"w{i}": {"crossref"} for i in range(10)}


def test_each_source_commits_in_its_own_transaction(tmp_path: Path) -> None:
    """A crash in the second source leaves the first source's results committed."""
    works = [_work("a", arxiv="2401.00001", doi="10.1001/a")]
    FakeSource.table = {"DOI:10.1001/a": (4, {})}

    class Boom(FakeCrossref):
        def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
            raise KeyboardInterrupt

    config = _config(tmp_path, ["semantic_scholar", "crossref"])
    with pytest.raises(KeyboardInterrupt):
        run_sync(
            config,
            SyncOptions(),
            library=Library(works=works),
            source_classes={"semantic_scholar": FakeSource, "crossref": Boom},
            http=FakeHttp(),
        )
    assert _latest(config) == {"a": 4}
    with Store.open(config.database_path) as store:
        assert store.sync_runs()[0]["status"] == "interrupted"
        assert store.source_records("crossref") == {}


def test_learned_ids_flow_to_later_sources_and_later_runs(tmp_path: Path) -> None:
    # The bib only has the arXiv id; arXiv reports the journal DOI; Crossref uses it.
    works = [_work("pre", arxiv="2401.00001")]
    FakeArxiv.table = {"ARXIV:2401.00001": (0, {"doi": "10.1000/Journal.1"})}
    FakeCrossref.table = {"DOI:10.1000/journal.1": (9, {})}
    config = _config(tmp_path, ["crossref", "arxiv"])  # order in config does not matter
    report = _sync(config, Library(works=works))
    assert [s.name for s in report.sources] == ["arxiv", "crossref"]
    assert FakeCrossref.calls == [["pre"]]
    with Store.open(config.database_path) as store:
        assert store.latest_citations()["pre"]["crossref"].count == 9
        assert "arxiv" not in store.latest_citations()["pre"]  # arXiv gives no counts
    # Next run, only Crossref, forced: the learned DOI comes from the database.
    FakeCrossref.calls = []
    _sync(config, Library(works=works), sources=["crossref"], all=True)
    assert FakeCrossref.calls == [["pre"]]


def test_duplicates_are_reported_not_merged(tmp_path: Path) -> None:
    works = [
        _work("preprint", arxiv="2401.00001"),
        _work("journal", doi="10.1000/j.1"),
        _work("same_doi_a", doi="10.2002/x"),
        _work("same_doi_b", doi="10.2002/X"),
        _work("other", doi="10.3003/y"),
    ]
    FakeArxiv.table = {"ARXIV:2401.00001": (0, {"doi": "10.1000/j.1"})}
    config = _config(tmp_path, ["arxiv"])
    report = _sync(config, Library(works=works))
    pairs = {(a, b) for a, b, _ in report.duplicates}
    assert pairs == {("journal", "preprint"), ("same_doi_a", "same_doi_b")}
    text = "\n".join(report.summary_lines())
    assert "journal and preprint" in text and "not merged" in text
    with Store.open(config.database_path) as store:
        keys = [r["key"] for r in store.db.query("select key from publications order by key")]
        assert keys == sorted(w.key for w in works)


def test_find_duplicate_works_links_arxiv_doi_to_arxiv_id() -> None:
    works = [_work("a", arxiv="2401.00001"), _work("b", doi="10.48550/arXiv.2401.00001")]
    assert [(a, b) for a, b, _ in find_duplicate_works(works)] == [("a", "b")]
    # One entry holding both ids of one work is one work: nothing to report.
    assert find_duplicate_works([_work("c", arxiv="2401.00002", doi="10.1001/c")]) == []


def test_unresolved_works_and_skipped_sources(tmp_path: Path) -> None:
    works = [_work("noid"), _work("a", doi="10.1001/a")]
    FakeSource.table = {"DOI:10.1001/a": (3, {})}
    FakeCrossref.skip = "no contact address"
    config = _config(tmp_path, ["semantic_scholar", "crossref"])
    events: list[Any] = []
    report = run_sync(
        config,
        SyncOptions(),
        library=Library(works=works),
        source_classes={"semantic_scholar": FakeSource, "crossref": FakeCrossref},
        http=FakeHttp(),
        progress=events.append,
    )
    assert report.unresolved == ["noid"]
    assert report.exit_code == EXIT_OK
    assert report.sources[1].skipped == "no contact address"
    start = [e.message for e in events if e.kind == "start"]
    assert start == ["Syncing 2 works from semantic_scholar (crossref skipped: no contact address)"]
    assert FakeCrossref.calls == []
    assert [e.done for e in events if e.kind == "batch"] == [1, 2]


def test_summary_shows_changes_between_runs(tmp_path: Path) -> None:
    works = [_work("a", doi="10.1001/a"), _work("b", doi="10.1001/b")]
    FakeSource.table = {"DOI:10.1001/a": (10, {}), "DOI:10.1001/b": (4, {})}
    config = _config(tmp_path, ["semantic_scholar"])
    first = _sync(config, Library(works=works))
    assert "Title of a now 10 (first count)" in "\n".join(first.summary_lines())
    FakeSource.table = {"DOI:10.1001/a": (12, {}), "DOI:10.1001/b": (4, {})}
    second = _sync(config, Library(works=works), all=True)
    line = next(x for x in second.summary_lines() if x.startswith("Citations:"))
    assert "Title of a +2 (now 12)" in line and "1 no change" in line


def test_dry_run_sends_and_writes_nothing(tmp_path: Path) -> None:
    works = [_work(f"w{i}", doi=f"10.1001/{i}") for i in range(5)] + [_work("noid")]
    config = _config(tmp_path, ["semantic_scholar"])
    report = _sync(config, Library(works=works), dry_run=True)
    assert FakeSource.calls == []
    assert not config.database_path.exists()
    s2 = report.sources[0]
    assert s2.due == 6 and s2.planned_requests == 3 + 1  # 3 batches + 1 title match
    assert report.summary_lines()[0].startswith("Dry run")


def test_unknown_source_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="unknown source 'bogus'.*semantic_scholar"):
        select_sources(_config(tmp_path, []), ["bogus"], {})
    assert select_sources(
        _config(tmp_path, ["crossref", "semantic_scholar", "arxiv"]), None, {}
    ) == [
        "arxiv",
        "semantic_scholar",
        "crossref",
    ]


def test_api_keys_are_scrubbed_from_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S2_API_KEY", "sekrit-key-123")

    class Leaky(FakeSource):
        def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
            raise SourceError("failed: GET /x?api_key=sekrit-key-123", source=self.name)

    config = _config(tmp_path, ["semantic_scholar"])
    report = run_sync(
        config,
        SyncOptions(),
        library=Library(works=[_work("a", doi="10.1001/a")]),
        source_classes={"semantic_scholar": Leaky},
        http=FakeHttp(),
    )
    assert "sekrit" not in "\n".join(report.summary_lines())
    dump = "\n".join(Store.open(config.database_path).db.iterdump())
    assert "sekrit" not in dump


def test_history_file_rebuilds_an_empty_database(tmp_path: Path) -> None:
    works = [_work("a", doi="10.1001/a"), _work("b", doi="10.1001/b")]
    config = _config(tmp_path, ["semantic_scholar"])
    history = tmp_path / "data" / "citations.csv"
    FakeSource.table = {"DOI:10.1001/a": (1, {}), "DOI:10.1001/b": (2, {})}
    _sync(config, Library(works=works), history_file=str(history))
    FakeSource.table = {"DOI:10.1001/a": (3, {}), "DOI:10.1001/b": (2, {})}
    _sync(config, Library(works=works), history_file=str(history), all=True)
    lines = history.read_text().splitlines()
    assert lines[0] == "publication_key,source,count,influential,retrieved_at"
    # b's unchanged second count is not in the file; a's change is.
    assert [ln.split(",")[:3] for ln in lines[1:]] == [
        ["a", "semantic_scholar", "1"],
        ["a", "semantic_scholar", "3"],
        ["b", "semantic_scholar", "2"],
    ]
    before = history.stat().st_mtime_ns
    _sync(config, Library(works=works), history_file=str(history), all=True)
    assert history.stat().st_mtime_ns == before  # nothing moved: file untouched
    # A CI runner starts empty: the database is rebuilt from the file, then synced.
    config.database_path.unlink()
    FakeSource.table = {"DOI:10.1001/a": (5, {}), "DOI:10.1001/b": (2, {})}
    report = _sync(config, Library(works=works), history_file=str(history))
    assert "Title of a +2 (now 5)" in "\n".join(report.summary_lines())
    with Store.open(config.database_path) as store:
        assert [r["count"] for r in store.citation_history("a")] == [1, 3, 5]


def test_a_bad_history_file_is_refused_with_its_line(tmp_path: Path) -> None:
    history = tmp_path / "citations.csv"
    history.write_text("publication_key,source,count,influential,retrieved_at\na,s2,x,,2026\n")
    config = _config(tmp_path, ["semantic_scholar"])
    with pytest.raises(BadInputError, match=r"citations.csv:2: bad row"):
        _sync(config, Library(works=[]), history_file=str(history))


def test_profile_figures_of_a_profile_source_are_stored(tmp_path: Path) -> None:
    from types import SimpleNamespace

    class Profile(FakeSource):
        name = "google_scholar"

        def profile_figures(self) -> SimpleNamespace:
            return SimpleNamespace(
                profile_id="abcDEF",
                name="Zihang Liu",
                total_citations=120,
                h_index=5,
                i10_index=3,
                cites_per_year={2025: 80, 2026: 40},
            )

    FakeSource.table = {"DOI:10.1001/a": (7, {})}
    config = _config(tmp_path, ["google_scholar"])
    run_sync(
        config,
        SyncOptions(),
        library=Library(works=[_work("a", doi="10.1001/a")]),
        source_classes={"google_scholar": Profile},
        http=FakeHttp(),
    )
    with Store.open(config.database_path) as store:
        rows = list(store.db.query("select * from profile_metrics"))
        assert [(r["profile_id"], r["h_index"], r["total_citations"]) for r in rows] == [
            ("abcDEF", 5, 120)
        ]
        assert store.latest_citations()["a"]["google_scholar"].count == 7


def test_ids_learned_late_are_fetched_in_the_same_run(tmp_path: Path) -> None:
    """S2 runs after arXiv and teaches an arXiv id: arXiv catches up in the same run,
    so the next sync has nothing to do."""

    class Matching(FakeSource):
        def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
            return [
                SourceResult(w.key, "found", citation_count=2, external_ids={"arxiv": "2401.00009"})
                for w in works
            ]

    FakeArxiv.table = {"ARXIV:2401.00009": (0, {})}
    config = _config(tmp_path, ["arxiv", "semantic_scholar"])
    classes = {"arxiv": FakeArxiv, "semantic_scholar": Matching}
    library = Library(works=[_work("noid")])
    report = run_sync(
        config, SyncOptions(), library=library, source_classes=classes, http=FakeHttp()
    )
    assert FakeArxiv.calls == [["noid"]]
    assert report.sources[0].found == 1
    again = run_sync(
        config, SyncOptions(), library=library, source_classes=classes, http=FakeHttp()
    )
    assert FakeArxiv.calls == [["noid"]]
    assert again.summary_lines()[0].startswith("Nothing to fetch")


def test_duplicate_problems_for_check_use_ids_learned_by_sync(tmp_path: Path) -> None:
    from pubtrack.checks import duplicate_problems
    from pubtrack.models import Location

    pre = _work("preprint", arxiv="2401.00001")
    pre.location = Location("bib/a.bib", 3)
    pub = _work("published", doi="10.1000/j.1")
    pub.location = Location("bib/b.bib", 10)
    library = Library(works=[pre, pub])
    config = _config(tmp_path, ["arxiv"])
    assert duplicate_problems(config, library) == []  # no database yet, ids differ
    FakeArxiv.table = {"ARXIV:2401.00001": (0, {"doi": "10.1000/j.1"})}
    _sync(config, library)
    [problem] = duplicate_problems(config, library)
    assert problem.severity == "warning"
    assert str(problem).startswith("bib/b.bib:10: published and preprint (bib/a.bib:3)")
    assert "DOI 10.1000/j.1" in problem.message


def test_a_buggy_plugin_source_fails_its_batch_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Buggy(FakeCrossref):
        def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
            type(self).calls.append([w.key for w in works])
            raise KeyError("citationCount")

    monkeypatch.delenv("PUBTRACK_DEBUG", raising=False)
    works = [_work("a", doi="10.1001/a"), _work("b", doi="10.1001/b")]
    FakeSource.table = {"DOI:10.1001/a": (4, {}), "DOI:10.1001/b": (6, {})}
    config = _config(tmp_path, ["semantic_scholar", "crossref"])
    events = []
    report = run_sync(
        config,
        SyncOptions(),
        progress=events.append,
        library=Library(works=works),
        source_classes={"semantic_scholar": FakeSource, "crossref": Buggy},
        http=FakeHttp(),
    )
    assert report.exit_code == 3
    assert _latest(config) == {"a": 4, "b": 6}  # the other source is stored
    bars = [e for e in events if e.kind == "batch" and e.source == "crossref"]
    assert [e.done for e in bars] == [1, 2]  # the progress bar still moves
    assert "crossref failed: KeyError" in bars[-1].message


def test_summary_reports_a_new_h_index(tmp_path: Path) -> None:
    works = [_work(f"w{i}", doi=f"10.1001/{i}") for i in range(3)]
    config = _config(tmp_path, ["semantic_scholar"])
    FakeSource.table = {
        "DOI:10.1001/0": (5, {}),
        "DOI:10.1001/1": (1, {}),
        "DOI:10.1001/2": (0, {}),
    }
    first = _sync(config, Library(works=works))
    assert first.h_index_changes == {"semantic_scholar": (None, 1)}
    assert "h-index: Semantic Scholar – → 1" in first.summary_lines()
    # w1 reaches 2 citations: two papers with >= 2 citations, h = 2.
    FakeSource.table["DOI:10.1001/1"] = (2, {})
    second = _sync(config, Library(works=works), all=True)
    assert second.h_index_changes == {"semantic_scholar": (1, 2)}
    assert "h-index: Semantic Scholar 1 → 2" in second.summary_lines()
    third = _sync(config, Library(works=works), all=True)  # nothing moved
    assert third.h_index_changes == {}
    assert not any(line.startswith("h-index") for line in third.summary_lines())


def test_dry_run_and_real_run_share_one_plan(tmp_path: Path) -> None:
    """SyncRun.plan is what --dry-run prints and what the real run then fetches."""
    works = [_work(f"w{i}", arxiv=f"2401.0000{i}") for i in range(4)] + [_work("noid")]
    FakeSource.table = {f"ARXIV:2401.0000{i}": (i, {}) for i in range(4)}
    config = _config(tmp_path, ["semantic_scholar"])
    library = Library(works=works)
    assert _sync(config, library).exit_code == EXIT_OK
    # A second day: two works are stale.
    with Store.open(config.database_path) as store:
        store.db.execute(
            "UPDATE source_records SET fetched_at = '2000-01-01T00:00:00Z' "
            "WHERE publication_key IN ('w0', 'w1')"
        )
    dry = _sync(config, library, dry_run=True)
    [planned] = dry.sources
    FakeSource.calls = []
    real = _sync(config, library)
    [fetched] = real.sources
    asked = sorted(k for call in FakeSource.calls for k in call)
    assert sorted(planned.due_keys) == sorted(fetched.due_keys)
    assert asked == sorted(k for k in planned.due_keys if k != "noid") == ["w0", "w1"]
    assert planned.planned_requests == fetched.planned_requests
