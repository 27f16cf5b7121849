"""Faults the fake server injects on request: transport faults (429, 5xx, slow,
reset, truncated, malformed, down) and adversarial answers (well-formed, 200, wrong)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pubtrack.testing.fake_api.catalogue import Catalogue, FakePaper
from pubtrack.testing.fake_api.responses import S2_FIELDS, s2_paper

# Faults that answer 200 with a well-formed body that lies (see ``lie``).
ADVERSARIAL = ("other_paper", "other_doi", "huge_ints", "wrong_types", "future_dates")


FAULT_KINDS = (
    "429",
    "status",
    "slow",
    "reset",
    "truncate",
    "malformed",
    "error_feed",
    "down",
    "zero_counts",
    "other_paper",
    "other_doi",
    "huge_ints",
    "wrong_types",
    "future_dates",
    "redirect",
)


def _other(catalogue: Catalogue, paper: FakePaper | None) -> FakePaper:
    """Another paper of the catalogue (the next one), to answer in its place."""
    papers = catalogue.papers
    index = papers.index(paper) if paper in papers else -1
    return papers[(index + 1) % len(papers)]


def _by_s2_id(catalogue: Catalogue, item: dict[str, Any]) -> FakePaper | None:
    return catalogue.by_s2(str(item.get("paperId", ""))) if isinstance(item, dict) else None


def _lie_s2(kind: str, item: Any, catalogue: Catalogue) -> Any:
    if not isinstance(item, dict):
        return item
    item = dict(item)
    if kind == "other_paper":
        other = _other(catalogue, _by_s2_id(catalogue, item))
        fields = [f for f in item if f in S2_FIELDS]
        swapped = s2_paper(other, fields or ["paperId", "externalIds", "title"])
        item.update(swapped)
    elif kind == "other_doi":
        ext = dict(item.get("externalIds") or {})
        ext["DOI"] = f"10.9999/other.{item.get('paperId', 'x')[:8]}"
        ext.pop("ArXiv", None)
        item["externalIds"] = ext
    elif kind == "huge_ints":
        item["citationCount"] = 10**20
    elif kind == "wrong_types":
        item["paperId"] = {"id": item.get("paperId")}
        item["citationCount"] = "many"
    return item


def _lie_openalex(kind: str, record: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    record = dict(record)
    if kind == "huge_ints":
        record["cited_by_count"] = 10**20
    elif kind == "wrong_types":
        record["cited_by_count"] = "12"
    elif kind == "future_dates":
        record["counts_by_year"] = [{"year": 2999, "cited_by_count": 5}]
    elif kind in ("other_doi", "other_paper"):
        record["doi"] = "https://doi.org/10.9999/other"
        record["ids"] = {"openalex": record.get("id"), "doi": record["doi"]}
        record["id"] = "https://openalex.org/W9999999999"
        record["locations"] = []
        record["primary_location"] = None
    return record


def _lie_crossref(kind: str, message: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    message = dict(message)
    if kind == "other_paper":
        other = _other(catalogue, catalogue.by_doi(str(message.get("DOI", ""))))
        message["DOI"] = other.doi or "10.9999/other"
        message["title"] = [other.title]
    elif kind == "other_doi":
        message["DOI"] = "10.9999/other." + str(message.get("DOI", ""))[-6:]
    elif kind == "huge_ints":
        message["is-referenced-by-count"] = 10**20
    elif kind == "wrong_types":
        message["is-referenced-by-count"] = {"value": 3}
    return message


def lie(api: str, kind: str, obj: Any, catalogue: Catalogue) -> Any:
    """The answer ``obj`` of ``api`` turned into the adversarial ``kind``."""
    if api == "semantic_scholar":
        if isinstance(obj, list):
            return [_lie_s2(kind, item, catalogue) for item in obj]
        if isinstance(obj, dict) and isinstance(obj.get("data"), list):
            return {**obj, "data": [_lie_s2(kind, i, catalogue) for i in obj["data"]]}
        return _lie_s2(kind, obj, catalogue)
    if api == "openalex" and isinstance(obj, dict) and isinstance(obj.get("results"), list):
        return {**obj, "results": [_lie_openalex(kind, r, catalogue) for r in obj["results"]]}
    if api == "crossref" and isinstance(obj, dict) and isinstance(obj.get("message"), dict):
        message = obj["message"]
        if isinstance(message.get("items"), list):  # a list query (filter=doi:…)
            items = [_lie_crossref(kind, i, catalogue) for i in message["items"]]
            return {**obj, "message": {**message, "items": items}}
        return {**obj, "message": _lie_crossref(kind, message, catalogue)}
    return obj


@dataclass
class Fault:
    """One fault to apply to requests of one API.

    kinds: '429' (``retry_after`` seconds or an HTTP date, optional),
    'status' (``status``, e.g. 500/502/503), 'slow' (answer after ``delay``
    seconds), 'reset' (close the socket with a RST, no answer), 'truncate'
    (Content-Length larger than what is sent), 'malformed' (invalid
    JSON/XML with status 200), 'error_feed' (arXiv's HTTP 400 error entry),
    'down' (close every connection without an answer).
    Adversarial answers (status 200, a well-formed body that lies): 'other_paper'
    (each slot describes a different paper of the catalogue), 'other_doi' (the
    DOI is another one), 'huge_ints' (counts of 10**20), 'wrong_types' (an id
    that is an object, counts that are strings), 'future_dates' (counts per
    year in the year 2999); 'redirect' (307 to the same server under the host
    name ``localhost``: a key that follows it shows in ``RequestRecord.api_key``);
    'zero_counts' (the normal JSON answer with every citation count 0).
    ``times``: how many requests it hits (None: until cleared);
    ``probability``: a standing rule that hits requests at random.
    """

    kind: str
    times: int | None = 1
    status: int = 500
    retry_after: str | None = None
    delay: float = 0.0
    probability: float = 1.0
    bad_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (known: {', '.join(FAULT_KINDS)})")


@dataclass
class RequestRecord:
    api: str
    method: str
    path: str  # without the API prefix
    query: str
    time: float  # time.monotonic() at arrival
    status: int = 0  # 0: no answer (reset, down, truncated)
    fault: str = ""
    user_agent: str = ""
    api_key: bool = False  # a key was sent (never the key itself)
    ids: int = 0  # how many ids/values the request asked for
