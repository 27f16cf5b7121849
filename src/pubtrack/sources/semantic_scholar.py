"""Semantic Scholar Graph v1: batch lookup by id, careful title match for the rest.

Up to 500 ids of mixed forms go in one ``POST /paper/batch``; the answer is
an array in input order with ``null`` for ids S2 does not know. Works with
no usable id are looked up with ``/paper/search/match`` and accepted only
when the title is nearly the same, an author is shared and the year fits
(``identity.is_confident_match``): a wrong match would attach another
paper's citations to the user's work, so anything less stays unresolved.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pubtrack.errors import MalformedResponseError
from pubtrack.identity import (
    arxiv_id_from_doi,
    id_keys,
    is_confident_match,
    normalize_arxiv_id,
    normalize_doi,
)
from pubtrack.sources.base import Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient, HttpResponse

FIELDS = (
    "paperId,externalIds,title,venue,year,publicationDate,openAccessPdf,tldr,"
    "citationCount,influentialCitationCount,authors,journal"
)
_S2_ID = re.compile(r"^[0-9a-f]{40}$")


class SemanticScholar(Source):
    name = "semantic_scholar"
    label = "Semantic Scholar"
    order = 10
    fetch_order = 20
    id_trust = 30
    record_trust = 50
    default_url = "https://api.semanticscholar.org/graph/v1"
    url_env = "PUBTRACK_S2_API_URL"
    key_env = "S2_API_KEY"
    external_id_kind = "semantic_scholar"  # the paperId
    finds_own_id = True
    default_enabled = True
    batch_size = 500
    min_interval = 1.0

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.api_key = self.env_key()
        self.http.add_secret(self.api_key)

    def __repr__(self) -> str:
        return (
            f"SemanticScholar(base_url={self.base_url!r}, key={'set' if self.api_key else 'unset'})"
        )

    def _headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key} if self.api_key else {}

    def lookup_id(self, work: WorkRef) -> str | None:
        """S2 id > corpus id > DOI of the published version > arXiv id."""
        ids = work.ids
        if ids.semantic_scholar and _S2_ID.match(ids.semantic_scholar.lower()):
            return ids.semantic_scholar.lower()
        if ids.corpus_id and str(ids.corpus_id).isdigit():
            return f"CorpusId:{ids.corpus_id}"
        doi = normalize_doi(ids.doi)
        arxiv = normalize_arxiv_id(ids.arxiv) or arxiv_id_from_doi(doi)
        if doi and not arxiv_id_from_doi(doi):
            return f"DOI:{doi}"
        if arxiv:
            return f"ARXIV:{arxiv}"
        return None

    @classmethod
    def lookup_keys(cls, lookup: str | None) -> set[tuple[str, str]]:
        """The id in the batch slot (``DOI:…``, ``ARXIV:…``, ``CorpusId:…`` or a
        paperId): the paper's externalIds/paperId must hold it."""
        if not lookup:
            return set()
        text = str(lookup)
        prefix, sep, rest = text.partition(":")
        if sep:
            kind = {"doi": "doi", "arxiv": "arxiv", "corpusid": "corpus_id"}.get(prefix.lower())
            return id_keys({kind: rest}) if kind else set()
        return id_keys({"semantic_scholar": text})

    @classmethod
    def published_in(cls, data: Mapping[str, Any]) -> tuple[str, str | None]:
        return str(data.get("journal") or data.get("venue") or ""), None

    @classmethod
    def citing_papers_url(cls, ids: Mapping[str, str | None]) -> str | None:
        paper = ids.get("semantic_scholar")
        return f"https://www.semanticscholar.org/paper/{paper}#citing-papers" if paper else None

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One POST for up to ``batch_size`` works (more are split, 500 at most each)."""
        wanted = [(work, self.lookup_id(work)) for work in works]
        wanted_ids = [(w, i) for w, i in wanted if i is not None]
        results: list[SourceResult] = []
        size = max(1, min(self.batch_size, 500))
        for start in range(0, len(wanted_ids), size):
            chunk = wanted_ids[start : start + size]
            ids = [ident for _, ident in chunk]
            response = self.http.request(
                self.name,
                "POST",
                f"{self.base_url}/paper/batch",
                params={"fields": FIELDS},
                json={"ids": ids},
                headers=self._headers(),
                min_interval=self.min_interval,
                validate=_expect_list(len(ids)),
            )
            for (work, _), paper in zip(chunk, response.body, strict=True):
                if paper is None:
                    results.append(SourceResult(work.key, "not_found"))
                elif isinstance(paper, dict):
                    results.append(paper_result(work.key, paper))
                else:
                    raise MalformedResponseError(
                        f"{self.name}: unexpected item in the batch answer: {str(paper)[:60]}",
                        source=self.name,
                    )
        return results

    def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
        """Title match, one request per work; 'unresolved' unless clearly the same paper."""
        results = []
        for work in works:
            title = " ".join(work.title.split())
            # Without a real title or any author no match could be accepted:
            # do not spend a request on it.
            reason = "title too short" if len(title) < 8 else None
            if not work.authors:
                reason = "no authors to compare"
            if reason:
                results.append(SourceResult(work.key, "unresolved", data={"reason": reason}))
                continue
            response = self.http.request(
                self.name,
                "GET",
                f"{self.base_url}/paper/search/match",
                params={"query": title, "fields": FIELDS},
                headers=self._headers(),
                min_interval=self.min_interval,
                allow_status=(404,),
            )
            results.append(self._judge(work, response))
        return results

    def _judge(self, work: WorkRef, response: HttpResponse) -> SourceResult:
        if response.status == 404:
            return SourceResult(work.key, "unresolved", data={"reason": "no title match"})
        data = response.body.get("data") if isinstance(response.body, dict) else None
        if not data or not isinstance(data[0], dict):
            return SourceResult(work.key, "unresolved", data={"reason": "no title match"})
        candidate = data[0]
        names = [a.get("name", "") for a in candidate.get("authors") or [] if isinstance(a, dict)]
        year = candidate.get("year") if isinstance(candidate.get("year"), int) else None
        accepted, reason = is_confident_match(
            work.title, work.authors, work.year, candidate.get("title"), names, year
        )
        if not accepted:
            return SourceResult(
                work.key,
                "unresolved",
                data={"reason": f"rejected title match {candidate.get('paperId')}: {reason}"},
            )
        result = paper_result(work.key, candidate)
        result.data["matched_by"] = "title"
        result.data["match"] = reason
        return result


def _expect_list(n: int):  # noqa: ANN202 - a validator for HttpClient.request
    def check(response: HttpResponse) -> None:
        if not isinstance(response.body, list) or len(response.body) != n:
            got = len(response.body) if isinstance(response.body, list) else type(response.body)
            raise ValueError(f"expected a list of {n} papers, got {got}")

    return check


def external_ids(paper: dict[str, Any]) -> dict[str, str]:
    """S2 ``externalIds`` as pubtrack ids (the arXiv DOI is an arXiv id, not a DOI)."""
    raw = paper.get("externalIds") or {}
    out: dict[str, str] = {}
    if isinstance(paper.get("paperId"), str):
        out["semantic_scholar"] = paper["paperId"].lower()
    if not isinstance(raw, dict):
        return out
    arxiv = normalize_arxiv_id(str(raw["ArXiv"])) if raw.get("ArXiv") else None
    doi = normalize_doi(str(raw["DOI"])) if raw.get("DOI") else None
    if doi and arxiv_id_from_doi(doi):
        arxiv = arxiv or arxiv_id_from_doi(doi)
        doi = None
    if arxiv:
        out["arxiv"] = arxiv
    if doi:
        out["doi"] = doi
    if raw.get("CorpusId") is not None:
        out["corpus_id"] = str(raw["CorpusId"])
    if raw.get("ACL"):
        out["acl"] = str(raw["ACL"])
    return out


def _count(value: Any) -> Any:
    """As S2 sent it: sync rejects the record when it is not a count (verify.py)."""
    return value


def paper_result(key: str, paper: dict[str, Any]) -> SourceResult:
    """One S2 paper object as a SourceResult (missing fields stay None)."""
    pdf = paper.get("openAccessPdf")
    tldr = paper.get("tldr")
    journal = paper.get("journal")
    data: dict[str, Any] = {
        "title": paper.get("title"),
        "venue": paper.get("venue") or None,
        "year": paper.get("year"),
        "publication_date": paper.get("publicationDate"),
        "pdf_url": (pdf.get("url") or None) if isinstance(pdf, dict) else None,
        "tldr": tldr.get("text") if isinstance(tldr, dict) else None,
        "journal": journal.get("name") if isinstance(journal, dict) else None,
        "authors": [
            a.get("name")
            for a in paper.get("authors") or []
            if isinstance(a, dict) and a.get("name")
        ],
    }
    return SourceResult(
        key=key,
        status="found",
        external_id=paper.get("paperId"),  # verify.py rejects a non-string
        citation_count=_count(paper.get("citationCount")),
        influential=_count(paper.get("influentialCitationCount")),
        external_ids=external_ids(paper),
        data={k: v for k, v in data.items() if v not in (None, [], "")},
    )


# --------------------------------------------------------------------------
# Metadata for add / import / discover (issue 10).
# --------------------------------------------------------------------------

RECORD_FIELDS = (
    "paperId,externalIds,title,venue,year,publicationDate,openAccessPdf,authors,journal,"
    "publicationTypes"
)
AUTHOR_PAGE = 100  # papers per /author/{id}/papers page (the API allows up to 1000)


def _key_headers() -> dict[str, str]:
    key = SemanticScholar.env_key()
    return {"x-api-key": key} if key else {}


def fetch_papers(
    http: HttpClient, base_url: str, ids: list[str], batch: int = 500
) -> list[dict | None]:
    """``POST /paper/batch`` for up to 500 ids a request; None where S2 does not know one."""
    out: list[dict | None] = []
    size = max(1, min(batch, 500))
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        response = http.request(
            "semantic_scholar",
            "POST",
            f"{base_url}/paper/batch",
            params={"fields": RECORD_FIELDS},
            json={"ids": chunk},
            headers=_key_headers(),
            validate=_expect_list(len(chunk)),
        )
        out += [p if isinstance(p, dict) else None for p in response.body]
    return out


def search_titles(http: HttpClient, base_url: str, title: str, limit: int = 5) -> list[dict]:
    """Up to ``limit`` candidates of a title search (relevance order)."""
    response = http.request(
        "semantic_scholar",
        "GET",
        f"{base_url}/paper/search",
        params={"query": title, "limit": str(limit), "fields": RECORD_FIELDS},
        headers=_key_headers(),
        allow_status=(404,),
    )
    data = response.body.get("data") if isinstance(response.body, dict) else None
    return [p for p in data or [] if isinstance(p, dict)]


def author_papers(http: HttpClient, base_url: str, author_id: str) -> list[dict]:
    """Every paper of an S2 author profile, following ``next`` page by page."""
    papers: list[dict] = []
    offset: int | None = 0
    while offset is not None:
        response = http.request(
            "semantic_scholar",
            "GET",
            f"{base_url}/author/{author_id}/papers",
            params={"fields": RECORD_FIELDS, "limit": str(AUTHOR_PAGE), "offset": str(offset)},
            headers=_key_headers(),
            allow_status=(404,),
        )
        if response.status == 404:
            from pubtrack.errors import BadInputError

            raise BadInputError(f"Semantic Scholar author {author_id} not found")
        body = response.body if isinstance(response.body, dict) else {}
        papers += [p for p in body.get("data") or [] if isinstance(p, dict)]
        nxt = body.get("next")
        offset = nxt if isinstance(nxt, int) and nxt > offset else None
    return papers


_S2_TYPES = {"JournalArticle": "article", "Conference": "inproceedings", "Book": "book"}


def paper_record(paper: dict[str, Any]):  # noqa: ANN201 - a works.record.Record
    """A Record from an S2 paper (authors carry their S2 author ids)."""
    from pubtrack.works.record import Person, Record

    ids = external_ids(paper)
    authors = []
    for author in paper.get("authors") or []:
        if not isinstance(author, dict) or not author.get("name"):
            continue
        name = str(author["name"])
        given, _, family = name.rpartition(" ")
        person_ids = {"semantic_scholar": str(author["authorId"])} if author.get("authorId") else {}
        authors.append(Person(given=given, family=family, name=name, ids=person_ids))
    journal = v if isinstance(v := paper.get("journal"), dict) else {}
    types = paper.get("publicationTypes") or []
    kind = next((_S2_TYPES[t] for t in types if t in _S2_TYPES), "")
    date = str(paper.get("publicationDate") or "")
    venue = str(journal.get("name") or paper.get("venue") or "")
    preprint = not ids.get("doi") and (not venue or venue.lower() in ("arxiv", "arxiv.org"))
    if preprint:
        venue = ""
    pdf = paper.get("openAccessPdf")
    return Record(
        title=" ".join(str(paper.get("title") or "").split()),
        authors=authors,
        year=paper.get("year") if isinstance(paper.get("year"), int) else None,
        month=int(date[5:7]) if len(date) >= 7 and date[5:7].isdigit() else None,
        kind="misc" if preprint else (kind or "article"),
        venue=venue,
        volume=str(journal.get("volume") or "").strip(),
        pages=str(journal.get("pages") or "").strip().replace(" ", ""),
        doi=ids.get("doi"),
        arxiv=ids.get("arxiv"),
        semantic_scholar=ids.get("semantic_scholar"),
        pdf=(pdf.get("url") or None) if isinstance(pdf, dict) else None,
        preprint=preprint,
        source="semantic_scholar",
    )
