"""Crossref: works with a (non-arXiv) DOI, looked up in batches.

A batch is one list query, ``GET /works?filter=doi:A,doi:B,…&rows=N`` (up to
``batch_size`` = 50 DOIs: a URL of a few KB); a lone DOI, or one with a comma
(which the filter syntax cannot carry), is ``GET /works/{doi}``. Answers are
matched back by the DOI Crossref returns, so an unknown DOI is simply absent
(not found). Crossref's citation count is ``is-referenced-by-count``. Every
request says who is asking (``mailto`` from ``[owner] email``, as a query
parameter and in the User-Agent), which puts pubtrack in Crossref's polite
pool; list queries have a lower rate limit there than single records, so they
are spaced by ``list_interval`` (default twice ``min_interval``: 0.4 s). arXiv
DOIs (10.48550) are DataCite's: Crossref does not know them, so they are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pubtrack.config import SourceSettings
from pubtrack.identity import arxiv_id_from_doi, normalize_doi
from pubtrack.settings import setting
from pubtrack.sources.base import Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient, HttpResponse


@dataclass
class CrossrefSettings(SourceSettings):
    """``[sync.crossref]``: the shared source settings, and the spacing of list queries."""

    list_interval: float | None = setting(
        None,
        low=0,
        high=3600,
        shown="0.4",
        doc="Seconds between two /works?filter queries (default: twice min_interval).",
    )


# Crossref's work types -> BibTeX entry types (the rest are articles).
_BIB_TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
}


class Crossref(Source):
    name = "crossref"
    label = "Crossref"
    order = 40
    fetch_order = 40
    id_trust = 20
    record_trust = 10
    default_url = "https://api.crossref.org"
    url_env = "PUBTRACK_CROSSREF_API_URL"
    lookup_kind = "doi"
    external_id_kind = "doi"
    default_enabled = True
    batch_size = 50
    settings_class = CrossrefSettings
    settings: CrossrefSettings
    min_interval = 0.2

    @classmethod
    def published_in(cls, data: Mapping[str, Any]) -> tuple[str, str | None]:
        kind = _BIB_TYPES.get(str(data.get("type") or ""), "article")
        return str(data.get("venue") or ""), kind if data else None

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.mailto = config.owner.email.strip()
        given = self.settings.list_interval
        self.list_interval = float(given) if given is not None else 2 * self.min_interval

    def lookup_id(self, work: WorkRef) -> str | None:
        doi = normalize_doi(work.ids.doi)
        if doi is None or arxiv_id_from_doi(doi):
            return None
        return doi

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One list query for the batch's DOIs (single lookups where it cannot)."""
        dois = {w.key: self.lookup_id(w) for w in works}
        listable = sorted({d for d in dois.values() if d and "," not in d})
        messages: dict[str, dict[str, Any]] = {}
        stray = False
        if len(listable) >= 2:
            messages, stray = self._list(listable)
        results = []
        for work in works:
            doi = dois[work.key]
            if doi is None:
                results.append(SourceResult(work.key, "not_found"))
            elif len(listable) >= 2 and doi in listable:
                message = messages.get(doi)
                if message is not None:
                    results.append(message_result(work.key, message))
                elif stray:
                    # The answer held a record for a DOI nobody asked about: ask this
                    # one alone, so that whatever comes back is checked against it.
                    results.append(self._single(work.key, doi))
                else:
                    results.append(SourceResult(work.key, "not_found"))
            else:
                results.append(self._single(work.key, doi))
        return results

    def _params(self, **more: str) -> dict[str, str] | None:
        params = {**more, **({"mailto": self.mailto} if self.mailto else {})}
        return params or None

    def _list(self, dois: list[str]) -> tuple[dict[str, dict[str, Any]], bool]:
        """({doi: work message} for the DOIs Crossref knows, matched by its answer's
        DOI; whether the answer also held records for DOIs not asked about)."""
        response = self.http.request(
            self.name,
            "GET",
            f"{self.base_url}/works",
            params=self._params(filter=",".join(f"doi:{d}" for d in dois), rows=str(len(dois))),
            min_interval=max(self.min_interval, self.list_interval),
            validate=_is_work_list,
        )
        wanted = set(dois)
        out: dict[str, dict[str, Any]] = {}
        stray = False
        for item in response.body["message"]["items"]:
            doi = normalize_doi(item.get("DOI")) if isinstance(item.get("DOI"), str) else None
            if doi in wanted:
                out.setdefault(doi, item)
            else:
                stray = True
        return out, stray

    def _single(self, key: str, doi: str) -> SourceResult:
        response = self.http.request(
            self.name,
            "GET",
            f"{self.base_url}/works/{quote(doi, safe='/')}",
            params=self._params(),
            min_interval=self.min_interval,
            allow_status=(404,),
            validate=_is_work,
        )
        if response.status == 404:
            return SourceResult(key, "not_found")
        return message_result(key, response.body["message"])


def _is_work_list(response: HttpResponse) -> None:
    body = response.body
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("items"), list):
        raise ValueError("expected an object with 'message.items'")
    if not all(isinstance(item, dict) for item in message["items"]):
        raise ValueError("expected 'message.items' to hold objects")


