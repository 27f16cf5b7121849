"""ORCID public API v3.0: a researcher's name and works (for init / import / discover).

``GET /{orcid}/works`` answers with *groups*: ORCID has already put the
versions of one work it could link (same DOI, or a preprint and its journal
version) into one group, each version a ``work-summary``. pubtrack keeps one
work per group: the version of record (a journal article, a conference paper)
over the preprint, with the preprint's arXiv id kept on the same work.
Summaries carry no author list: the importer looks each work up by its ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pubtrack.errors import BadInputError
from pubtrack.identity import arxiv_id_from_doi, normalize_arxiv_id, normalize_doi
from pubtrack.sources.base import LookupApi


class Orcid(LookupApi):
    """ORCID's public API (read by import, discover and init)."""

    name = "orcid"
    label = "ORCID"
    order = 10  # listings: ORCID, dblp, DataCite
    default_url = "https://pub.orcid.org/v3.0"
    url_env = "PUBTRACK_ORCID_API_URL"
    min_interval = 0.05  # the public API allows 24 requests/s
    headers = {"Accept": "application/vnd.orcid+json"}


if TYPE_CHECKING:
    from pubtrack.sources.http import HttpClient

NAME = Orcid.name
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)
# Work types that are a version of record, best first; anything else ranks after.
_RECORD_TYPES = (
    "journal-article",
    "conference-paper",
    "book-chapter",
    "book",
    "dissertation-thesis",
    "dissertation",
    "report",
)
_PREPRINT_TYPES = ("preprint", "working-paper", "other", "online-resource")


def normalize_orcid(text: str | None) -> str | None:
    """'0000-0002-1825-0097' from a bare iD or an orcid.org URL; None if not an iD."""
    match = _ORCID.search(text or "")
    if not match:
        return None
    value = match.group(1).upper()
    digits = value.replace("-", "")
    # ISO 7064 11,2 check digit: a typo is caught before any request.
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    return value if digits[-1] == expected else None


@dataclass
class OrcidWork:
    """One ORCID group, reduced to the version pubtrack keeps."""

    title: str
    year: int | None = None
    month: int | None = None
    type: str = ""
    journal: str = ""
    doi: str | None = None  # the version of record's DOI
    arxiv: str | None = None  # the preprint's arXiv id, kept on the same work
    other_dois: list[str] = field(default_factory=list)
    put_codes: list[int] = field(default_factory=list)


