"""Crossref: DOIs in batches (one list query), mailto on every request, unknown = not found."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FakeTime
from pubtrack.config import Config, Owner, SourceSettings, SyncSettings
from pubtrack.errors import SourceError
from pubtrack.models import Identifiers
from pubtrack.sources.base import WorkRef
from pubtrack.sources.crossref import Crossref, message_result
from pubtrack.sources.http import HttpClient
from pubtrack.testing.fake_api import FakeApiServer, crossref_message, make_papers


def source(monkeypatch, url: str, *, email: str = "me@example.org", fast: bool = True, **settings):
    monkeypatch.setenv("PUBTRACK_CROSSREF_API_URL", url)
    config = Config(
        root=Path("."),
        owner=Owner(email=email),
        sync=SyncSettings(tables={"crossref": SourceSettings(**settings)}),
    )
    t = FakeTime()
    http = HttpClient(config, sleep=t.sleep, clock=t.clock) if fast else HttpClient(config)
    return Crossref(config, http)


def ref(key: str, doi: str | None = None, arxiv: str | None = None) -> WorkRef:
    return WorkRef(key, Identifiers(arxiv=arxiv, doi=doi), "")


def test_arxiv_datacite_dois_are_skipped(monkeypatch):
    crossref = source(monkeypatch, "http://127.0.0.1:9")
    assert crossref.lookup_id(ref("a", "10.48550/arXiv.2410.12178")) is None
    assert crossref.lookup_id(ref("b", arxiv="2410.12178")) is None
    assert crossref.lookup_id(ref("c", "https://doi.org/10.18653/V1/2024.emnlp-main.78")) == (
        "10.18653/v1/2024.emnlp-main.78"
    )


def test_counts_with_mailto_and_404(monkeypatch):
    papers = make_papers(12)
    with_doi = [p for p in papers if p.doi]
    with FakeApiServer(papers, time_scale=0.05) as server:
        crossref = source(monkeypatch, server.api_url("crossref"), fast=False, min_interval=0.011)
        works = [ref(p.key, p.doi) for p in with_doi] + [ref("ghost", "10.9999/ghost")]
        results = crossref.fetch_batch(works)
        assert server.count("crossref") == 1  # one list query for the whole batch
        assert server.log[0].path == "/works" and server.log[0].ids == len(works)
        assert "filter=doi%3A" in server.log[0].query
        assert server.count("crossref", 429) == 0
        assert all("mailto=me%40example.org" in r.query for r in server.log)
        assert all("mailto:me@example.org" in r.user_agent for r in server.log)
    assert results[-1].status == "not_found"
    for paper, result in zip(with_doi, results, strict=False):
        assert result.status == "found"
        assert result.citation_count == paper.citation_count
        assert result.external_ids == {"doi": paper.doi}
        assert result.data["title"] == paper.title
        assert result.data["year"] == paper.year


def test_no_mailto_without_an_email(monkeypatch):
    papers = [p for p in make_papers(4) if p.doi]
    with FakeApiServer(papers, enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"), email="")
        crossref.fetch_batch([ref(papers[0].key, papers[0].doi)])
        assert "mailto" not in server.log[0].query


def test_message_result_keeps_a_real_zero_and_skips_missing_fields():
    result = message_result("k", {"DOI": "10.1234/ABC", "is-referenced-by-count": 0})
    assert result.citation_count == 0
    assert result.external_ids == {"doi": "10.1234/abc"}
    assert result.data == {}
    missing = message_result("k", {"DOI": "10.1234/abc"})
    assert missing.citation_count is None


def test_fake_message_has_the_fields_pubtrack_reads():
    paper = next(p for p in make_papers(4) if p.doi)
    body = crossref_message(paper)
    assert body["status"] == "ok" and body["message-type"] == "work"
    assert body["message"]["is-referenced-by-count"] == paper.citation_count


@pytest.mark.parametrize("kind", ["429", "status", "reset", "truncate", "malformed"])
def test_faults_are_ridden_out(monkeypatch, kind):
    papers = [p for p in make_papers(6) if p.doi]
    with FakeApiServer(papers, enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"))
        server.inject("crossref", kind, times=3)
        (result,) = crossref.fetch_batch([ref(papers[0].key, papers[0].doi)])
        assert result.status == "found"
        assert server.count("crossref") == 4


def test_down_is_a_source_error(monkeypatch):
    papers = [p for p in make_papers(6) if p.doi]
    with FakeApiServer(papers, enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"))
        server.inject("crossref", "down", times=None)
        with pytest.raises(SourceError, match="^crossref: "):
            crossref.fetch_batch([ref(papers[0].key, papers[0].doi)])


def test_dois_with_special_characters_are_encoded(monkeypatch):
    from pubtrack.testing.fake_api import FakePaper

    odd = FakePaper(
        s2_id="b" * 40,
        corpus_id=9,
        title="Odd",
        authors=["A B"],
        year=2001,
        doi="10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0",
        citation_count=42,
    )
    with FakeApiServer([odd], enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"))
        (result,) = crossref.fetch_batch([ref("odd", odd.doi)])
    assert result.status == "found"
    assert result.citation_count == 42


def test_a_lone_doi_and_a_doi_with_a_comma_use_the_single_record_route(monkeypatch):
    from pubtrack.testing.fake_api import FakePaper

    papers = [p for p in make_papers(6) if p.doi][:2]
    comma = FakePaper(
        s2_id="c" * 40,
        corpus_id=7,
        title="Comma",
        authors=["A B"],
        year=2001,
        doi="10.1000/a,b",
        citation_count=5,
    )
    with FakeApiServer([*papers, comma], enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"))
        (alone,) = crossref.fetch_batch([ref("x", papers[0].doi)])
        assert [r.path for r in server.log] == [f"/works/{papers[0].doi}"]
        results = crossref.fetch_batch(
            [
                ref("p0", papers[0].doi),
                ref("p1", papers[1].doi),
                ref("c", comma.doi),
                ref("dup", papers[1].doi.upper()),
                ref("none"),
            ]
        )
        paths = [r.path for r in server.log[1:]]
    assert alone.status == "found"
    assert sorted(paths) == sorted(["/works", "/works/10.1000/a,b"])
    assert [r.status for r in results] == ["found", "found", "found", "found", "not_found"]
    assert results[2].citation_count == 5
    assert results[3].citation_count == results[1].citation_count  # same DOI, both answered


def test_batches_send_one_request_per_fifty_dois(monkeypatch):
    papers = [p for p in make_papers(160) if p.doi]
    with FakeApiServer(papers, enforce_limits=False) as server:
        crossref = source(monkeypatch, server.api_url("crossref"))
        works = [ref(p.key, p.doi) for p in papers]
        results = []
        for i in range(0, len(works), crossref.batch_size):
            results += crossref.fetch_batch(works[i : i + crossref.batch_size])
        assert server.count("crossref") == -(-len(works) // 50)
    assert {r.key: r.citation_count for r in results} == {p.key: p.citation_count for p in papers}


def test_the_fake_list_route_refuses_other_filters(monkeypatch):
    import json
    import urllib.error
    import urllib.request

    with FakeApiServer(make_papers(2), enforce_limits=False) as server:
        url = server.api_url("crossref") + "/works?filter=from-pub-date:2020&rows=5"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url)
        assert info.value.code == 400
        assert "validation-failure" in json.dumps(json.loads(info.value.read()))
