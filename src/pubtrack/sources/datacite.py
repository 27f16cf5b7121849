"""DataCite REST API: ``GET /dois/{doi}``, for arXiv DOIs (10.48550) and other
DOIs Crossref does not hold (Zenodo, figshare)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pubtrack.identity import arxiv_id_from_doi, normalize_arxiv_id, normalize_doi
from pubtrack.sources.base import LookupApi
from pubtrack.works.record import Person, Record, clean_text


class DataCite(LookupApi):
    """DataCite's REST API: DOIs Crossref does not hold (arXiv's, Zenodo's)."""

    name = "datacite"
    label = "DataCite"
    order = 30  # listings: ORCID, dblp, DataCite
    default_url = "https://api.datacite.org"
    url_env = "PUBTRACK_DATACITE_API_URL"
    record_trust = 30
    min_interval = 0.1  # 3000 requests per 5 minutes
    headers = {"Accept": "application/vnd.api+json"}


if TYPE_CHECKING:
    from pubtrack.sources.http import HttpClient

NAME = DataCite.name


def fetch_doi(http: HttpClient, base_url: str, doi: str) -> dict[str, Any] | None:
    """The JSON:API ``data.attributes`` of a DOI, or None when DataCite does not know it."""
    response = http.request(
        NAME, "GET", f"{base_url}/dois/{quote(doi, safe='/')}", allow_status=(404,)
    )
    if response.status == 404 or not isinstance(response.body, dict):
        return None
    data = response.body.get("data")
    return data.get("attributes") if isinstance(data, dict) else None


def doi_record(attrs: dict[str, Any]) -> Record:
    """A Record from DataCite attributes (an arXiv DOI becomes the arXiv id)."""
    doi = normalize_doi(attrs.get("doi"))
    arxiv = arxiv_id_from_doi(doi)
    for ident in attrs.get("identifiers") or []:
        if isinstance(ident, dict) and str(ident.get("identifierType", "")).lower() == "arxiv":
            arxiv = arxiv or normalize_arxiv_id(str(ident.get("identifier", "")))
    authors = []
    for creator in attrs.get("creators") or []:
        if not isinstance(creator, dict):
            continue
        ids = {}
        for ni in creator.get("nameIdentifiers") or []:
            if isinstance(ni, dict) and str(ni.get("nameIdentifierScheme", "")).upper() == "ORCID":
                ids["orcid"] = str(ni.get("nameIdentifier", "")).rsplit("/", 1)[-1]
        given, family = creator.get("givenName") or "", creator.get("familyName") or ""
        name = creator.get("name") or ""
        if not (given or family) and "," in name:
            family, _, given = (p.strip() for p in name.partition(","))
        authors.append(Person(given=given, family=family, name=name, ids=ids))
    titles = [t.get("title") for t in attrs.get("titles") or [] if isinstance(t, dict)]
    kind = str((attrs.get("types") or {}).get("resourceTypeGeneral") or "")
    month = None
    for date in attrs.get("dates") or []:
        if isinstance(date, dict) and date.get("dateType") in ("Submitted", "Available"):
            text = str(date.get("date") or "")
            if len(text) >= 7 and text[4] == "-" and text[5:7].isdigit():
                month = int(text[5:7])
                break
    published_doi = None
    for rel in attrs.get("relatedIdentifiers") or []:
        if (
            isinstance(rel, dict)
            and rel.get("relationType") in ("IsPreviousVersionOf", "IsPreprintOf")
            and str(rel.get("relatedIdentifierType", "")).upper() == "DOI"
        ):
            published_doi = normalize_doi(str(rel.get("relatedIdentifier", "")))
    year = attrs.get("publicationYear")
    record = Record(
        title=clean_text(titles[0]) if titles else "",
        authors=authors,
        year=int(str(year)) if str(year or "").isdigit() else None,
        month=month,
        kind="misc",
        venue="" if arxiv else "",
        publisher=str(attrs.get("publisher") or "") if not arxiv else "",
        doi=None if arxiv else doi,
        arxiv=arxiv,
        url=attrs.get("url"),
        pdf=f"https://arxiv.org/pdf/{arxiv}" if arxiv else None,
        preprint=kind == "Preprint" or bool(arxiv),
        source=NAME,
    )
    if published_doi and not arxiv_id_from_doi(published_doi):
        record.extra["published_doi"] = published_doi
    return record
