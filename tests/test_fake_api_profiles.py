"""The fake API's profile endpoints: shapes, paging, namesakes, rate limits."""

from __future__ import annotations

import requests

from pubtrack.sources import dblp, orcid, semantic_scholar
from pubtrack.sources.http import HttpClient
from pubtrack.testing.fake_api import OWNER, FakeApiServer, make_owner_catalogue


def test_profiles_list_the_owner_namesakes_and_a_stranger():
    catalogue = make_owner_catalogue(6, seed=2)
    with FakeApiServer(catalogue, time_scale=0.01) as fake:
        http = HttpClient(max_attempts=2)
        for api in ("semantic_scholar", "orcid", "dblp"):
            http.limiter(api, 0.02)  # above the scaled limits: no 429 to retry
        works = orcid.fetch_works(http, fake.api_url("orcid"), OWNER["orcid"])
        assert len(works) == 7  # 6 with ids + 1 only ORCID knows (title only)
        (only,) = [w for w in works if not w.doi and not w.arxiv]
        (full,) = orcid.fetch_bulk(http, fake.api_url("orcid"), OWNER["orcid"], only.put_codes)
        assert [p.display for p in full.authors] == ["Alec Thomson", "Ingrid Bergström"]
        assert full.authors[0].ids == {"orcid": OWNER["orcid"]}
        both = [w for w in works if w.doi and w.arxiv]
        assert both  # a published preprint: one group, both ids
        name, records = dblp.fetch_person(http, fake.api_url("dblp"), OWNER["dblp"])
        assert name == OWNER["name"] and len(records) == 7
        assert (
            sum(
                1 for r in records if not any(p.ids.get("dblp") == OWNER["dblp"] for p in r.authors)
            )
            == 1
        )
        semantic_scholar.AUTHOR_PAGE, old = 4, semantic_scholar.AUTHOR_PAGE
        try:
            papers = semantic_scholar.author_papers(http, fake.api_url("s2"), OWNER["s2"])
        finally:
            semantic_scholar.AUTHOR_PAGE = old
        assert len(papers) == 8  # 6 + 2 of the merged namesake, over 2 pages
        assert fake.endpoint_counts["semantic_scholar GET /author/{id}/papers"] == 2
        json_accept = {"Accept": "application/json"}
        missing = requests.get(
            f"{fake.api_url('orcid')}/0000-0001-5109-3700/works", headers=json_accept, timeout=5
        )
        assert missing.status_code == 404 and missing.json()["error-code"] == 9016
        # Like ORCID, XML unless JSON is asked for: the HTTP layer's polite headers matter.
        xml = requests.get(f"{fake.api_url('orcid')}/{OWNER['orcid']}/works", timeout=5)
        assert xml.headers["Content-Type"].startswith("application/vnd.orcid+xml")
        first_orcid = next(r for r in fake.log if r.api == "orcid")  # pubtrack's, above
        assert first_orcid.user_agent.startswith("pubtrack/") and first_orcid.status == 200


def test_openalex_cursor_pages_and_new_api_rate_limits():
    catalogue = make_owner_catalogue(5, seed=3)
    with FakeApiServer(catalogue, time_scale=1.0, openalex_requires_key=False) as fake:
        url = f"{fake.api_url('openalex')}/works"
        first = requests.get(
            url,
            params={"filter": f"author.id:{OWNER['openalex']}", "per_page": 2, "cursor": "*"},
            timeout=5,
        ).json()
        assert len(first["results"]) == 2 and first["meta"]["next_cursor"]
        # dblp allows about one request a second: a burst gets 429 with Retry-After.
        statuses = [
            requests.get(f"{fake.api_url('dblp')}/pid/{OWNER['dblp']}.xml", timeout=5)
            for _ in range(3)
        ]
        assert statuses[0].status_code == 200
        assert any(r.status_code == 429 and r.headers.get("Retry-After") for r in statuses[1:])