def _is_work(response: HttpResponse) -> None:
    if response.status == 404:
        return
    body = response.body
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise ValueError("expected an object with a 'message'")


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def message_result(key: str, message: dict[str, Any]) -> SourceResult:
    count = message.get("is-referenced-by-count")
    doi = normalize_doi(message.get("DOI")) if isinstance(message.get("DOI"), str) else None
    year = None
    for field in ("published", "published-print", "published-online", "issued"):
        parts = (
            (message.get(field) or {}).get("date-parts")
            if isinstance(message.get(field), dict)
            else None
        )
        first = _first(parts)
        if isinstance(first, list) and first and isinstance(first[0], int):
            year = first[0]
            break
    people = v if isinstance(v := message.get("author"), list) else []
    authors = [
        " ".join(str(p.get(k) or "") for k in ("given", "family")).strip()
        for p in people
        if isinstance(p, dict)
    ]
    data = {
        "title": _first(message.get("title")),
        "authors": [a for a in authors if a] or None,  # verify.py compares them
        "venue": _first(message.get("container-title")),
        "year": year,
        "type": message.get("type"),
        "publisher": message.get("publisher"),
    }
    return SourceResult(
        key=key,
        status="found",
        external_id=doi,
        citation_count=count,  # as sent: verify.py rejects what is not a count
        external_ids={"doi": doi} if doi else {},
        data={k: v for k, v in data.items() if v not in (None, "")},
    )


# --------------------------------------------------------------------------
# Metadata for add / import (issue 10): one work, or many by a DOI filter.
# --------------------------------------------------------------------------

CROSSREF_TYPES = {
    "journal-article": "article",
    "proceedings-article": "inproceedings",
    "book-chapter": "incollection",
    "book-section": "incollection",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "dissertation": "phdthesis",
    "report": "techreport",
    "posted-content": "misc",
    "dataset": "misc",
}
FILTER_BATCH = 40  # DOIs per /works?filter=doi:…,doi:… request (keeps URLs short)


def fetch_work(http: HttpClient, base_url: str, doi: str, mailto: str = "") -> dict | None:
    """The ``message`` of ``/works/{doi}``, or None when Crossref does not know the DOI."""
    response = http.request(
        "crossref",
        "GET",
        f"{base_url}/works/{quote(doi, safe='/')}",
        params={"mailto": mailto} if mailto else None,
        allow_status=(404,),
        validate=_is_work,
    )
    return None if response.status == 404 else response.body["message"]


def fetch_works(http: HttpClient, base_url: str, dois: list[str], mailto: str = "") -> list[dict]:
    """Many works in few requests: ``/works?filter=doi:A,doi:B`` (Crossref ORs one filter)."""
    out: list[dict] = []
    for start in range(0, len(dois), FILTER_BATCH):
        chunk = dois[start : start + FILTER_BATCH]
        params = {"filter": ",".join(f"doi:{d}" for d in chunk), "rows": str(len(chunk))}
        if mailto:
            params["mailto"] = mailto
        response = http.request(
            "crossref",
            "GET",
            f"{base_url}/works",
            params=params,
            validate=_is_list,
        )
        out += [m for m in response.body["message"]["items"] if isinstance(m, dict)]
    return out


def _is_list(response: HttpResponse) -> None:
    message = response.body.get("message") if isinstance(response.body, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("items"), list):
        raise ValueError("expected a message with 'items'")


def _date(message: dict[str, Any]) -> tuple[int | None, int | None]:
    for name in ("published-print", "published", "published-online", "issued", "created"):
        parts = _first((message.get(name) or {}).get("date-parts"))
        if isinstance(parts, list) and parts and isinstance(parts[0], int):
            month = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else None
            return parts[0], month
    return None, None


def work_record(message: dict[str, Any]):  # noqa: ANN201 - a works.record.Record
    """A Record from a Crossref work message (type, authors with ORCID, venue, pages)."""
    from pubtrack.works.record import Person, Record, clean_text

    doi = normalize_doi(message.get("DOI")) if isinstance(message.get("DOI"), str) else None
    authors = []
    for person in message.get("author") or []:
        if not isinstance(person, dict):
            continue
        ids = {}
        if isinstance(person.get("ORCID"), str):
            ids["orcid"] = person["ORCID"].rsplit("/", 1)[-1]
        authors.append(
            Person(
                given=str(person.get("given") or ""),
                family=str(person.get("family") or ""),
                name=str(person.get("name") or ""),
                ids=ids,
            )
        )
    kind_raw = str(message.get("type") or "")
    year, month = _date(message)
    title = clean_text(_first(message.get("title")))
    subtitle = clean_text(_first(message.get("subtitle")))
    if subtitle and subtitle.lower() not in title.lower():
        title = f"{title}: {subtitle}"
    record = Record(
        title=title,
        authors=authors,
        year=year,
        month=month,
        kind=CROSSREF_TYPES.get(kind_raw, "misc"),
        venue=clean_text(_first(message.get("container-title"))),
        venue_short=str(_first(message.get("short-container-title")) or ""),
        volume=str(message.get("volume") or ""),
        number=str(message.get("issue") or ""),
        pages=str(message.get("page") or ""),
        publisher=str(message.get("publisher") or ""),
        doi=None if arxiv_id_from_doi(doi) else doi,
        arxiv=arxiv_id_from_doi(doi),
        preprint=kind_raw == "posted-content",
        source="crossref",
    )
    relation = message.get("relation") or {}
    for rel in relation.get("is-preprint-of") or [] if isinstance(relation, dict) else []:
        if isinstance(rel, dict) and rel.get("id-type") == "doi":
            published = normalize_doi(str(rel.get("id")))
            if published:
                record.extra["published_doi"] = published
    return record