def _value(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(name)
    return obj


def _int(text: Any) -> int | None:
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return None


def _ids(summary: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(DOIs, arXiv ids) a summary names as its own ('self'), normalised."""
    dois: list[str] = []
    arxivs: list[str] = []
    for ext in _value(summary, "external-ids", "external-id") or []:
        if not isinstance(ext, dict) or ext.get("external-id-relationship") not in (None, "self"):
            continue
        kind = str(ext.get("external-id-type") or "").lower()
        raw = _value(ext, "external-id-normalized", "value") or ext.get("external-id-value")
        raw = str(raw or "")
        if kind == "doi":
            doi = normalize_doi(raw)
            if doi and arxiv_id_from_doi(doi):
                arxivs.append(arxiv_id_from_doi(doi) or "")
            elif doi:
                dois.append(doi)
        elif kind == "arxiv":
            arxiv = normalize_arxiv_id(raw)
            if arxiv:
                arxivs.append(arxiv)
        elif kind in ("uri", "url") and "arxiv.org/" in raw:
            arxiv = normalize_arxiv_id(raw.split("?")[0])
            if arxiv:
                arxivs.append(arxiv)
    return dois, arxivs


def _rank(summary: dict[str, Any]) -> tuple[int, int]:
    kind = str(summary.get("type") or "")
    dois, _ = _ids(summary)
    order = _RECORD_TYPES.index(kind) if kind in _RECORD_TYPES else len(_RECORD_TYPES)
    if kind in _PREPRINT_TYPES:
        order += 10
    return (order, 0 if dois else 1)


def works_from_body(body: Any) -> list[OrcidWork]:
    """Every group of a ``/works`` answer as one OrcidWork (version of record preferred)."""
    out: list[OrcidWork] = []
    for group in (body or {}).get("group") or []:
        summaries = [s for s in (group or {}).get("work-summary") or [] if isinstance(s, dict)]
        if not summaries:
            continue
        ranked = sorted(summaries, key=_rank)
        best = ranked[0]
        dois: list[str] = []
        arxivs: list[str] = []
        for summary in ranked:
            d, a = _ids(summary)
            dois += [x for x in d if x not in dois]
            arxivs += [x for x in a if x not in arxivs]
        best_dois, _ = _ids(best)
        date = best.get("publication-date") or {}
        first_doi = (best_dois or dois)[0] if best_dois or dois else None
        out.append(
            OrcidWork(
                title=str(_value(best, "title", "title", "value") or "").strip(),
                year=_int(_value(date, "year", "value")),
                month=_int(_value(date, "month", "value")),
                type=str(best.get("type") or ""),
                journal=str(_value(best, "journal-title", "value") or ""),
                doi=first_doi,
                arxiv=arxivs[0] if arxivs else None,
                other_dois=[d for d in dois if d != first_doi],
                put_codes=[int(s["put-code"]) for s in summaries if _int(s.get("put-code"))],
            )
        )
    return out


def person_name(body: Any) -> str:
    """'Given Family' from a ``/person`` answer ('' when private)."""
    given = _value(body, "name", "given-names", "value") or ""
    family = _value(body, "name", "family-name", "value") or ""
    return " ".join(p for p in (str(given).strip(), str(family).strip()) if p)


def fetch_works(http: HttpClient, base_url: str, orcid: str) -> list[OrcidWork]:
    """The works of an ORCID record (one request: the summaries come in one answer)."""
    ident = _checked(orcid)
    response = http.request(NAME, "GET", f"{base_url}/{ident}/works", allow_status=(404,))
    if response.status == 404:
        raise BadInputError(f"ORCID iD {ident} not found")
    return works_from_body(response.body)


def fetch_name(http: HttpClient, base_url: str, orcid: str) -> str:
    ident = _checked(orcid)
    response = http.request(NAME, "GET", f"{base_url}/{ident}/person", allow_status=(404,))
    if response.status == 404:
        raise BadInputError(f"ORCID iD {ident} not found")
    return person_name(response.body)


def _checked(orcid: str) -> str:
    ident = normalize_orcid(orcid)
    if ident is None:
        raise BadInputError(
            f"{orcid!r} is not an ORCID iD (16 digits as 0000-0000-0000-000X, check digit last)"
        )
    return ident


BULK = 100  # put-codes per /{orcid}/works/{codes} request (the API's limit)


def bulk_record(work: dict[str, Any]):  # noqa: ANN201 - a works.record.Record
    """A Record from one full ORCID work (the bulk endpoint): contributors as authors.

    ORCID lists a contributor once per CRediT role; each person is kept once, in order.
    """
    from pubtrack.works.record import Person, Record, clean_text

    authors: list[Person] = []
    seen: set[str] = set()
    for contributor in _value(work, "contributors", "contributor") or []:
        name = str(_value(contributor, "credit-name", "value") or "").strip()
        ident = str(_value(contributor, "contributor-orcid", "path") or "").strip()
        key = ident or name.casefold()
        if not name or key in seen:
            continue
        seen.add(key)
        given, _, family = name.rpartition(" ")
        authors.append(
            Person(given=given, family=family, name=name, ids={"orcid": ident} if ident else {})
        )
    summary_like = {"external-ids": work.get("external-ids")}
    dois, arxivs = _ids(summary_like)
    date = work.get("publication-date") or {}
    kind = str(work.get("type") or "")
    return Record(
        title=clean_text(_value(work, "title", "title", "value")),
        authors=authors,
        year=_int(_value(date, "year", "value")),
        month=_int(_value(date, "month", "value")),
        kind={"journal-article": "article", "conference-paper": "inproceedings"}.get(kind, "misc"),
        venue=clean_text(_value(work, "journal-title", "value")),
        doi=dois[0] if dois else None,
        arxiv=arxivs[0] if arxivs else None,
        url=_value(work, "url", "value"),
        source=NAME,
    )


def fetch_bulk(http: HttpClient, base_url: str, orcid: str, put_codes: list[int]) -> list:
    """Full works by put-code, 100 a request; invalid put-codes (error items) are skipped."""
    ident = _checked(orcid)
    out = []
    for start in range(0, len(put_codes), BULK):
        codes = ",".join(str(c) for c in put_codes[start : start + BULK])
        response = http.request(NAME, "GET", f"{base_url}/{ident}/works/{codes}")
        for item in (response.body or {}).get("bulk") or []:
            if isinstance(item, dict) and isinstance(item.get("work"), dict):
                out.append(bulk_record(item["work"]))
    return out
