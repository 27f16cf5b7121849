"""Google Scholar through the real scholarly package, with its network calls replaced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pubtrack.config import Config, Owner, ScholarSettings, SyncSettings
from pubtrack.db import Store
from pubtrack.errors import EXIT_PARTIAL, SourceError
from pubtrack.models import Author, CitationCount, Identifiers, Library, Work
from pubtrack.sources import google_scholar as gs
from pubtrack.sources.base import WorkRef
from pubtrack.stats import build_stats
from pubtrack.sync import SyncOptions, run_sync

if gs.load_scholarly() is None:  # pragma: no cover - the test extra installs scholarly
    pytest.skip("scholarly is not installed", allow_module_level=True)

PROFILE_ID = "AbCdEfGAAAAJ"


def _pub(title: str, year: int | None, cites: int | None, pub_id: str) -> dict[str, Any]:
    bib: dict[str, Any] = {"title": title, "citation": "Some Venue"}
    if year is not None:
        bib["pub_year"] = str(year)
    pub: dict[str, Any] = {"container_type": "Publication", "bib": bib, "author_pub_id": pub_id}
    if cites is not None:
        pub["num_citations"] = cites
    return pub


PROFILE_PUBS = [
    _pub("Model balancing helps low-data training and fine-tuning", 2024, 12, "x:1"),
    _pub(
        "EnsembleMOT: a step towards ensemble learning of multiple object tracking", 2022, 0, "x:2"
    ),
    _pub("Deep learning for things", 2023, 40, "x:3"),
    _pub("Unrelated survey of everything", 2021, 7, "x:4"),
    _pub("Attention is all you need, again", 2020, 99, "x:5"),
]

OWNER = ["Zihang Liu", "Z. Liu"]


def _ref(key: str, title: str, year: int | None, authors: list[str]) -> WorkRef:
    return WorkRef(key=key, ids=Identifiers(), title=title, authors=authors, year=year)


WORKS = [
    _ref(
        "balancing",
        "Model Balancing Helps Low-data Training and Fine-tuning",
        2024,
        ["Zihang Liu", "Yuanzhe Hu"],
    ),
    _ref(
        "ensemble",
        "EnsembleMOT: A Step towards Ensemble Learning of Multiple Object Tracking",
        2022,
        ["Yunhao Du", "Zihang Liu", "Fei Su"],
    ),
    # Same title, but the year is five years off: another paper.
    _ref("oldthings", "Deep Learning for Things", 2018, ["Zihang Liu"]),
    # Same title, but the owner is not an author: not the owner's paper.
    _ref("survey", "Unrelated Survey of Everything", 2021, ["Someone Else"]),
    # A short title contained in a longer one: not the same paper.
    _ref("attention", "Attention", 2020, ["Zihang Liu"]),
]


def test_matching_accepts_only_confident_title_author_year_matches() -> None:
    results = {r.key: r for r in gs.match_publications(WORKS, PROFILE_PUBS, OWNER)}
    assert results["balancing"].status == "found"
    assert results["balancing"].citation_count == 12
    assert results["balancing"].external_id == "x:1"
    assert results["ensemble"].status == "found"
    assert results["ensemble"].citation_count == 0  # a real zero on the profile is kept
    for key in ("oldthings", "survey", "attention"):
        assert results[key].status == "not_found", key
        assert results[key].citation_count is None
    assert "year" in results["oldthings"].data["reason"]
    assert "author" in results["survey"].data["reason"]


def test_matching_is_one_to_one() -> None:
    twice = [WORKS[0], _ref("copy", WORKS[0].title, 2024, ["Zihang Liu"])]
    results = gs.match_publications(twice, PROFILE_PUBS, OWNER)
    assert [r.status for r in results].count("found") == 1


def _config(tmp_path: Path, *, profile: str = PROFILE_ID, proxy: str = "") -> Config:
    return Config(
        root=tmp_path,
        owner=Owner(name="Zihang Liu", google_scholar_id=profile),
        sync=SyncSettings(sources=["google_scholar"]),
        google_scholar=ScholarSettings(proxy=proxy),
    )


class FakeScholar:
    """Stands in for scholarly's two network calls; records what it was asked."""

    def __init__(self, pubs: list[dict[str, Any]] | None = None, error: Exception | None = None):
        self.pubs = PROFILE_PUBS if pubs is None else pubs
        self.error = error
        self.calls: list[str] = []

    def search_author_id(self, author_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(f"search:{author_id}")
        if self.error:
            raise self.error
        return {"container_type": "Author", "scholar_id": author_id, "filled": []}

    def fill(self, author: dict[str, Any], sections: list[str], **kwargs: Any) -> dict[str, Any]:
        self.calls.append("fill:" + ",".join(sections))
        return {
            **author,
            "name": "Zihang Liu",
            "citedby": 150,
            "hindex": 4,
            "i10index": 2,
            "cites_per_year": {2023: 20, 2024: 50, 2025: 80},
            "publications": self.pubs,
        }


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeScholar:
    module = gs.load_scholarly()
    assert module is not None
    fake = FakeScholar()
    monkeypatch.setattr(module.scholarly, "search_author_id", fake.search_author_id)
    monkeypatch.setattr(module.scholarly, "fill", fake.fill)

    def no_proxy(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("no proxy configured: use_proxy must not be called")

    monkeypatch.setattr(module.scholarly, "use_proxy", no_proxy)
    return fake


def test_fetch_batch_one_profile_fetch_and_profile_figures(
    tmp_path: Path, fake: FakeScholar
) -> None:
    source = gs.GoogleScholar(_config(tmp_path), http=None)  # type: ignore[arg-type]
    assert source.skip_reason() is None
    assert source.lookup_id(WORKS[0]) == "balancing"
    first = source.fetch_batch(WORKS[:2])
    second = source.fetch_batch(WORKS[2:])
    assert [r.status for r in first] == ["found", "found"]
    assert [r.status for r in second] == ["not_found"] * 3
    assert fake.calls == [f"search:{PROFILE_ID}", "fill:basics,indices,counts,publications"]
    figures = source.profile_figures()
    assert figures == gs.ProfileFigures(
        PROFILE_ID, "Zihang Liu", 150, 4, 2, {2023: 20, 2024: 50, 2025: 80}
    )


def test_profile_figures_stored_and_shown_in_stats(tmp_path: Path, fake: FakeScholar) -> None:
    source = gs.GoogleScholar(_config(tmp_path), http=None)  # type: ignore[arg-type]
    source.fetch_batch(WORKS[:1])
    figures = source.profile_figures()
    assert figures is not None
    store = Store.memory()
    store.record_profile_metrics(
        "google_scholar",
        figures.profile_id,
        retrieved_at="2026-11-27T03:00:00Z",
        name=figures.name,
        total_citations=figures.total_citations,
        h_index=figures.h_index,
        i10_index=figures.i10_index,
        cites_per_year=figures.cites_per_year,
    )
    report = build_stats(store)
    gs_stats = report.sources["google_scholar"]
    assert gs_stats.citations_per_year == {2023: 20, 2024: 50, 2025: 80}
    assert gs_stats.citations_per_year_basis == "profile"
    assert gs_stats.profile is not None and gs_stats.profile["h_index"] == 4


def test_skip_reasons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "google_scholar_id" in (
        gs.GoogleScholar(_config(tmp_path, profile=""), None).skip_reason() or ""  # type: ignore[arg-type]
    )
    monkeypatch.setattr(gs.importlib.util, "find_spec", lambda name: None)
    reason = gs.GoogleScholar(_config(tmp_path), None).skip_reason()  # type: ignore[arg-type]
    assert reason is not None and "pubtrack[scholar]" in reason


@pytest.mark.parametrize(
    "error",
    [
        "MaxTriesExceededException",
        "ConnectionError",
        "KeyError",
    ],
)
def test_blocked_or_broken_fetch_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeScholar, error: str
) -> None:
    module = gs.load_scholarly()
    exc: Exception = (
        module.MaxTriesExceededException("Cannot Fetch from Google Scholar.")  # type: ignore[union-attr]
        if error == "MaxTriesExceededException"
        else ConnectionError("reset")
        if error == "ConnectionError"
        else KeyError("gsc_a_tr")
    )
    fake.error = exc
    source = gs.GoogleScholar(_config(tmp_path), None)  # type: ignore[arg-type]
    with pytest.raises(SourceError) as info:
        source.fetch_batch(WORKS)
    assert info.value.source == "google_scholar"
    assert error in info.value.message
    assert "earlier counts are kept" in info.value.message
    assert source.profile_figures() is None


def test_empty_profile_page_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeScholar
) -> None:
    """A block page parses as a profile with no publications and zero indices."""
    fake.pubs = []
    original = fake.fill

    def empty_fill(author: dict[str, Any], sections: list[str], **kw: Any) -> dict[str, Any]:
        return {**original(author, sections), "citedby": 0, "hindex": 0, "cites_per_year": {}}

    monkeypatch.setattr(gs.load_scholarly().scholarly, "fill", empty_fill)  # type: ignore[union-attr]
    source = gs.GoogleScholar(_config(tmp_path), None)  # type: ignore[arg-type]
    with pytest.raises(SourceError, match="empty"):
        source.fetch_batch(WORKS)


