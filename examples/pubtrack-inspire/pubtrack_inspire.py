"""INSPIRE-HEP citation counts: an example of a pubtrack source plugin.

A source is one class. Its class attributes are its metadata (pubtrack's
registry reads them: name, label, URL, environment variable, whether it
counts citations); ``lookup_id`` says which id a work is looked up by and
``fetch_batch`` turns up to ``batch_size`` works into ``SourceResult``s. All
HTTP goes through ``self.http`` (pubtrack's client: timeouts, retries,
rate limits); sync stores the results, keeps the history and shows the counts.

Settings come from ``[sync.inspire]`` in pubtrack.toml, checked against the
``Settings`` dataclass when the file loads::

    [sync.inspire]
    exclude_self_citations = true   # INSPIRE's count without self-citations
    batch_size = 25
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from pubtrack.config import SourceSettings
from pubtrack.identity import normalize_arxiv_id, normalize_doi
from pubtrack.sources.base import Source, SourceResult, WorkRef


@dataclass
class InspireSettings(SourceSettings):
    """``[sync.inspire]``: pubtrack's per-source settings plus this source's own."""

    exclude_self_citations: bool = False


class Inspire(Source):
    name: ClassVar[str] = "inspire"
    label: ClassVar[str] = "INSPIRE-HEP"
    order: ClassVar[int] = 60
    fetch_order: ClassVar[int] = 60  # after arXiv: its DOIs help here too
    id_trust: ClassVar[int] = 60  # its learned ids count after the built-ins'
    default_url: ClassVar[str] = "https://inspirehep.net/api"
    url_env: ClassVar[str] = "PUBTRACK_INSPIRE_API_URL"
    batch_size: int = 25
    min_interval: float = 0.35  # INSPIRE allows 15 requests per 5 seconds
    settings_class: ClassVar[type[SourceSettings]] = InspireSettings

    settings: InspireSettings

    @classmethod
    def citing_papers_url(cls, ids: Mapping[str, str | None]) -> str | None:
        """INSPIRE's list of the papers citing a record (``render --cited-by-link``);
        ``ids["inspire"]`` is the record number sync stored as the external id."""
        record = ids.get("inspire")
        return f"https://inspirehep.net/literature?q=refersto:recid:{record}" if record else None

    def lookup_id(self, work: WorkRef) -> str | None:
        """``doi:…`` or ``arxiv:…`` (INSPIRE's search syntax), DOI first."""
        doi = normalize_doi(work.ids.doi)
        if doi:
            return f"doi:{doi}"
        arxiv = normalize_arxiv_id(work.ids.arxiv)
        return f"arxiv:{arxiv}" if arxiv else None

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One search for the whole batch (``doi:A or arxiv:B or …``)."""
        wanted = {w.key: self.lookup_id(w) for w in works}
        query = " or ".join(q for q in wanted.values() if q)
        response = self.http.request(
            self.name,
            "GET",
            f"{self.base_url}/literature",
            params={
                "q": query,
                "size": len(works),
                "fields": "control_number,citation_count,"
                "citation_count_without_self_citations,dois,arxiv_eprints",
            },
            min_interval=self.min_interval,
        )
        hits = (
            response.body.get("hits", {}).get("hits", []) if isinstance(response.body, dict) else []
        )
        by_id: dict[str, dict[str, Any]] = {}
        for hit in hits:
            meta = hit.get("metadata", {})
            for doi in meta.get("dois", []):
                if normalize_doi(doi.get("value")):
                    by_id[f"doi:{normalize_doi(doi['value'])}"] = meta
            for eprint in meta.get("arxiv_eprints", []):
                if normalize_arxiv_id(eprint.get("value")):
                    by_id[f"arxiv:{normalize_arxiv_id(eprint['value'])}"] = meta
        count_field = (
            "citation_count_without_self_citations"
            if self.settings.exclude_self_citations
            else "citation_count"
        )
        results = []
        for work in works:
            meta = by_id.get(wanted[work.key] or "")
            if meta is None:
                results.append(SourceResult(work.key, "not_found"))
                continue
            count = meta.get(count_field)
            results.append(
                SourceResult(
                    key=work.key,
                    status="found",
                    external_id=str(meta.get("control_number", "")) or None,
                    citation_count=count if isinstance(count, int) else None,
                )
            )
        return results
