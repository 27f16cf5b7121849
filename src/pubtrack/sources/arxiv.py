"""arXiv export API: batched ``id_list`` queries, Atom XML.

arXiv asks for "no more than one request every three seconds, a single
connection at a time", so the limiter for this source is exclusive and
requests carry up to ``batch_size`` ids each. Unknown ids are silently
missing from the feed (-> not_found); one malformed id turns the whole answer
into a single entry titled "Error" (HTTP 400), so that id is dropped and the
batch asked again without it. arXiv has no citation counts; what it gives is
the abstract, categories, the latest version, and ``doi``/``journal_ref``:
the sign a preprint has been published.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pubtrack.errors import MalformedResponseError, SourceError
from pubtrack.identity import arxiv_id_from_doi, normalize_doi, split_arxiv_id
from pubtrack.sources.base import Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient, HttpResponse

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
log = logging.getLogger("pubtrack.sources.arxiv")
_BAD_ID = re.compile(r"incorrect id format for (?P<id>\S+)", re.IGNORECASE)
# Error feeds in a row that name none of the ids asked: past this, arXiv itself
# is failing (a persistent error feed), which is a failed source, not "N not found".
MAX_UNNAMED_ERRORS = 3


class Arxiv(Source):
    name = "arxiv"
    label = "arXiv"
    order = 20
    fetch_order = 10  # first: the DOIs it reports let Crossref and OpenAlex find a preprint
    id_trust = 10
    record_trust = 60
    default_url = "https://export.arxiv.org/api/query"
    url_env = "PUBTRACK_ARXIV_API_URL"
    lookup_kind = "arxiv"
    external_id_kind = "arxiv"
    default_enabled = True
    batch_size = 100
    min_interval = 3.0
    exclusive = True  # "a single connection at a time"
    provides_citations = False

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)

    @classmethod
    def published_in(cls, data: Mapping[str, Any]) -> tuple[str, str | None]:
        return str(data.get("journal_ref") or ""), None  # as the authors wrote it

    def lookup_id(self, work: WorkRef) -> str | None:
        """The canonical arXiv id (no version); the arXiv DOI counts too."""
        parts = split_arxiv_id(work.ids.arxiv)
        if parts:
            return parts[0]
        return arxiv_id_from_doi(work.ids.doi)

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """As few requests as arXiv allows; a bad id is reported and left out."""
        by_id: dict[str, list[WorkRef]] = {}
        for work in works:
            ident = self.lookup_id(work)
            if ident:
                by_id.setdefault(ident, []).append(work)
        results: dict[str, SourceResult] = {}
        pending = list(by_id)
        size = max(1, self.batch_size)
        queue = [pending[i : i + size] for i in range(0, len(pending), size)]
        unnamed = 0
        while queue:
            ids = queue.pop(0)
            if not ids:
                continue
            response = self._query(ids)
            error = error_entry(response.body)
            if error is not None:
                bad = self._bad_id(error, ids)
                if bad is None:
                    unnamed += 1
                    if unnamed >= MAX_UNNAMED_ERRORS:
                        raise SourceError(
                            f"{self.name}: the API keeps answering with an error feed "
                            f"({' '.join(error.split())[:80]}); nothing was stored",
                            source=self.name,
                        )
                    if len(ids) == 1:
                        queue.insert(0, ids)  # ask once more: arXiv names a bad id
                    else:  # arXiv did not say which: halve until it does
                        half = len(ids) // 2
                        queue[:0] = [ids[:half], ids[half:]]
                    continue
                unnamed = 0
                log.warning("arxiv rejected the id %s (%s); asking again without it", bad, error)
                for work in by_id[bad]:
                    results[work.key] = SourceResult(
                        work.key, "not_found", data={"error": f"arXiv: {error}"}
                    )
                queue.insert(0, [i for i in ids if i != bad])
                continue
            if response.status != 200:
                raise SourceError(
                    f"{self.name}: HTTP {response.status} without an error entry", source=self.name
                )
            unnamed = 0
            for entry in parse_feed(response.body):
                for work in by_id.get(entry["arxiv_id"], []):
                    results[work.key] = entry_result(work.key, entry)
        return [results.get(w.key) or SourceResult(w.key, "not_found") for w in works]

    def _query(self, ids: list[str]) -> HttpResponse:
        return self.http.request(
            self.name,
            "GET",
            self.base_url,
            params={"id_list": ",".join(ids), "start": 0, "max_results": len(ids)},
            expect="xml",
            min_interval=self.min_interval,
            exclusive=self.exclusive,
            allow_status=(400,),
            validate=_is_feed,
        )

    @staticmethod
    def _bad_id(error: str, ids: list[str]) -> str | None:
        match = _BAD_ID.search(error)
        if not match:
            return None
        named = match.group("id").strip().rstrip(".")
        for ident in ids:
            if ident == named or ident.lower() == named.lower():
                return ident
        parts = split_arxiv_id(named)
        if parts and parts[0] in ids:
            return parts[0]
        return None


def _is_feed(response: HttpResponse) -> None:
    root = response.body
    if not isinstance(root, ET.Element) or root.tag != f"{{{NS['atom']}}}feed":
        raise ValueError("not an Atom feed")
    if response.status == 400 and error_entry(root) is None:
        raise MalformedResponseError("arxiv: HTTP 400 without an error entry", source="arxiv")


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    text = " ".join(element.text.split())
    return text or None


def error_entry(root: ET.Element) -> str | None:
    """The message of arXiv's error entry ('incorrect id format for abc'), or None."""
    for entry in root.findall("atom:entry", NS):
        ident = _text(entry.find("atom:id", NS)) or ""
        titled_error = _text(entry.find("atom:title", NS)) == "Error"
        if "/api/errors" in ident or (titled_error and not split_arxiv_id(ident)):
            return _text(entry.find("atom:summary", NS)) or "error"
    return None