def test_proxy_goes_to_both_scholarly_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeScholar
) -> None:
    module = gs.load_scholarly()
    assert module is not None
    seen: dict[str, Any] = {}

    def single_proxy(self: Any, http: str | None = None, https: str | None = None) -> bool:
        seen["proxy"] = (http, https)
        return seen.get("works", True)

    def use_proxy(pg1: Any, pg2: Any = None) -> None:
        seen["sessions"] = (pg1, pg2)

    monkeypatch.setattr(module.ProxyGenerator, "SingleProxy", single_proxy)
    monkeypatch.setattr(module.scholarly, "use_proxy", use_proxy)
    proxy = "http://user:secret@proxy.invalid:3128"
    source = gs.GoogleScholar(_config(tmp_path, proxy=proxy), None)  # type: ignore[arg-type]
    assert source.fetch_batch(WORKS[:1])[0].status == "found"
    assert seen["proxy"] == (proxy, proxy)
    pg1, pg2 = seen["sessions"]
    assert pg1 is pg2  # never scholarly's free-proxy hunt

    seen["works"] = False
    broken = gs.GoogleScholar(_config(tmp_path, proxy=proxy), None)  # type: ignore[arg-type]
    with pytest.raises(SourceError) as info:
        broken.fetch_batch(WORKS[:1])
    assert "secret" not in info.value.message
    assert "proxy.invalid:3128" in info.value.message


