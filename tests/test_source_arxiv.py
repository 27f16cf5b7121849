"""arXiv: recorded real feeds (2026 and 2016 layouts), then the fake server."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import FakeTime
from pubtrack.config import Config, SourceSettings, SyncSettings
from pubtrack.errors import SourceError
from pubtrack.models import Identifiers
from pubtrack.sources.arxiv import Arxiv, error_entry, parse_feed
from pubtrack.sources.base import WorkRef
from pubtrack.sources.http import HttpClient
from pubtrack.testing.fake_api import (
    FakeApiServer,
    FakePaper,
    ReplayServer,
    Reply,
    make_papers,
    read_arxiv_recording,
)


def source(monkeypatch, url: str, *, fast: bool = True, **settings) -> Arxiv:
    monkeypatch.setenv("PUBTRACK_ARXIV_API_URL", url)
    config = Config(root=Path("."), sync=SyncSettings(tables={"arxiv": SourceSettings(**settings)}))
    t = FakeTime()
    http = HttpClient(config, sleep=t.sleep, clock=t.clock) if fast else HttpClient(config)
    return Arxiv(config, http)


def ref(key: str, arxiv: str | None = None, doi: str | None = None) -> WorkRef:
    return WorkRef(key, Identifiers(arxiv=arxiv, doi=doi), "")


def replay_one(corpora_api: Path, name: str) -> ReplayServer:
    status, _, body = read_arxiv_recording(corpora_api / name)
    return ReplayServer(
        {("GET", "/api/query"): Reply(status, body.encode(), "application/atom+xml")}
    )


# -- recorded real answers --------------------------------------------------------------


def test_recorded_missing_id_is_not_found(corpora_api, monkeypatch):
    with replay_one(corpora_api, "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json") as replay:
        arxiv = source(monkeypatch, replay.url + "/api/query")
        results = arxiv.fetch_batch([ref("a", "0808.05394"), ref("b", "arXiv:1707.08567v1")])
        query = replay.requests[0]["query"]
    assert query["id_list"] == ["0808.05394,1707.08567"]
    assert query["max_results"] == ["2"]
    assert results[0].status == "not_found"
    found = results[1]
    assert found.status == "found"
    assert found.external_id == "1707.08567"
    assert found.external_ids == {"arxiv": "1707.08567"}
    assert found.citation_count is None  # arXiv gives no counts
    assert found.data["latest_version"] == 1
    assert found.data["title"].startswith("Proceedings of Workshop AEW10")
    assert len(found.data["authors"]) == 34
    assert found.data["authors"][-2] == "Dirk Wübben"
    assert found.data["primary_category"] == "cs.IT"
    assert found.data["comment"].startswith("44 pages")
    assert "journal_ref" not in found.data and "doi" not in found.data
    assert found.data["pdf_url"] == "https://arxiv.org/pdf/1707.08567v1"


def test_recorded_old_style_id_with_journal_ref(corpora_api, monkeypatch):
    with replay_one(corpora_api, "id_astro-ph_0601001_s0_m100_3150dca9dc76.json") as replay:
        arxiv = source(monkeypatch, replay.url + "/api/query")
        (result,) = arxiv.fetch_batch([ref("hj", "https://arxiv.org/abs/astro-ph/0601001")])
        assert replay.requests[0]["query"]["id_list"] == ["astro-ph/0601001"]
    assert result.status == "found"
    assert result.external_id == "astro-ph/0601001"
    assert result.data["journal_ref"] == "ActaAstron.56:1-50,2006"
    assert result.data["published_version"] is True
    assert result.data["authors"] == [
        "Andrew Gould",
        "Susan Dorsher",
        "B. Scott Gaudi",
        "Andrzej Udalski",
    ]
    assert result.data["categories"] == ["astro-ph"]
    assert result.data["published"] == "2006-01-02T14:57:58Z"
    assert result.data["abstract"].startswith("We derive the frequencies")  # stripped


def test_recorded_numeric_title_and_versioned_id(corpora_api, monkeypatch):
    with replay_one(corpora_api, "id_2104.12255v1_s0_m100_6ae69987ffe1.json") as replay:
        arxiv = source(monkeypatch, replay.url + "/api/query")
        (result,) = arxiv.fetch_batch([ref("zero", "2104.12255v1")])
    assert result.status == "found"
    assert result.data["title"] == "0"
    assert result.data["latest_version"] == 1


def test_recorded_unknown_id_gives_no_entries(corpora_api, monkeypatch):
    with replay_one(corpora_api, "id_0000.0000_s0_m100_8b51d9633a68.json") as replay:
        arxiv = source(monkeypatch, replay.url + "/api/query")
        (result,) = arxiv.fetch_batch([ref("none", "0000.0000")])
    assert result.status == "not_found"


def test_recorded_error_feed(corpora_api):
    status, _, body = read_arxiv_recording(corpora_api / "id_abc_s0_m100_b79c8dcf6bc3.json")
    root = ET.fromstring(body.encode())
    assert status == 400
    assert error_entry(root) == "incorrect id format for abc"
    assert parse_feed(root) == []  # the error entry is not a paper


def test_recorded_error_feed_then_retry_without_the_bad_id(corpora_api, monkeypatch):
    """arXiv names a bad id: it is reported and the batch asked again without it."""
    _, _, error = read_arxiv_recording(corpora_api / "id_abc_s0_m100_b79c8dcf6bc3.json")
    _, _, good = read_arxiv_recording(corpora_api / "id_2104.12255v1_s0_m100_6ae69987ffe1.json")
    # arXiv calls "2104.12255" bad here (as if it were malformed), then answers for the rest
    error = error.replace("abc", "9912.99999")
    replies = [
        Reply(400, error.encode(), "application/atom+xml"),
        Reply(200, good.encode(), "application/atom+xml"),
    ]
    with ReplayServer({("GET", "/api/query"): replies}) as replay:
        arxiv = source(monkeypatch, replay.url + "/api/query")
        results = arxiv.fetch_batch([ref("bad", "9912.99999"), ref("zero", "2104.12255")])
        lists = [r["query"]["id_list"][0] for r in replay.requests]
    assert lists == ["9912.99999,2104.12255", "2104.12255"]
    assert results[0].status == "not_found"
    assert "incorrect id format for 9912.99999" in results[0].data["error"]
    assert results[1].status == "found"


def test_recorded_search_feed_with_dois_and_unicode(corpora_api):
    _, _, body = read_arxiv_recording(corpora_api / "q_testing_s0_m10_bc5a6c384fe9.json")
    entries = {e["arxiv_id"]: e for e in parse_feed(ET.fromstring(body.encode()))}
    assert len(entries) == 10
    first = entries["2202.12139"]
    assert first["doi"] == "10.1109/icstw55395.2022.00035"
    assert first["journal_ref"].startswith("Artificial Intelligence in Software Testing")
    assert first["categories"] == ["cs.SE", "cs.LG"]
    assert first["primary_category"] == "cs.SE"
    assert entries["2405.13786"]["authors"][0] == "Aurora Ramírez"
    assert entries["2005.14124"]["latest_version"] == 2


def test_recorded_2016_layout(corpora_api):
    root = ET.parse(corpora_api / "arxiv2016_id_list_1111.2011v2.xml").getroot()
    (entry,) = parse_feed(root)
    assert entry["arxiv_id"] == "1111.2011"
    assert entry["latest_version"] == 2
    assert entry["title"] == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert entry["published"] == "2011-11-08T18:48:36Z"
    assert entry["updated"] == "2012-04-02T12:38:54Z"
    assert entry["doi"] == "10.1103/physrevb.85.115117"
    assert entry["journal_ref"] == "Phys. Rev. B 85, 115117 (2012)"
    assert entry["primary_category"] == "cond-mat.str-el"
    old = ET.parse(corpora_api / "arxiv2016_search_query_au_del_maestro.xml").getroot()
    ids = [e["arxiv_id"] for e in parse_feed(old)]
    assert "cond-mat/0412498" in ids
    assert len(ids) == 10


# -- lookup ids ---------------------------------------------------------------------------


def test_lookup_id(monkeypatch):
    arxiv = source(monkeypatch, "http://127.0.0.1:9")
    assert arxiv.lookup_id(ref("a", "arXiv:2410.12178v2")) == "2410.12178"
    assert arxiv.lookup_id(ref("b", doi="10.48550/arXiv.2410.12178")) == "2410.12178"
    assert arxiv.lookup_id(ref("c", doi="10.18653/v1/2024.emnlp-main.78")) is None
    assert arxiv.lookup_id(ref("d", "abc")) is None  # never sent: it would fail the batch


# -- the fake server ------------------------------------------------------------------------


def refs_for(papers: list[FakePaper]) -> list[WorkRef]:
    return [ref(p.key, p.arxiv_id) for p in papers if p.arxiv_id]


def test_batches_at_the_rate_limit_one_connection(monkeypatch):
    papers = make_papers(260, seed=2)
    scale = 0.01
    with FakeApiServer(papers, time_scale=scale) as server:
        # Twice the (scaled) 3 s interval: the server measures arrivals, the client
        # departures, and a loaded machine delays one more than the other.
        arxiv = source(monkeypatch, server.api_url("arxiv"), fast=False, min_interval=0.06)
        works = refs_for(papers)
        results = []
        for start in range(0, len(works), arxiv.batch_size):
            results += arxiv.fetch_batch(works[start : start + arxiv.batch_size])
        assert server.count("arxiv") == -(-len(works) // 100)
        assert server.count("arxiv", 429) == 0 and server.count("arxiv", 503) == 0
    by_key = {p.key: p for p in papers}
    assert all(r.status == "found" for r in results)
    for result in results:
        paper = by_key[result.key]
        assert result.data["latest_version"] == paper.arxiv_version
        assert result.data["title"] == paper.title
        if paper.doi:
            assert result.external_ids["doi"] == paper.doi  # the published version, learned
            assert result.data["journal_ref"] == paper.journal_ref


def test_fake_error_feed_drops_only_the_named_id(monkeypatch):
    papers = make_papers(8)
    with FakeApiServer(papers, enforce_limits=False) as server:
        arxiv = source(monkeypatch, server.api_url("arxiv"))
        works = refs_for(papers)
        bad = works[2]
        server.inject("arxiv", "error_feed", times=1, bad_id=bad.ids.arxiv)
        results = arxiv.fetch_batch(works)
        assert server.count("arxiv") == 2
    statuses = {r.key: r.status for r in results}
    assert statuses.pop(bad.key) == "not_found"
    assert set(statuses.values()) == {"found"}


def test_error_feed_without_a_known_id_halves_the_batch(monkeypatch):
    papers = make_papers(8)
    with FakeApiServer(papers, enforce_limits=False) as server:
        arxiv = source(monkeypatch, server.api_url("arxiv"))
        server.inject("arxiv", "error_feed", times=1, bad_id="something-else")
        results = arxiv.fetch_batch(refs_for(papers))
        assert server.count("arxiv") == 3  # the failing batch, then its two halves
    assert all(r.status == "found" for r in results)


@pytest.mark.parametrize("batch", [1, 8])
def test_a_persistent_error_feed_is_a_failed_source_not_not_found(monkeypatch, batch):
    papers = make_papers(batch)
    with FakeApiServer(papers, enforce_limits=False) as server:
        arxiv = source(monkeypatch, server.api_url("arxiv"))
        server.inject("arxiv", "error_feed", times=1000, bad_id="something-else")
        with pytest.raises(SourceError, match="keeps answering with an error feed"):
            arxiv.fetch_batch(refs_for(papers))
        assert server.count("arxiv") == 3  # bounded: no bisection down to every id


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("429", {}),
        ("status", {"status": 503}),
        ("reset", {}),
        ("truncate", {}),
        ("malformed", {}),
    ],
)
def test_fault_bursts_are_ridden_out(monkeypatch, kind, options):
    papers = make_papers(6)
    with FakeApiServer(papers, enforce_limits=False) as server:
        arxiv = source(monkeypatch, server.api_url("arxiv"))
        server.inject("arxiv", kind, times=3, **options)
        results = arxiv.fetch_batch(refs_for(papers))
        assert server.count("arxiv") == 4
    assert all(r.status == "found" for r in results)


def test_down_is_a_source_error(monkeypatch):
    with FakeApiServer(make_papers(3), enforce_limits=False) as server:
        arxiv = source(monkeypatch, server.api_url("arxiv"))
        server.inject("arxiv", "down", times=None)
        with pytest.raises(SourceError, match="^arxiv: .*after 5 attempts"):
            arxiv.fetch_batch(refs_for(server.catalogue.papers))


def test_versions_beyond_the_latest_are_not_found():
    papers = make_papers(4)
    paper = next(p for p in papers if p.arxiv_id)
    with FakeApiServer(papers, enforce_limits=False) as server:
        import requests

        url = server.api_url("arxiv")
        too_new = f"{paper.arxiv_id}v{paper.arxiv_version + 1}"
        feed = requests.get(url, params={"id_list": too_new, "max_results": 5}, timeout=5)
        assert parse_feed(ET.fromstring(feed.content)) == []
        latest = requests.get(url, params={"id_list": paper.arxiv_id, "max_results": 5}, timeout=5)
        (entry,) = parse_feed(ET.fromstring(latest.content))
        assert entry["latest_version"] == paper.arxiv_version
