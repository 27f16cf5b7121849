"""OpenAlex: OR-filtered batches of up to 100 DOIs, counts and counts per year.

Needs ``OPENALEX_API_KEY`` (required by OpenAlex since February 2026; sent as
the ``api_key`` query parameter and never shown). arXiv papers are asked by
their DataCite DOI ``10.48550/arxiv.<id>``. OpenAlex may answer a preprint
with the journal work it merged it into, under the journal DOI, so answers
are matched back to works by every id either side has (DOIs, the arXiv id,
the OpenAlex id, arXiv landing pages among the locations), never by the
string that was sent.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from pubtrack.identity import (
    arxiv_doi,
    arxiv_id_from_doi,
    id_keys,
    normalize_arxiv_id,
    normalize_doi,
    normalize_id,
)
from pubtrack.sources.base import Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient, HttpResponse

MAX_FILTER_VALUES = 100
SELECT = (
    "id,doi,ids,title,publication_year,type,cited_by_count,counts_by_year,locations,"
    "primary_location,authorships"
)


class OpenAlex(Source):
    name = "openalex"
    label = "OpenAlex"
    batch_size = 100
    min_interval = 0.1

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.base_url = config.api_url(self.name)
        self.api_key = os.environ.get("OPENALEX_API_KEY", "").strip() or None
        self.http.add_secret(self.api_key)

    def __repr__(self) -> str:
        return f"OpenAlex(base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"

    def skip_reason(self) -> str | None:
        return None if self.api_key else "no OPENALEX_API_KEY"

    def lookup_id(self, work: WorkRef) -> str | None:
        """The OpenAlex id (``openalex = {W…}`` in the bib, or learned), else the
        published DOI, else the arXiv DOI; None without any."""
        openalex = normalize_id("openalex", work.ids.openalex)
        if openalex:
            return openalex
        doi = normalize_doi(work.ids.doi)
        if doi and not arxiv_id_from_doi(doi):
            return doi
        arxiv = normalize_arxiv_id(work.ids.arxiv) or arxiv_id_from_doi(doi)
        return arxiv_doi(arxiv) if arxiv else None

    def asked_ids(self, work: WorkRef, lookup: str | None) -> set[tuple[str, str]]:
        """Records are matched by every id the work has: one must be the record's."""
        return id_keys(work.ids)

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One OR-filter request per id kind (OpenAlex ids, DOIs), 100 values each."""
        wanted = [(w, self.lookup_id(w)) for w in works]
        values = list(dict.fromkeys(v for _, v in wanted if v))
        by_filter = {
            "ids.openalex": [v for v in values if not v.startswith("10.")],
            "doi": [v for v in values if v.startswith("10.")],
        }
        records: list[dict[str, Any]] = []
        for name, chosen in by_filter.items():
            for start in range(0, len(chosen), MAX_FILTER_VALUES):
                chunk = chosen[start : start + MAX_FILTER_VALUES]
                response = self.http.request(
                    self.name,
                    "GET",
                    f"{self.base_url}/works",
                    params={
                        "filter": f"{name}:" + "|".join(chunk),
                        "per_page": MAX_FILTER_VALUES,
                        "select": SELECT,
                        **({"api_key": self.api_key} if self.api_key else {}),
                    },
                    min_interval=self.min_interval,
                    validate=_is_work_list,
                )
                records += [r for r in response.body["results"] if isinstance(r, dict)]
        return match_records(works, records, {w.key: v for w, v in wanted if v})


def _is_work_list(response: HttpResponse) -> None:
    body = response.body
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise ValueError("expected an object with a 'results' list")


def record_key_sets(record: dict[str, Any]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(the record's own ids: its DOI and OpenAlex id; ids its locations point to).

    Locations are weaker: a journal work lists the arXiv preprint among them,
    and the preprint's own record may be in the same answer.
    """
    own: dict[str, list[str]] = {"doi": [], "openalex": []}
    ids = record.get("ids") if isinstance(record.get("ids"), dict) else {}
    for value in (record.get("doi"), ids.get("doi")):
        if isinstance(value, str):
            own["doi"].append(value)
    for value in (record.get("id"), ids.get("openalex")):
        if isinstance(value, str):
            own["openalex"].append(value)
    located: dict[str, list[str]] = {"doi": [], "arxiv": []}
    locations = record.get("locations") or []
    if isinstance(record.get("primary_location"), dict):
        locations = [record["primary_location"], *locations]
    for location in locations if isinstance(locations, list) else []:
        if not isinstance(location, dict):
            continue
        for url in (location.get("landing_page_url"), location.get("pdf_url")):
            if not isinstance(url, str):
                continue
            if "arxiv.org/" in url:
                arxiv = normalize_arxiv_id(url.split("?")[0].removesuffix("/"))
                if arxiv:
                    located["arxiv"].append(arxiv)
            elif "doi.org/" in url:
                located["doi"].append(url)
    strong: set[tuple[str, str]] = set()
    for kind, values in own.items():
        for value in values:
            strong |= id_keys({kind: value})
    weak: set[tuple[str, str]] = set()
    for kind, values in located.items():
        for value in values:
            weak |= id_keys({kind: value})
    return strong, weak - strong


