"""Crossref: ``GET /works/{doi}`` for works with a (non-arXiv) DOI.

Crossref's citation count is ``is-referenced-by-count``. Every request says
who is asking (``mailto`` from ``[owner] email``, as a query parameter and in
the User-Agent), which puts pubtrack in Crossref's polite pool. arXiv DOIs
(10.48550) are DataCite's: Crossref does not know them, so they are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pubtrack.identity import arxiv_id_from_doi, normalize_doi
from pubtrack.sources.base import Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient, HttpResponse


class Crossref(Source):
    name = "crossref"
    label = "Crossref"
    batch_size = 1
    min_interval = 0.2

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.base_url = config.api_url(self.name)
        self.mailto = config.owner.email.strip()

    def lookup_id(self, work: WorkRef) -> str | None:
        doi = normalize_doi(work.ids.doi)
        if doi is None or arxiv_id_from_doi(doi):
            return None
        return doi

    def asked_ids(self, work: WorkRef, lookup: str | None) -> set[tuple[str, str]]:
        """The DOI asked: Crossref's answer must carry it back."""
        from pubtrack.verify import asked_keys

        return asked_keys(self.name, lookup)

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One request per work (Crossref has no batch lookup by DOI)."""
        results = []
        for work in works:
            doi = self.lookup_id(work)
            if doi is None:
                results.append(SourceResult(work.key, "not_found"))
                continue
            response = self.http.request(
                self.name,
                "GET",
                f"{self.base_url}/works/{quote(doi, safe='/')}",
                params={"mailto": self.mailto} if self.mailto else None,
                min_interval=self.min_interval,
                allow_status=(404,),
                validate=_is_work,
            )
            if response.status == 404:
                results.append(SourceResult(work.key, "not_found"))
            else:
                results.append(message_result(work.key, response.body["message"]))
        return results


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
    people = message.get("author") if isinstance(message.get("author"), list) else []
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