def parse_feed(root: ET.Element) -> list[dict[str, Any]]:
    """Every paper entry of a feed as a plain dict (ids split from their version)."""
    out = []
    for entry in root.findall("atom:entry", NS):
        ident = _text(entry.find("atom:id", NS))
        parts = split_arxiv_id(ident)
        if not parts:
            continue
        arxiv_id, version = parts
        doi_text = _text(entry.find("arxiv:doi", NS))
        if doi_text is None:
            for link in entry.findall("atom:link", NS):
                if link.get("title") == "doi":
                    doi_text = link.get("href")
        pdf = next(
            (
                link.get("href")
                for link in entry.findall("atom:link", NS)
                if link.get("title") == "pdf"
            ),
            None,
        )
        primary = entry.find("arxiv:primary_category", NS)
        out.append(
            {
                "arxiv_id": arxiv_id,
                "latest_version": version,
                "title": _text(entry.find("atom:title", NS)),
                "abstract": _text(entry.find("atom:summary", NS)),
                "authors": [
                    name
                    for author in entry.findall("atom:author", NS)
                    if (name := _text(author.find("atom:name", NS)))
                ],
                "published": _text(entry.find("atom:published", NS)),
                "updated": _text(entry.find("atom:updated", NS)),
                "categories": [
                    c.get("term") for c in entry.findall("atom:category", NS) if c.get("term")
                ],
                "primary_category": primary.get("term") if primary is not None else None,
                "comment": _text(entry.find("arxiv:comment", NS)),
                "journal_ref": _text(entry.find("arxiv:journal_ref", NS)),
                "doi": normalize_doi(doi_text),
                "pdf_url": pdf,
            }
        )
    return out


def entry_result(key: str, entry: dict[str, Any]) -> SourceResult:
    external = {"arxiv": entry["arxiv_id"]}
    if entry.get("doi") and not arxiv_id_from_doi(entry["doi"]):
        external["doi"] = entry["doi"]
    data = {k: v for k, v in entry.items() if k != "arxiv_id" and v not in (None, [], "")}
    if entry.get("journal_ref") or external.get("doi"):
        data["published_version"] = True
    return SourceResult(
        key=key,
        status="found",
        external_id=entry["arxiv_id"],
        external_ids=external,
        data=data,
    )


# --------------------------------------------------------------------------
# Metadata for add / import (issue 10): batched id_list, entries as Records.
# --------------------------------------------------------------------------


def fetch_entries(http: HttpClient, base_url: str, ids: list[str], batch: int = 100) -> list[dict]:
    """Parsed entries for arXiv ids, ``batch`` ids per request (one connection, 3 s apart)."""
    out: list[dict] = []
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        response = http.request(
            "arxiv",
            "GET",
            base_url,
            params={"id_list": ",".join(chunk), "max_results": str(len(chunk))},
            expect="xml",
            exclusive=Arxiv.exclusive,
            allow_status=(400,),
        )
        if response.status == 400 or response.body is None:
            continue
        out += parse_feed(response.body)
    return out


def entry_record(entry: dict[str, Any]):  # noqa: ANN201 - a works.record.Record
    """A preprint Record from an arXiv entry; ``extra['published_doi']`` when arXiv knows one."""
    from pubtrack.works.record import Person, Record

    year = month = None
    published = entry.get("published") or ""
    if len(published) >= 7 and published[:4].isdigit() and published[5:7].isdigit():
        year, month = int(published[:4]), int(published[5:7])
    authors = []
    for name in entry.get("authors") or []:
        given, _, family = name.rpartition(" ")
        authors.append(Person(given=given, family=family, name=name))
    record = Record(
        title=entry.get("title") or "",
        authors=authors,
        year=year,
        month=month,
        kind="misc",
        arxiv=entry["arxiv_id"],
        pdf=f"https://arxiv.org/pdf/{entry['arxiv_id']}",
        preprint=True,
        source="arxiv",
    )
    if entry.get("primary_category"):
        record.extra["primaryclass"] = entry["primary_category"]
    if entry.get("doi") and not arxiv_id_from_doi(entry["doi"]):
        record.extra["published_doi"] = entry["doi"]
    if entry.get("journal_ref"):
        record.extra["journal_ref"] = entry["journal_ref"]
    return record