def _library() -> Library:
    return Library(
        works=[
            Work(
                "balancing",
                "inproceedings",
                "Model Balancing Helps Low-data Training and Fine-tuning",
                authors=[Author("Zihang", "", "Liu"), Author("Yuanzhe", "", "Hu")],
                year=2024,
            ),
            Work(
                "survey",
                "article",
                "Unrelated Survey of Everything",
                authors=[Author("Someone", "", "Else")],
                year=2021,
            ),
        ]
    )


def test_sync_blocked_keeps_earlier_count_and_exits_3(tmp_path: Path, fake: FakeScholar) -> None:
    """Through the real sync: a blocked fetch stores nothing (never a 0) and is exit 3."""
    config = _config(tmp_path)
    (tmp_path / "data").mkdir()
    with Store.open(config.database_path) as store:
        store.sync_library(_library())
        store.record_citations(
            [CitationCount("balancing", "google_scholar", 9, "2026-11-01T03:00:00Z")]
        )
    classes = {"google_scholar": gs.GoogleScholar}
    options = SyncOptions(sources=["google_scholar"], all=True, history_file="")

    good = run_sync(config, options, library=_library(), source_classes=classes)
    assert good.exit_code == 0
    with Store.open(config.database_path) as store:
        latest = store.latest_citations()
    assert latest["balancing"]["google_scholar"].count == 12
    assert "survey" not in latest  # unmatched: no count at all
    with Store.open(config.database_path) as store:
        profile = store.latest_profiles()["google_scholar"]
    assert (profile["h_index"], profile["i10_index"], profile["total_citations"]) == (4, 2, 150)
    assert profile["cites_per_year"] == {2023: 20, 2024: 50, 2025: 80}

    module = gs.load_scholarly()
    fake.error = module.MaxTriesExceededException("Cannot Fetch from Google Scholar.")  # type: ignore[union-attr]
    blocked = run_sync(config, options, library=_library(), source_classes=classes)
    assert blocked.exit_code == EXIT_PARTIAL
    with Store.open(config.database_path) as store:
        rows = store.citation_series(source="google_scholar")
        latest = store.latest_citations()
    assert [r["count"] for r in rows] == [9, 12]  # nothing appended by the blocked run
    assert latest["balancing"]["google_scholar"].count == 12
    with Store.open(config.database_path) as store:
        assert store.db["profile_metrics"].count == 1  # no profile row from the failure


