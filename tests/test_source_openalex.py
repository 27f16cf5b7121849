"""OpenAlex: the recorded works list, then the fake server (key, batching, merged DOIs)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import FakeTime
from pubtrack.config import Config, SourceSettings, SyncSettings
from pubtrack.errors import SourceError
from pubtrack.models import Identifiers
from pubtrack.sources.base import WorkRef
from pubtrack.sources.http import HttpClient
from pubtrack.sources.openalex import OpenAlex, record_keys
from pubtrack.testing.fake_api import FakeApiServer, FakePaper, ReplayServer, Reply, make_papers

KEY = "oa-test-key-31337"


def source(monkeypatch, url: str, *, key: str | None = KEY, fast: bool = True, **settings):
    monkeypatch.setenv("PUBTRACK_OPENALEX_API_URL", url)
    if key:
        monkeypatch.setenv("OPENALEX_API_KEY", key)
    else:
        monkeypatch.delenv("OPENALEX_API_KEY", raising=False)
    config = Config(
        root=Path("."), sync=SyncSettings(tables={"openalex": SourceSettings(**settings)})
    )
    t = FakeTime()
    http = HttpClient(config, sleep=t.sleep, clock=t.clock) if fast else HttpClient(config)
    return OpenAlex(config, http)


def ref(key: str, arxiv: str | None = None, doi: str | None = None, **more) -> WorkRef:
    return WorkRef(key, Identifiers(arxiv=arxiv, doi=doi, **more), "")


def test_skipped_without_a_key(monkeypatch):
    openalex = source(monkeypatch, "http://127.0.0.1:9", key=None)
    assert openalex.skip_reason() == "no OPENALEX_API_KEY"
    assert source(monkeypatch, "http://127.0.0.1:9").skip_reason() is None


def test_lookup_id(monkeypatch):
    openalex = source(monkeypatch, "http://127.0.0.1:9")
    assert openalex.lookup_id(ref("a", "2410.12178", "10.18653/V1/2024.EMNLP-MAIN.78")) == (
        "10.18653/v1/2024.emnlp-main.78"
    )
    assert openalex.lookup_id(ref("b", "2410.12178v2")) == "10.48550/arxiv.2410.12178"
    assert openalex.lookup_id(ref("c", doi="10.48550/arXiv.2410.12178")) == (
        "10.48550/arxiv.2410.12178"
    )
    assert openalex.lookup_id(ref("d")) is None


# -- the recorded works list ------------------------------------------------------------------


def test_recorded_works_matched_by_returned_ids(corpora_api, monkeypatch):
    body = (corpora_api / "works.json").read_bytes()
    records = json.loads(body)["results"]
    with ReplayServer({("GET", "/works"): Reply(200, body)}) as replay:
        openalex = source(monkeypatch, replay.url)
        works = [
            ref("climate", doi="10.4081/GH.2014.294"),  # case does not matter
            ref("pi", doi="https://doi.org/10.30773/pi.2018.08.27"),
            ref("by-openalex-id", doi="10.9999/not-in-answer", openalex="W789391616"),
            ref("absent", doi="10.9999/absent"),
        ]
        results = openalex.fetch_batch(works)
        queries = [r["query"] for r in replay.requests]
    # The bib's OpenAlex id is asked as such (README: `openalex = {W…}` is used).
    assert [q["filter"] for q in queries] == [
        ["ids.openalex:W789391616"],
        ["doi:10.4081/gh.2014.294|10.30773/pi.2018.08.27|10.9999/absent"],
    ]
    query = queries[-1]
    assert query["per_page"] == ["100"]
    assert query["api_key"] == [KEY]
    climate = results[0]
    assert climate.status == "found"
    assert climate.external_id == "W2068311567"
    assert climate.citation_count == 8 == records[0]["cited_by_count"]
    assert climate.counts_by_year == {2022: 1, 2020: 1, 2019: 3, 2018: 2, 2016: 1}
    assert climate.external_ids == {"openalex": "W2068311567", "doi": "10.4081/gh.2014.294"}
    assert climate.data["year"] == 2014
    assert results[1].status == "found"
    assert results[1].external_id == "W2897157249"
    # a work matched by its OpenAlex id although the DOI sent was different
    assert results[2].status == "found"
    assert results[2].external_id == "W789391616"
    assert results[3].status == "not_found"


def test_recorded_works_without_doi_do_not_break_matching(corpora_api):
    records = json.loads((corpora_api / "works.json").read_text())["results"]
    no_doi = [r for r in records if r["doi"] is None]
    assert no_doi
    for record in no_doi:
        keys = record_keys(record)
        assert ("openalex", record["id"].rsplit("/", 1)[1]) in keys
        assert not any(kind == "doi" and value is None for kind, value in keys)


# -- the fake server ----------------------------------------------------------------------------


def refs_for(papers: list[FakePaper], *, learned: bool = True) -> list[WorkRef]:
    """Works as sync would pass them: bib ids, plus (``learned``) the DOI arXiv reported."""
    out = []
    for p in papers:
        doi = p.doi if ("doi" in p.bib_ids or learned) else None
        arxiv = p.arxiv_id if "arxiv" in p.bib_ids else None
        if doi or arxiv:
            out.append(ref(p.key, arxiv, doi))
    return out


def test_batches_of_100_at_the_rate_limit(monkeypatch):
    papers = make_papers(450, seed=9)
    with FakeApiServer(papers, time_scale=0.05) as server:
        # Twice the scaled interval (arrivals vs departures on a loaded machine).
        openalex = source(monkeypatch, server.api_url("openalex"), fast=False, min_interval=0.011)
        works = refs_for(papers)
        results = []
        for start in range(0, len(works), openalex.batch_size):
            results += openalex.fetch_batch(works[start : start + openalex.batch_size])
        assert server.count("openalex") == -(-len(works) // 100)
        assert server.count("openalex", 429) == 0
        assert max(r.ids for r in server.log) == 100
    by_key = {p.key: p for p in papers}
    assert all(r.status == "found" for r in results)
    for result in results:
        paper = by_key[result.key]
        assert result.citation_count == paper.citation_count
        assert result.counts_by_year == paper.counts_by_year
        assert result.external_id == paper.openalex_id


def test_merged_preprint_comes_back_under_the_journal_doi(monkeypatch):
    merged = FakePaper(
        s2_id="a" * 40,
        corpus_id=7,
        title="Merged",
        authors=["A B"],
        year=2024,
        arxiv_id="2410.12178",
        doi="10.18653/v1/2024.emnlp-main.78",
        citation_count=14,
        openalex_id="W77",
        openalex_merged=True,
    )
    with FakeApiServer([merged], enforce_limits=False) as server:
        openalex = source(monkeypatch, server.api_url("openalex"))
        # the work knows only its arXiv id: asked by the arXiv DOI, answered under the
        # journal DOI; matched through the arXiv landing page among the locations
        (only_arxiv,) = openalex.fetch_batch([ref("mb", "2410.12178")])
        assert "10.48550/arxiv.2410.12178" in unquote(server.log[-1].query).lower()
        # a work that knows both ids is asked by the journal DOI
        (both,) = openalex.fetch_batch([ref("mb2", "2410.12178", merged.doi)])
    for result in (only_arxiv, both):
        assert result.status == "found"
        assert result.citation_count == 14
        assert result.external_id == "W77"
    assert only_arxiv.external_ids["doi"] == "10.18653/v1/2024.emnlp-main.78"  # learned


def test_a_result_is_matched_by_ids_not_by_position(monkeypatch):
    papers = make_papers(12)
    with FakeApiServer(papers, enforce_limits=False) as server:
        openalex = source(monkeypatch, server.api_url("openalex"))
        works = list(reversed(refs_for(papers))) + [ref("ghost", doi="10.9999/ghost")]
        results = openalex.fetch_batch(works)
    by_key = {p.key: p for p in papers}
    assert results[-1].status == "not_found"
    for result in results[:-1]:
        assert result.external_id == by_key[result.key].openalex_id


def test_missing_key_on_the_server_side_is_a_clear_error(monkeypatch):
    with FakeApiServer(make_papers(3), enforce_limits=False) as server:
        openalex = source(monkeypatch, server.api_url("openalex"), key=None)
        with pytest.raises(SourceError, match="HTTP 401.*API key required"):
            openalex.fetch_batch(refs_for(server.catalogue.papers))


@pytest.mark.parametrize("kind", ["429", "status", "reset", "truncate", "malformed", "slow"])
def test_faults_are_ridden_out_and_the_key_never_shown(monkeypatch, kind):
    papers = make_papers(6)
    with FakeApiServer(papers, enforce_limits=False, openalex_api_key=KEY) as server:
        openalex = source(monkeypatch, server.api_url("openalex"), timeout=0.3)
        options = {"delay": 0.6} if kind == "slow" else {}
        server.inject("openalex", kind, times=3, **options)
        results = openalex.fetch_batch(refs_for(papers))
        assert all(r.status == "found" for r in results)
        assert server.count("openalex") == 4
        server.inject("openalex", kind, times=None, **options)
        with pytest.raises(SourceError) as info:
            openalex.fetch_batch(refs_for(papers))
        server.clear_faults()
    assert KEY not in str(info.value)
    assert "api_key=***" in str(info.value)
