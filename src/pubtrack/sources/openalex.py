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
    from collections.abc import Mapping

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
    order = 30
    fetch_order = 30
    id_trust = 40
    record_trust = 40
    default_url = "https://api.openalex.org"
    url_env = "PUBTRACK_OPENALEX_API_URL"
    key_env = "OPENALEX_API_KEY"
    key_required = True
    external_id_kind = "openalex"  # W…
    finds_own_id = True
    default_enabled = True
    batch_size = 100
    min_interval = 0.1

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.api_key = self.env_key()
        self.http.add_secret(self.api_key)

    def __repr__(self) -> str:
        return f"OpenAlex(base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"

    def skip_reason(self) -> str | None:
        return None if self.api_key else f"no {self.key_env}"

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

    @classmethod
    def citing_papers_url(cls, ids: Mapping[str, str | None]) -> str | None:
        work = ids.get("openalex")
        return f"https://openalex.org/works?filter=cites:{work}" if work else None

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
    ids = v if isinstance(v := record.get("ids"), dict) else {}
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
    authorships = v if isinstance(v := record.get("authorships"), list) else []
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


# --------------------------------------------------------------------------
# Metadata for add / import / discover (issue 10).
# --------------------------------------------------------------------------

_OA_TYPES = {
    "article": "article",
    "book-chapter": "incollection",
    "book": "book",
    "dissertation": "phdthesis",
    "report": "techreport",
    "preprint": "misc",
}


def _key_params() -> dict[str, str]:
    key = OpenAlex.env_key()
    return {"api_key": key} if key else {}


def fetch_work(http: HttpClient, base_url: str, openalex_id: str) -> dict | None:
    response = http.request(
        "openalex",
        "GET",
        f"{base_url}/works/{openalex_id}",
        params=_key_params() or None,
        allow_status=(404,),
    )
    return response.body if response.status != 404 and isinstance(response.body, dict) else None


def author_works(http: HttpClient, base_url: str, author_id: str) -> list[dict]:
    """Every work of an OpenAlex author, 100 a page, following ``next_cursor``."""
    works: list[dict] = []
    cursor: str | None = "*"
    while cursor:
        params = {"filter": f"author.id:{author_id}", "per_page": "100", "cursor": cursor}
        response = http.request(
            "openalex",
            "GET",
            f"{base_url}/works",
            params={**params, **_key_params()},
            validate=_is_work_list,
        )
        body = response.body
        works += [w for w in body["results"] if isinstance(w, dict)]
        nxt = (body.get("meta") or {}).get("next_cursor")
        cursor = nxt if isinstance(nxt, str) and nxt and body["results"] else None
    return works


def work_record(work: dict[str, Any]):  # noqa: ANN201 - a works.record.Record
    """A Record from an OpenAlex work (authorships carry OpenAlex author ids and ORCIDs)."""
    from pubtrack.works.record import Person, Record, clean_text

    keys = record_keys(work)
    arxiv = next((v for k, v in sorted(keys) if k == "arxiv"), None)
    doi = normalize_doi(work.get("doi")) if isinstance(work.get("doi"), str) else None
    if doi and arxiv_id_from_doi(doi):
        arxiv, doi = arxiv or arxiv_id_from_doi(doi), None
    authors = []
    for authorship in work.get("authorships") or []:
        author = (authorship or {}).get("author") or {}
        name = str(author.get("display_name") or authorship.get("raw_author_name") or "")
        if not name:
            continue
        ids = {}
        if author.get("id"):
            ids["openalex"] = str(author["id"]).rsplit("/", 1)[-1].upper()
        if author.get("orcid"):
            ids["orcid"] = str(author["orcid"]).rsplit("/", 1)[-1]
        given, _, family = name.rpartition(" ")
        authors.append(Person(given=given, family=family, name=name, ids=ids))
    primary = work.get("primary_location") or {}
    source = primary.get("source") or {}
    venue = str(source.get("display_name") or "")
    kind_raw = str(work.get("type") or "")
    preprint = kind_raw == "preprint" or "arxiv" in venue.lower()
    biblio = work.get("biblio") or {}
    pages = "--".join(p for p in (biblio.get("first_page"), biblio.get("last_page")) if p)
    oa = work.get("best_oa_location") or (work.get("open_access") or {})
    pdf = oa.get("pdf_url") if isinstance(oa, dict) else None
    date = str(work.get("publication_date") or "")
    return Record(
        title=clean_text(work.get("title") or work.get("display_name")),
        authors=authors,
        year=work.get("publication_year")
        if isinstance(work.get("publication_year"), int)
        else None,
        month=int(date[5:7]) if len(date) >= 7 and date[5:7].isdigit() else None,
        kind="misc" if preprint else _OA_TYPES.get(kind_raw, "article"),
        venue="" if preprint else venue,
        volume=str(biblio.get("volume") or ""),
        number=str(biblio.get("issue") or ""),
        pages=pages,
        doi=doi,
        arxiv=arxiv,
        openalex=normalize_id("openalex", work.get("id")),
        pdf=pdf if isinstance(pdf, str) else None,
        preprint=preprint and not doi,
        source="openalex",
    )


def author_summary(body: dict[str, Any]) -> dict[str, Any]:
    """Name, ORCID, name variants and work count of an OpenAlex author; ``deleted`` when
    OpenAlex merged the profile away (display name "Deleted Author", no works)."""
    name = str(body.get("display_name") or "")
    orcid = body.get("orcid") or (body.get("ids") or {}).get("orcid")
    works = body.get("works_count")
    return {
        "id": str(body.get("id") or "").rsplit("/", 1)[-1].upper(),
        "name": name,
        "orcid": str(orcid).rsplit("/", 1)[-1] if orcid else "",
        "alternatives": [str(n) for n in body.get("display_name_alternatives") or []],
        "works_count": works if isinstance(works, int) else None,
        "deleted": name == "Deleted Author" and not works,
    }


def fetch_author(http: HttpClient, base_url: str, author_id: str) -> dict[str, Any] | None:
    response = http.request(
        "openalex",
        "GET",
        f"{base_url}/authors/{author_id}",
        params=_key_params() or None,
        allow_status=(404,),
    )
    if response.status == 404 or not isinstance(response.body, dict):
        return None
    return author_summary(response.body)
