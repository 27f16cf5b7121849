"""Semantic Scholar: recorded real answers, then the fake server (batching, faults, title match)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FakeTime
from pubtrack.config import Config, SourceSettings, SyncSettings
from pubtrack.errors import RateLimitedError, SourceError
from pubtrack.models import Identifiers
from pubtrack.sources.base import WorkRef
from pubtrack.sources.http import HttpClient
from pubtrack.sources.semantic_scholar import SemanticScholar
from pubtrack.testing.fake_api import (
    FakeApiServer,
    FakePaper,
    ReplayServer,
    Reply,
    make_papers,
    read_cassette,
)


def source(monkeypatch, url: str, *, fast: bool = True, **settings) -> SemanticScholar:
    monkeypatch.setenv("PUBTRACK_S2_API_URL", url)
    config = Config(
        root=Path("."), sync=SyncSettings(tables={"semantic_scholar": SourceSettings(**settings)})
    )
    if fast:
        t = FakeTime()
        http = HttpClient(config, sleep=t.sleep, clock=t.clock)
    else:
        http = HttpClient(config)
    return SemanticScholar(config, http)


def ref(key: str, title: str = "", authors=(), year=None, **ids) -> WorkRef:
    return WorkRef(key, Identifiers(**ids), title, list(authors), year)


def ref_for(paper: FakePaper, *, with_ids: bool = True) -> WorkRef:
    ids = {}
    if with_ids:
        ids = {"arxiv": paper.arxiv_id, "doi": paper.doi}
    return ref(paper.key, paper.title, paper.authors, paper.year, **ids)


# -- recorded real answers ----------------------------------------------------------


def test_recorded_batch_with_unknown_id(corpora_api, monkeypatch):
    (recorded,) = read_cassette(corpora_api / "test_get_papers_return_not_found.yaml")
    routes = {("POST", "/graph/v1/paper/batch"): Reply(200, recorded.body.encode())}
    with ReplayServer(routes) as replay:
        s2 = source(monkeypatch, replay.url + "/graph/v1")
        works = [
            ref("unknown", corpus_id="211530585"),
            ref("trust", corpus_id="470667"),
            ref("miracle", doi="10.2139/SSRN.2250500"),
            ref("audits", semantic_scholar="0f40b1f08821e22e859c6050916cec3667778613"),
        ]
        results = s2.fetch_batch(works)
        sent = replay.requests[0]
    # one POST with the ids in the forms S2 takes, in input order (the recording
    # sent the DOI bare; the prefixed form is the documented one)
    assert json.loads(sent["body"])["ids"] == [
        "CorpusId:211530585",
        "CorpusId:470667",
        "DOI:10.2139/ssrn.2250500",
        "0f40b1f08821e22e859c6050916cec3667778613",
    ]
    assert len(json.loads(recorded.request_body)["ids"]) == 4
    assert "citationCount" in sent["query"]["fields"][0]
    assert [r.key for r in results] == ["unknown", "trust", "miracle", "audits"]
    assert results[0].status == "not_found"
    trust = results[1]
    assert trust.status == "found"
    assert trust.external_id == "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce"
    assert trust.citation_count == 10670
    assert trust.influential == 578
    assert trust.external_ids == {
        "semantic_scholar": "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce",
        "doi": "10.2139/ssrn.288970",
        "corpus_id": "470667",
    }
    assert trust.data["year"] == 2001
    assert trust.data["publication_date"] == "2001-10-01"
    assert trust.data["pdf_url"] == "http://papers.nber.org/papers/w8841.pdf"
    assert trust.data["journal"] == "Experimental & Empirical Studies eJournal"
    assert trust.data["authors"][:2] == ["Marianne Bertrand", "E. Duflo"]
    assert "venue" not in trust.data  # "" in the answer: nothing worth keeping
    audits = results[3]
    assert audits.citation_count == 0  # a real zero, not a missing count
    assert audits.influential == 0
    assert "pdf_url" not in audits.data and "journal" not in audits.data  # nulls stay out
    assert audits.external_ids["doi"] == "10.1257/rct.1355"


def test_recorded_title_match_without_authors_is_not_accepted(corpora_api, monkeypatch):
    """The recorded match answer carries only the title: no author overlap can be shown."""
    (recorded,) = read_cassette(corpora_api / "test_search_paper_match_title.yaml")
    routes = {("GET", "/graph/v1/paper/search/match"): Reply(200, recorded.body.encode())}
    with ReplayServer(routes) as replay:
        s2 = source(monkeypatch, replay.url + "/graph/v1")
        work = ref(
            "agrawal93",
            "Mining association rules between sets of items in large databases",
            ["Rakesh Agrawal", "Tomasz Imielinski", "Arun Swami"],
            1993,
        )
        (result,) = s2.resolve_unidentified([work])
        query = replay.requests[0]["query"]
    assert query["query"] == ["Mining association rules between sets of items in large databases"]
    assert result.status == "unresolved"
    assert "no author in common" in result.data["reason"]


def test_recorded_404_is_unresolved(corpora_api, monkeypatch):
    recorded = read_cassette(corpora_api / "test_not_found.yaml")[0]
    assert recorded.status == 404
    routes = {("GET", "/graph/v1/paper/search/match"): Reply(404, recorded.body.encode())}
    with ReplayServer(routes) as replay:
        s2 = source(monkeypatch, replay.url + "/graph/v1")
        (result,) = s2.resolve_unidentified([ref("x", "Some title nobody wrote", ["A B"], 2020)])
    assert result.status == "unresolved"


def test_recorded_400_error_message_is_shown(corpora_api, monkeypatch):
    (recorded,) = read_cassette(corpora_api / "test_bad_query_parameters.yaml")
    routes = {("POST", "/graph/v1/paper/batch"): Reply(400, recorded.body.encode())}
    with ReplayServer(routes) as replay:
        s2 = source(monkeypatch, replay.url + "/graph/v1")
        with pytest.raises(SourceError, match="HTTP 400.*Unrecognized or unsupported fields"):
            s2.fetch_batch([ref("a", corpus_id="1")])
        assert len(replay.requests) == 1  # a 400 is not retried


# -- lookup ids ---------------------------------------------------------------------


def test_lookup_id_prefers_s2_id_then_doi_then_arxiv(monkeypatch):
    s2 = source(monkeypatch, "http://127.0.0.1:9")
    sha = "0f40b1f08821e22e859c6050916cec3667778613"
    assert s2.lookup_id(ref("a", semantic_scholar=sha, doi="10.1/x", arxiv="2410.12178")) == sha
    assert s2.lookup_id(ref("b", doi="10.1234/X", arxiv="2410.12178")) == "DOI:10.1234/x"
    assert s2.lookup_id(ref("c", arxiv="2410.12178")) == "ARXIV:2410.12178"
    # the arXiv DOI is an arXiv id, not the published version's DOI
    assert s2.lookup_id(ref("d", doi="10.48550/arXiv.2410.12178")) == "ARXIV:2410.12178"
    assert s2.lookup_id(ref("e", corpus_id="470667")) == "CorpusId:470667"
    assert s2.lookup_id(ref("f", title="No ids")) is None


# -- the fake server -------------------------------------------------------------------


@pytest.fixture
def papers() -> list[FakePaper]:
    return make_papers(600, seed=3)


def test_500_works_are_one_request(monkeypatch, papers):
    with FakeApiServer(papers, time_scale=0.01) as server:
        s2 = source(monkeypatch, server.api_url("s2"), min_interval=0.011, fast=False)
        works = [ref_for(p) for p in papers if p.arxiv_id or p.doi][:500]
        results = s2.fetch_batch(works)
        assert server.count("s2") == 1
        assert server.log[0].ids == 500
    by_key = {p.key: p for p in papers}
    assert all(r.status == "found" for r in results)
    for result in results[:50]:
        paper = by_key[result.key]
        assert result.external_id == paper.s2_id
        assert result.citation_count == paper.citation_count
        assert result.external_ids["corpus_id"] == str(paper.corpus_id)
        if paper.arxiv_id:
            assert result.external_ids["arxiv"] == paper.arxiv_id
        if paper.doi:
            assert result.external_ids["doi"] == paper.doi
        else:
            assert "doi" not in result.external_ids  # S2 lists the arXiv DOI; not a DOI here


def test_batches_keep_the_rate_limit(monkeypatch, papers):
    """1,200 works in batches of 500 with the real limit scaled: 3 requests, no 429."""
    many = papers + make_papers(600, seed=4)
    with FakeApiServer(many, time_scale=0.02) as server:
        # Twice the scaled interval: the server measures arrivals, the client
        # departures, and a loaded machine delays one more than the other.
        s2 = source(monkeypatch, server.api_url("s2"), min_interval=0.04, fast=False)
        works = [ref_for(p) for p in many if p.arxiv_id or p.doi]
        for start in range(0, len(works), s2.batch_size):
            s2.fetch_batch(works[start : start + s2.batch_size])
        assert server.count("s2") == -(-len(works) // 500)
        assert server.count("s2", 429) == 0


def test_unknown_ids_are_not_found(monkeypatch, papers):
    with FakeApiServer(papers[:5], enforce_limits=False) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        results = s2.fetch_batch(
            [ref_for(papers[0]), ref("ghost", doi="10.9999/nothing"), ref_for(papers[1])]
        )
    assert [r.status for r in results] == ["found", "not_found", "found"]


def test_api_key_is_sent_as_header_and_never_shown(monkeypatch, papers):
    monkeypatch.setenv("S2_API_KEY", "s2-key-123456")
    with FakeApiServer(papers[:3], s2_api_key="s2-key-123456", enforce_limits=False) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        assert s2.fetch_batch([ref_for(papers[0])])[0].status == "found"
        assert server.log[0].api_key
        assert "s2-key-123456" not in repr(s2)
        server.inject("s2", "status", times=None, status=500)
        with pytest.raises(SourceError) as info:
            s2.fetch_batch([ref_for(papers[0])])
        assert "s2-key-123456" not in str(info.value)


def test_wrong_api_key_is_a_clear_error(monkeypatch, papers):
    monkeypatch.setenv("S2_API_KEY", "wrong-key-0000")
    with FakeApiServer(papers[:3], s2_api_key="right-key", enforce_limits=False) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        with pytest.raises(SourceError, match="HTTP 403.*check the API key") as info:
            s2.fetch_batch([ref_for(papers[0])])
        assert "wrong-key-0000" not in str(info.value)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("429", {}),
        ("429", {"retry_after": "2"}),
        ("status", {"status": 500}),
        ("status", {"status": 503}),
        ("reset", {}),
        ("truncate", {}),
        ("malformed", {}),
    ],
)
def test_fault_bursts_are_ridden_out(monkeypatch, papers, kind, options):
    with FakeApiServer(papers[:10], enforce_limits=False) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        server.inject("s2", kind, times=3, **options)
        results = s2.fetch_batch([ref_for(p) for p in papers[:10] if p.arxiv_id or p.doi])
        assert all(r.status == "found" for r in results)
        assert server.count("s2") == 4


def test_persistent_429_is_a_rate_limited_error(monkeypatch, papers):
    with FakeApiServer(papers[:3], enforce_limits=False) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        server.inject("s2", "429", times=None)
        with pytest.raises(
            RateLimitedError, match=r"semantic_scholar: HTTP 429 .* after 5 attempts"
        ):
            s2.fetch_batch([ref_for(papers[0])])


def test_keyless_random_429s_are_absorbed(monkeypatch, papers):
    with FakeApiServer(papers[:40], enforce_limits=False, s2_keyless_429=0.3, seed=5) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        works = [ref_for(p) for p in papers[:40] if p.arxiv_id or p.doi]
        for i in range(0, len(works), 5):
            assert all(r.status == "found" for r in s2.fetch_batch(works[i : i + 5]))
        assert server.count("s2", 429) >= 1


# -- title match ---------------------------------------------------------------------------


def title_server(*papers: FakePaper) -> FakeApiServer:
    return FakeApiServer(list(papers), enforce_limits=False)


def paper(title: str, authors: list[str], year: int, n: int = 1) -> FakePaper:
    return FakePaper(
        s2_id=f"{n:040x}", corpus_id=n, title=title, authors=authors, year=year, doi=f"10.5555/{n}"
    )


TRUE = paper(
    "Model Balancing Helps Low-data Training and Fine-tuning", ["Zihang Liu", "Yuanzhe Hu"], 2024
)


def test_title_match_accepted_when_title_authors_and_year_agree(monkeypatch):
    with title_server(TRUE) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        work = ref(
            "mb", "Model balancing helps low-data training and fine-tuning.", ["Liu, Zihang"], 2025
        )
        (result,) = s2.resolve_unidentified([work])
        assert server.endpoint_counts["semantic_scholar GET /paper/search/match"] == 1
    assert result.status == "found"
    assert result.external_id == TRUE.s2_id
    assert result.external_ids["doi"] == "10.5555/1"
    assert result.data["matched_by"] == "title"


def test_title_match_rejected_without_author_overlap(monkeypatch):
    with title_server(TRUE) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        work = ref("mb", TRUE.title, ["Somebody Else", "Another Person"], 2024)
        (result,) = s2.resolve_unidentified([work])
    assert result.status == "unresolved"
    assert "no author in common" in result.data["reason"]
    assert result.citation_count is None


def test_title_match_rejected_when_year_is_off(monkeypatch):
    with title_server(TRUE) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        (result,) = s2.resolve_unidentified([ref("mb", TRUE.title, ["Zihang Liu"], 2021)])
    assert result.status == "unresolved"
    assert "year 2024 does not fit 2021" in result.data["reason"]


def test_title_match_rejected_when_title_differs(monkeypatch):
    other = paper("Model Balancing Helps Low-data Training", ["Zihang Liu"], 2024, n=2)
    with title_server(other) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        (result,) = s2.resolve_unidentified(
            [
                ref(
                    "mb",
                    "Model Balancing Helps Low-data Training and Fine-tuning",
                    ["Zihang Liu"],
                    2024,
                )
            ]
        )
    assert result.status == "unresolved"
    assert "title similarity" in result.data["reason"]


def test_no_title_match_is_unresolved(monkeypatch):
    with title_server(TRUE) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        (result,) = s2.resolve_unidentified(
            [ref("z", "Quantum gravity of penguins", ["A B"], 2020)]
        )
        assert server.count("s2", 404) == 1
    assert result.status == "unresolved"


def test_works_that_could_never_be_accepted_cost_no_request(monkeypatch):
    with title_server(TRUE) as server:
        s2 = source(monkeypatch, server.api_url("s2"))
        results = s2.resolve_unidentified(
            [ref("no-authors", TRUE.title, [], 2024), ref("short", "Notes", ["Zihang Liu"], 2024)]
        )
        assert server.count("s2") == 0
    assert [r.status for r in results] == ["unresolved", "unresolved"]
    assert results[0].data["reason"] == "no authors to compare"
