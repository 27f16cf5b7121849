"""The fake API server: real response shapes, rate limits, faults, control API, subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import bibtexparser
import pytest
import requests

from pubtrack.testing.fake_api import (
    FakeApiServer,
    arxiv_entry,
    arxiv_error_feed,
    arxiv_feed,
    make_papers,
    openalex_work,
    read_arxiv_recording,
    read_cassette,
    s2_paper,
    write_bib,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def get(url: str, **params):
    return requests.get(url, params=params, timeout=5)


# -- shapes against the recordings ------------------------------------------------------------


def _kind(value) -> str:
    return type(value).__name__


def test_s2_paper_shape_matches_the_recording(corpora_api):
    (recorded,) = read_cassette(corpora_api / "test_get_papers_return_not_found.yaml")
    real = [p for p in json.loads(recorded.body) if p]
    paper = next(p for p in make_papers(8) if p.arxiv_id and p.doi)
    ours = s2_paper(paper, list(real[0]))  # ask for the fields the recording asked for
    real_keys = set().union(*(p.keys() for p in real))
    assert set(ours) <= real_keys
    assert {"paperId", "externalIds", "title", "year", "citationCount", "authors"} <= set(ours)
    for key, value in ours.items():
        seen = {_kind(p[key]) for p in real if key in p}
        assert _kind(value) in seen | {"NoneType"}, key
    assert set(ours["openAccessPdf"]) == set(real[0]["openAccessPdf"])
    assert set(ours["authors"][0]) == set(json.loads(recorded.body)[1]["authors"][0])
    assert set(ours["externalIds"]) <= {"ArXiv", "DOI", "CorpusId", "MAG", "DBLP", "ACL"}


def test_arxiv_feed_shape_matches_the_recording(corpora_api):
    _, _, body = read_arxiv_recording(corpora_api / "q_testing_s0_m10_bc5a6c384fe9.json")
    real = ET.fromstring(body.encode())
    paper = next(p for p in make_papers(8) if p.arxiv_id and p.doi)
    ours = ET.fromstring(arxiv_feed([arxiv_entry(paper)], "id_list=x", 1, 10).encode())
    assert [c.tag for c in ours if c.tag != f"{ATOM}entry"] == [
        c.tag for c in real if c.tag != f"{ATOM}entry"
    ]
    real_tags = {c.tag for entry in real.iter(f"{ATOM}entry") for c in entry}
    our_entry = ours.find(f"{ATOM}entry")
    assert {c.tag for c in our_entry} <= real_tags
    assert our_entry.find(f"{ATOM}id").text.startswith("http://arxiv.org/abs/")
    real_links = {
        tuple(sorted(link.attrib))
        for e in real.iter(f"{ATOM}entry")
        for link in e.iter(f"{ATOM}link")
    }
    assert {tuple(sorted(link.attrib)) for link in our_entry.iter(f"{ATOM}link")} <= real_links


def test_arxiv_error_feed_matches_the_recording(corpora_api):
    _, _, body = read_arxiv_recording(corpora_api / "id_abc_s0_m100_b79c8dcf6bc3.json")
    real = ET.fromstring(body.encode())
    ours = ET.fromstring(arxiv_error_feed("abc").encode())
    assert [c.tag for c in ours] == [c.tag for c in real]
    real_entry, our_entry = real.find(f"{ATOM}entry"), ours.find(f"{ATOM}entry")
    for tag in ("id", "title", "summary"):
        assert our_entry.find(f"{ATOM}{tag}").text == real_entry.find(f"{ATOM}{tag}").text


def test_openalex_work_shape_matches_the_recording(corpora_api):
    real = json.loads((corpora_api / "works.json").read_text())
    paper = next(p for p in make_papers(8) if p.arxiv_id and p.doi)
    ours = openalex_work(paper)
    real_keys = set().union(*(w.keys() for w in real["results"]))
    assert set(ours) <= real_keys
    for key, value in ours.items():
        seen = {_kind(w[key]) for w in real["results"]}
        assert _kind(value) in seen | {"NoneType"}, key
    assert set(ours["counts_by_year"][0]) == set(real["results"][0]["counts_by_year"][0])
    assert set(ours["ids"]) <= set().union(*(w["ids"].keys() for w in real["results"]))
    real_location = real["results"][0]["locations"][0]
    assert set(ours["locations"][0]) <= set(real_location)


def test_openalex_list_and_s2_errors_have_the_real_envelopes(corpora_api):
    real = json.loads((corpora_api / "works.json").read_text())
    not_found = read_cassette(corpora_api / "test_not_found.yaml")[0]
    papers = make_papers(4)
    with FakeApiServer(papers, enforce_limits=False) as server:
        answer = get(
            server.api_url("openalex") + "/works", filter="doi:10.1/x", per_page=5, api_key="k"
        )
        assert set(answer.json()) == set(real)
        assert set(answer.json()["meta"]) == set(real["meta"])
        missing = get(server.api_url("s2") + "/paper/CorpusId:1", fields="title")
        assert missing.status_code == 404
        assert set(missing.json()) == set(json.loads(not_found.body)) == {"error"}


# -- API behaviour -------------------------------------------------------------------------------


@pytest.fixture
def papers():
    return make_papers(30, seed=1)


def test_one_catalogue_answers_consistently_across_apis(papers):
    paper = next(p for p in papers if p.arxiv_id and p.doi and not p.openalex_merged)
    with FakeApiServer(papers, enforce_limits=False) as server:
        s2 = requests.post(
            server.api_url("s2") + "/paper/batch",
            params={"fields": "citationCount,externalIds"},
            json={"ids": [f"ARXIV:{paper.arxiv_id}", f"DOI:{paper.doi.upper()}"]},
            timeout=5,
        ).json()
        oa = get(
            server.api_url("openalex") + "/works",
            filter=f"doi:{paper.doi}",
            per_page=5,
            api_key="k",
        )
        cr = get(server.api_url("crossref") + f"/works/{paper.doi}")
        ax = get(server.api_url("arxiv"), id_list=paper.arxiv_id, max_results=1)
    assert s2[0] == s2[1]
    assert s2[0]["citationCount"] == paper.citation_count
    assert oa.json()["results"][0]["cited_by_count"] == paper.citation_count
    assert cr.json()["message"]["is-referenced-by-count"] == paper.citation_count
    assert paper.doi in ax.text


def test_s2_limits_batch_size_and_fields(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        url = server.api_url("s2") + "/paper/batch"
        too_many = requests.post(
            url, params={"fields": "title"}, json={"ids": ["x"] * 501}, timeout=5
        )
        assert too_many.status_code == 400 and "error" in too_many.json()
        unknown = requests.post(url, params={"fields": "nope"}, json={"ids": []}, timeout=5)
        assert unknown.json() == {"error": "Unrecognized or unsupported fields: [nope]"}


def test_s2_rate_limit_answers_429_with_message(papers):
    with FakeApiServer(papers, time_scale=0.5) as server:  # 1 request per 500 ms
        url = server.api_url("s2") + "/paper/batch"
        first = requests.post(url, params={"fields": "title"}, json={"ids": []}, timeout=5)
        second = requests.post(url, params={"fields": "title"}, json={"ids": []}, timeout=5)
        time.sleep(0.55)
        third = requests.post(url, params={"fields": "title"}, json={"ids": []}, timeout=5)
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["message"].startswith("Too Many Requests")
    assert third.status_code == 200


def test_arxiv_one_connection_at_a_time(papers):
    with FakeApiServer(papers, time_scale=0.001) as server:
        server.inject("arxiv", "slow", times=1, delay=0.4)
        slow = threading.Thread(target=get, args=(server.api_url("arxiv"),), kwargs={"id_list": ""})
        slow.start()
        time.sleep(0.1)
        second = get(server.api_url("arxiv"), id_list="")
        slow.join()
    assert second.status_code == 503
    assert server.count("arxiv", 503) == 1


def test_arxiv_interval_and_default_page_size(papers):
    ids = ",".join(p.arxiv_id for p in papers if p.arxiv_id)
    with FakeApiServer(papers, time_scale=0.3) as server:  # one request per 900 ms
        default = get(server.api_url("arxiv"), id_list=ids)
        too_soon = get(server.api_url("arxiv"), id_list=ids)
    root = ET.fromstring(default.content)
    assert len(root.findall(f"{ATOM}entry")) == 10  # arXiv's default max_results
    assert too_soon.status_code == 429


def test_arxiv_malformed_id_gives_the_error_feed(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        answer = get(server.api_url("arxiv"), id_list=f"{papers[0].arxiv_id},abc")
    assert answer.status_code == 400
    assert "incorrect id format for abc" in answer.text


def test_openalex_needs_a_key_and_caps_filters(papers):
    with FakeApiServer(papers, enforce_limits=False, openalex_api_key="good") as server:
        url = server.api_url("openalex") + "/works"
        assert get(url, filter="doi:10.1/x", per_page=5).status_code == 401
        assert get(url, filter="doi:10.1/x", per_page=5, api_key="bad").status_code == 403
        many = "|".join(f"10.5555/{i}" for i in range(101))
        assert get(url, filter=f"doi:{many}", per_page=100, api_key="good").status_code == 400
        assert get(url, filter="doi:10.1/x", per_page=200, api_key="good").status_code == 400


def test_openalex_counts_requests_per_second(papers):
    """10 per second: a burst of 10 passes, the 11th within the second is refused."""
    with FakeApiServer(papers, time_scale=0.5, openalex_requires_key=False) as server:
        assert server.limits["openalex"] == (10, 0.5)
        url = server.api_url("openalex") + "/works"
        codes = [get(url, filter="doi:10.1/x", per_page=5).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


def test_crossref_404_is_plain_text(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        answer = get(server.api_url("crossref") + "/works/10.48550/arxiv.2410.12178")
    assert answer.status_code == 404
    assert answer.text == "Resource not found."


def test_time_scale_shortens_every_interval(papers):
    server = FakeApiServer(papers, time_scale=0.01)
    assert server.intervals == {
        "semantic_scholar": 0.01,
        "arxiv": 0.03,
        "openalex": 0.001,
        "crossref": 0.001,
        "orcid": pytest.approx(0.01 / 24),
        "dblp": 0.01,
        "datacite": 0.001,
    }


def test_counts_per_api_and_endpoint(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        get(server.api_url("crossref") + "/works/10.1/a")
        get(server.api_url("crossref") + "/works/10.1/b")
        requests.post(server.api_url("s2") + "/paper/batch", json={"ids": []}, timeout=5)
        assert server.request_counts == {"crossref": 2, "semantic_scholar": 1}
        assert server.endpoint_counts["crossref GET /works/{doi}"] == 2
        assert server.endpoint_counts["semantic_scholar POST /paper/batch"] == 1
        assert [r.method for r in server.log] == ["GET", "GET", "POST"]
        server.reset_counts()
        assert server.count("crossref") == 0


# -- faults ---------------------------------------------------------------------------------------


def test_fault_queue_applies_in_order_then_answers_normally(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        url = server.api_url("crossref") + f"/works/{papers[1].doi}"
        server.inject("crossref", "429", times=1, retry_after="3")
        server.inject("crossref", "status", times=2, status=502)
        answers = [get(url) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 502, 502, 200]
    assert answers[0].headers["Retry-After"] == "3"


@pytest.mark.parametrize("kind", ["reset", "down"])
def test_connection_faults_close_without_an_answer(papers, kind):
    with FakeApiServer(papers, enforce_limits=False) as server:
        server.inject("crossref", kind, times=1)
        with pytest.raises(requests.ConnectionError):
            get(server.api_url("crossref") + "/works/10.1/x")
        assert server.log[-1].status == 0


def test_truncated_and_malformed_bodies(papers):
    with FakeApiServer(papers, enforce_limits=False) as server:
        server.inject("s2", "truncate", times=1)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.post(server.api_url("s2") + "/paper/batch", json={"ids": []}, timeout=5)
        server.inject("s2", "malformed", times=1)
        bad = requests.post(server.api_url("s2") + "/paper/batch", json={"ids": []}, timeout=5)
        assert bad.status_code == 200
        with pytest.raises(ValueError):
            bad.json()
        server.inject("arxiv", "malformed", times=1)
        with pytest.raises(ET.ParseError):
            ET.fromstring(get(server.api_url("arxiv"), id_list="").content)


def test_probability_rule_hits_some_requests(papers):
    with FakeApiServer(papers, enforce_limits=False, seed=3) as server:
        server.inject("crossref", "status", times=None, status=500, probability=0.5)
        codes = [get(server.api_url("crossref") + "/works/10.1/x").status_code for _ in range(30)]
    assert 5 < codes.count(500) < 25
    assert codes.count(404) == 30 - codes.count(500)


def test_unknown_fault_kind_is_refused(papers):
    with pytest.raises(ValueError, match="unknown fault kind"):
        FakeApiServer(papers).inject("s2", "explode")


def test_set_citations_changes_every_api(papers):
    paper = next(p for p in papers if p.doi)
    with FakeApiServer(papers, enforce_limits=False) as server:
        before = paper.citation_count
        assert server.set_citations({paper.doi: before + 5}) == 1
        cr = get(server.api_url("crossref") + f"/works/{paper.doi}").json()
        assert cr["message"]["is-referenced-by-count"] == before + 5
        server.set_citations(bump=2)
        s2 = requests.post(
            server.api_url("s2") + "/paper/batch",
            params={"fields": "citationCount"},
            json={"ids": [f"CorpusId:{paper.corpus_id}"]},
            timeout=5,
        ).json()
        assert s2[0]["citationCount"] == before + 7
        this_year = time.gmtime().tm_year
        assert paper.counts_by_year[this_year] >= 7


# -- control API and subprocess ---------------------------------------------------------------


def test_control_api(papers):
    paper = next(p for p in papers if p.doi)
    with FakeApiServer(papers, enforce_limits=False) as server:
        control = server.url + "/_control"
        answer = requests.post(
            control + "/faults",
            json={"api": "crossref", "kind": "status", "status": 503},
            timeout=5,
        )
        assert answer.json() == {"ok": True, "queued": 1}
        assert get(server.api_url("crossref") + f"/works/{paper.doi}").status_code == 503
        requests.post(control + "/citations", json={"counts": {paper.doi: 999}}, timeout=5)
        ok = get(server.api_url("crossref") + f"/works/{paper.doi}")
        assert ok.json()["message"]["is-referenced-by-count"] == 999
        stats = requests.get(control + "/stats", timeout=5).json()
        assert stats["requests"] == {"crossref": 2}
        assert stats["statuses"]["crossref"] == {"503": 1, "200": 1}
        assert len(stats["log"]) == 2
        requests.post(
            control + "/faults", json={"api": "arxiv", "kind": "down", "times": None}, timeout=5
        )
        requests.delete(control + "/faults", timeout=5)
        assert get(server.api_url("arxiv"), id_list="").status_code == 200
        bad = requests.post(control + "/faults", json={"api": "nope", "kind": "down"}, timeout=5)
        assert bad.status_code == 400


def test_subprocess_mode(tmp_path):
    bib = tmp_path / "papers.bib"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pubtrack.testing.fake_api",
            "--port",
            "0",
            "--papers",
            "6",
            "--time-scale",
            "0.01",
            "--bib",
            str(bib),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        env = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(1))
        assert url.startswith("http://127.0.0.1:")
        assert env["PUBTRACK_S2_API_URL"] == url + "/s2/graph/v1"
        stats = requests.get(url + "/_control/stats", timeout=5).json()
        assert stats["requests"] == {}
        assert bib.read_text().count("@") == 6
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


# -- catalogue helpers ---------------------------------------------------------------


def test_make_papers_is_deterministic_and_varied():
    a, b = make_papers(200, seed=7), make_papers(200, seed=7)
    assert [p.title for p in a] == [p.title for p in b]
    assert len({p.title for p in a}) == 200
    assert len({p.s2_id for p in a}) == 200
    assert any(p.arxiv_id and not p.doi for p in a)
    assert any(p.doi and not p.arxiv_id for p in a)
    assert any(p.openalex_merged for p in a)
    assert any(not p.bib_ids for p in a)


def test_write_bib_round_trips_through_bibtexparser(tmp_path):
    papers = make_papers(60)
    path = write_bib(papers, tmp_path / "bib" / "fake.bib")
    library = bibtexparser.parse_string(path.read_text(encoding="utf-8"))
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert set(entries) == {p.key for p in papers}
    for paper in papers:
        fields = {f.key: f.value for f in entries[paper.key].fields}
        assert fields["title"] == paper.title
        assert ("eprint" in fields) == bool(paper.arxiv_id and "arxiv" in paper.bib_ids)
        assert ("doi" in fields) == bool(paper.doi and "doi" in paper.bib_ids)


def test_cassettes_of_both_vcr_dialects_are_read_with_yaml(tmp_path):
    """VCR.py (`interactions`, status code or status_code) and Ruby VCR
    (`http_interactions`, block-scalar bodies, nested status_code) alike."""
    python_vcr = tmp_path / "py.yaml"
    python_vcr.write_text(
        "interactions:\n"
        "- request:\n    body: null\n    method: GET\n    uri: https://api.example/p/1\n"
        "  response:\n    body:\n      string: '{\"a\": 1,\n\n        \"b\": ''x''}'\n"
        "    status:\n      code: 404\n      message: Not Found\n"
        "- request:\n    body: '{\"ids\": [1]}'\n    method: POST\n    uri: https://api.example/b\n"
        "  response:\n    content: '[]'\n    status_code: 200\n"
    )
    ruby_vcr = tmp_path / "rb.yml"
    ruby_vcr.write_text(
        "http_interactions:\n"
        "- request:\n    method: get\n    uri: https://pub.example/v3/x\n"
        "    body:\n      encoding: ''\n      string: ''\n"
        "  response:\n    status:\n      status_code: '404'\n      message: Not Found\n"
        "    body:\n      encoding: UTF-8\n      string: |-\n"
        '        {\n          "code" : 404\n        }\n'
        "recorded_with: vcr/1.0\n"
    )
    first, second = read_cassette(python_vcr)
    assert (first.method, first.status, first.body) == ("GET", 404, '{"a": 1,\n"b": \'x\'}')
    assert (second.method, second.status, second.request_body) == ("POST", 200, '{"ids": [1]}')
    (only,) = read_cassette(ruby_vcr)
    assert (only.method, only.status, only.uri) == ("GET", 404, "https://pub.example/v3/x")
    assert json.loads(only.body) == {"code": 404}


# -- the APIs it serves come from the registries ----------------------------------------


def test_the_fake_serves_every_registered_builtin_api() -> None:
    from pubtrack.sources.registry import lookup_apis, registry
    from pubtrack.testing.fake_api import API_NAMES, builtin_apis, unsupported_apis

    with_url = [c for c in [*registry(), *lookup_apis()] if c.default_url]
    builtins = [c.name for c in with_url if c.__module__.startswith("pubtrack.")]
    assert list(API_NAMES) == builtins == [c.name for c in builtin_apis()]
    assert {"semantic_scholar", "arxiv", "openalex", "crossref", "orcid", "dblp"} <= set(builtins)
    assert "google_scholar" not in API_NAMES  # no URL: scholarly, not HTTP
    assert unsupported_apis() == []
    with FakeApiServer(make_papers(2)) as server:
        env = server.env()
        # each advertised variable is the registry's, and points at a prefix it answers
        assert set(env) == {c.url_env for c in with_url if c.name in builtins}
        for cls in with_url:
            if cls.name in builtins:
                assert env[cls.url_env] == server.api_url(cls.name)
                answer = requests.get(env[cls.url_env] + "/no/such/endpoint", timeout=5)
                assert "no fake API at" not in answer.text


def test_a_new_builtin_api_cannot_be_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    from pubtrack.sources.base import LookupApi
    from pubtrack.sources.registry import LookupRegistry, lookup_apis
    from pubtrack.testing.fake_api import catalogue, server, unsupported_apis

    class NewApi(LookupApi):
        name = "newapi"
        label = "New API"
        default_url = "https://new.example/v1"
        url_env = "PUBTRACK_NEWAPI_API_URL"

    NewApi.__module__ = "pubtrack.sources.newapi"  # as a built-in would be
    monkeypatch.setattr(catalogue, "lookup_apis", lambda: LookupRegistry((*lookup_apis(), NewApi)))
    assert "newapi" in [c.name for c in catalogue.builtin_apis()]  # on the list at once
    names = [*server.API_NAMES, "newapi"]
    assert unsupported_apis(names) == ["newapi"]  # no handler, no limit yet
    monkeypatch.setattr(server, "API_NAMES", tuple(names))
    with pytest.raises(RuntimeError, match="cannot speak the registered API.*newapi"):
        FakeApiServer(make_papers(1))
    # a plugin (not pubtrack's own module) is not the fake's to serve
    NewApi.__module__ = "pubtrack_newapi"
    assert "newapi" not in [c.name for c in catalogue.builtin_apis()]
