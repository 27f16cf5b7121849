"""Crossref: one request per DOI, mailto on every request, 404 = not found."""

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
        assert server.count("crossref") == len(works)
        assert server.count("crossref", 429) == 0
        assert server.count("crossref", 404) == 1
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