def record_keys(record: dict[str, Any]) -> set[tuple[str, str]]:
    """Every id an OpenAlex work is known by (DOIs, OpenAlex id, arXiv via its locations)."""
    strong, weak = record_key_sets(record)
    return strong | weak


def work_keys(work: WorkRef) -> set[tuple[str, str]]:
    return id_keys(work.ids)


def match_records(
    works: list[WorkRef],
    records: list[dict[str, Any]],
    asked: dict[str, str] | None = None,
) -> list[SourceResult]:
    """Each work's record, whatever the order of the answer.

    A record goes first to the work whose asked id (the DOI or OpenAlex id sent)
    is the record's own, then to a work sharing any of the record's own ids,
    and only then to one its locations point to. So a preprint and its journal
    version answering one OR filter each reach the work whose DOI they carry.
    """
    asked = asked or {}
    indexed = [(record_key_sets(r), r) for r in records]
    results = []
    for work in works:
        mine = work_keys(work)
        ask = id_keys({"openalex": asked[work.key]}) if work.key in asked else set()
        if work.key in asked and not ask:
            ask = id_keys({"doi": asked[work.key]})
        best: tuple[tuple[int, str], dict[str, Any]] | None = None
        for (strong, weak), record in indexed:
            if ask & strong:
                rank = 0
            elif mine & strong:
                rank = 1
            elif mine & weak:
                rank = 2
            else:
                continue
            score = (rank, str(record.get("id") or ""))  # ties: the same pick in any order
            if best is None or score < best[0]:
                best = (score, record)
        results.append(
            record_result(work.key, best[1]) if best else SourceResult(work.key, "not_found")
        )
    return results


def record_result(key: str, record: dict[str, Any]) -> SourceResult:
    openalex_id = normalize_id("openalex", record.get("id"))
    count = record.get("cited_by_count")
    by_year: dict[int, int] = {}
    for row in record.get("counts_by_year") or []:
        if not isinstance(row, dict):
            continue
        year, cited = row.get("year"), row.get("cited_by_count")
        if isinstance(year, int) and isinstance(cited, int) and cited >= 0:
            by_year[year] = cited
    external: dict[str, str] = {}
    if openalex_id:
        external["openalex"] = openalex_id
    doi = normalize_doi(record.get("doi")) if isinstance(record.get("doi"), str) else None
    if doi and arxiv_id_from_doi(doi):
        external["arxiv"] = arxiv_id_from_doi(doi) or ""
    elif doi:
        external["doi"] = doi
    authorships = record.get("authorships") if isinstance(record.get("authorships"), list) else []
    authors = [
        a["author"].get("display_name")
        for a in authorships
        if isinstance(a, dict) and isinstance(a.get("author"), dict)
    ]
    data = {
        "title": record.get("title") or record.get("display_name"),
        "authors": [a for a in authors if isinstance(a, str) and a] or None,
        "year": record.get("publication_year"),
        "type": record.get("type"),
        "openalex_doi": doi,
    }
    return SourceResult(
        key=key,
        status="found",
        external_id=openalex_id,
        citation_count=count,  # as sent: verify.py rejects what is not a count
        counts_by_year=by_year,
        external_ids=external,
        data={k: v for k, v in data.items() if v not in (None, "")},
    )