def test_scholarly_imports_next_to_bibtexparser_2() -> None:
    """In a fresh interpreter: the shim makes scholarly importable and leaves
    bibtexparser 2 (which pubtrack reads .bib files with) untouched."""
    code = (
        "import sys\n"
        "from pubtrack.sources.google_scholar import load_scholarly, SHIM_MARK\n"
        "import bibtexparser\n"
        "m = load_scholarly()\n"
        "assert m is not None and hasattr(m.scholarly, 'search_author_id')\n"
        "shim = sys.modules['bibtexparser.bibdatabase']\n"
        "assert getattr(shim, SHIM_MARK, False) == bibtexparser.__version__.startswith('2')\n"
        "lib = bibtexparser.parse_string('@article{k, title={T}}')\n"
        "assert lib.entries[0]['title'] == 'T'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_matrix_matching_agrees_with_pairwise_confident_match() -> None:
    """The normalise-once scoring accepts exactly the pairs ``is_confident_match`` accepts."""
    import random

    from pubtrack.identity import is_confident_match

    rng = random.Random(5)
    words = [
        "deep",
        "sparse",
        "graph",
        "model",
        "learning",
        "robust",
        "data",
        "neural",
        "attention",
        "vision",
    ]
    works = [
        _ref(f"w{i}", " ".join(rng.choice(words) for _ in range(6)), 2020, ["Zihang Liu"])
        for i in range(30)
    ]
    pubs = []
    for i in range(30):
        title = works[rng.randrange(30)].title
        if i % 2:
            title = title.upper() + "!"  # same title, spelled differently
        elif i % 3:
            title = title + " " + rng.choice(words)  # one word more: not the same paper
        pubs.append(_pub(title, 2020 + i % 3, i, f"p{i}"))
    results = gs.match_publications(works, pubs, OWNER)
    for work, result in zip(works, results, strict=True):
        acceptable = [
            p["author_pub_id"]
            for p in pubs
            if is_confident_match(
                work.title,
                work.authors,
                work.year,
                p["bib"]["title"],
                OWNER,
                int(p["bib"]["pub_year"]),
            )[0]
        ]
        if result.status == "found":
            assert result.external_id in acceptable
        else:
            # Unmatched only because every acceptable publication went to another work.
            taken = {r.external_id for r in results if r.status == "found"}
            assert set(acceptable) <= taken
    assert sum(r.status == "found" for r in results) >= 5
