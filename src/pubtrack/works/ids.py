"""What the user typed after `pubtrack add` -> one id of a known kind.

Accepted: arXiv ids in any form (``2410.12178``, ``arXiv:2410.12178v2``, abs/pdf
URLs, ``hep-th/9901001``, ``math.GT/0309136``), DOIs (bare, ``doi:``, resolver
URLs, any case), Semantic Scholar ids and URLs (40 hex, ``CorpusId:…``),
OpenAlex ``W…`` ids and URLs, dblp record URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pubtrack.errors import BadInputError
from pubtrack.identity import arxiv_id_from_doi, normalize_arxiv_id, normalize_doi

_S2_URL = re.compile(r"semanticscholar\.org/(?:paper|p)/(?:[^/]+/)?(?P<id>[0-9a-f]{40})", re.I)
_S2_ID = re.compile(r"^[0-9a-f]{40}$", re.I)
_CORPUS = re.compile(r"^corpusid:\s*(?P<id>\d+)$", re.I)
_OPENALEX = re.compile(r"^(?:https?://(?:api\.)?openalex\.org/(?:works/)?)?(?P<id>W\d+)/?$", re.I)


@dataclass(frozen=True)
class WorkId:
    kind: str  # arxiv | doi | semantic_scholar | corpus_id | openalex | dblp
    value: str
    text: str  # as typed

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


def parse_work_id(text: str) -> WorkId:
    """The id in ``text``; BadInputError naming it when it is none of the accepted forms."""
    from pubtrack.sources.dblp import record_key

    raw = text.strip()
    if not raw:
        raise BadInputError("an empty id")
    doi = normalize_doi(raw)
    if doi is None and "doi.org/" in raw.lower():
        doi = normalize_doi(raw.split("doi.org/", 1)[1])
    if doi:
        arxiv = arxiv_id_from_doi(doi)
        return WorkId("arxiv_doi", arxiv, raw) if arxiv else WorkId("doi", doi, raw)
    arxiv = normalize_arxiv_id(raw)
    if arxiv is None and "arxiv.org/" in raw.lower():
        arxiv = normalize_arxiv_id(raw.split("?")[0].split("#")[0])
    if arxiv:
        return WorkId("arxiv", arxiv, raw)
    match = _S2_URL.search(raw)
    if match or _S2_ID.match(raw):
        return WorkId("semantic_scholar", (match.group("id") if match else raw).lower(), raw)
    match = _CORPUS.match(raw)
    if match:
        return WorkId("corpus_id", match.group("id"), raw)
    match = _OPENALEX.match(raw)
    if match:
        return WorkId("openalex", match.group("id").upper(), raw)
    key = record_key(raw) if "dblp" in raw.lower() else None
    if key:
        return WorkId("dblp", key, raw)
    raise BadInputError(
        f"{raw!r} is not an id pubtrack knows: use an arXiv id, a DOI, a Semantic Scholar "
        "or OpenAlex id/URL, a dblp record URL, or --title"
    )
