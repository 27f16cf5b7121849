"""A fake of the four APIs pubtrack uses, on 127.0.0.1, for tests and benchmarks.

One in-memory catalogue of papers answers consistently through all four
APIs (the same paper has the same ids and counts in Semantic Scholar, arXiv,
OpenAlex and Crossref), with the response *shapes* of the real services
(checked against the recordings in ``corpora/api`` by the tests). It:

- enforces rate limits the way the real services do (S2: 429 with a
  ``message`` body; arXiv: one request per 3 s and one connection at a time;
  OpenAlex: an ``api_key`` and 10 requests/s; Crossref), all intervals
  multiplied by ``time_scale`` so tests and benchmarks can run fast while the
  request-count logic stays the same;
- counts and logs every request (``request_counts``, ``endpoint_counts``,
  ``status_counts``, ``log``);
- injects faults on demand, per API, as a queue or a standing rule: 429
  (with or without Retry-After), 5xx, slow answers, connection resets,
  truncated bodies, malformed bodies, the arXiv error feed, and "down";
- changes citation counts between runs (``set_citations``).

In-process::

    with FakeApiServer(make_papers(50), time_scale=0.01) as server:
        monkeypatch.setenv(...) for each of server.env().items()

As a subprocess (the first stdout line is the base URL)::

    python -m pubtrack.testing.fake_api --port 0 --papers 100 --time-scale 0.01 --bib out.bib

with a control API: ``POST /_control/faults`` (JSON fault), ``DELETE
/_control/faults``, ``GET /_control/stats``, ``POST /_control/citations``
(``{"bump": 3}`` or ``{"counts": {"<any id>": 12}}``), ``POST
/_control/reset``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from pubtrack.identity import normalize_doi, split_arxiv_id, title_similarity

API_NAMES = ("semantic_scholar", "arxiv", "openalex", "crossref", "orcid", "dblp", "datacite")
# Each API lives under its own path prefix on the one port.
API_PREFIXES = {
    "semantic_scholar": "/s2/graph/v1",
    "arxiv": "/arxiv/api/query",
    "openalex": "/openalex",
    "crossref": "/crossref",
    "orcid": "/orcid/v3.0",
    "dblp": "/dblp",
    "datacite": "/datacite",
}
API_ENV = {
    "semantic_scholar": "PUBTRACK_S2_API_URL",
    "arxiv": "PUBTRACK_ARXIV_API_URL",
    "openalex": "PUBTRACK_OPENALEX_API_URL",
    "crossref": "PUBTRACK_CROSSREF_API_URL",
    "orcid": "PUBTRACK_ORCID_API_URL",
    "dblp": "PUBTRACK_DBLP_API_URL",
    "datacite": "PUBTRACK_DATACITE_API_URL",
}
# The real services' limits, in seconds between two requests (before time_scale).
DEFAULT_INTERVALS = {
    "semantic_scholar": 1.0,
    "arxiv": 3.0,
    "openalex": 0.1,
    "crossref": 0.1,
    "orcid": 1 / 24,  # ORCID public API: 24 requests/s
    "dblp": 1.0,  # dblp: no published figure; it answers 429 + Retry-After to bursts
    "datacite": 0.1,  # DataCite: 3000 requests / 5 min
}
# How each limit is counted: a window of this many seconds (before time_scale)
# holding at most window/interval requests. arXiv ("one request every three
# seconds") and S2 (1 request/s) count single intervals; OpenAlex and Crossref
# state "N requests per second", so a request a few ms early is not refused as
# long as the last second held fewer than N.
LIMIT_WINDOWS = {
    "semantic_scholar": 1.0,
    "arxiv": 3.0,
    "openalex": 1.0,
    "crossref": 1.0,
    "orcid": 1.0,
    "dblp": 1.0,
    "datacite": 1.0,
}
# The intervals pubtrack's sources use by default (a little above the limits).
CLIENT_INTERVALS = {
    "semantic_scholar": 1.0,
    "arxiv": 3.0,
    "openalex": 0.1,
    "crossref": 0.2,
    "orcid": 0.05,
    "dblp": 1.0,
    "datacite": 0.1,
}
S2_TOO_MANY = (
    "Too Many Requests. Please wait and try again or apply for a key for higher rate "
    "limits. https://www.semanticscholar.org/product/api#api-key-form"
)
ARXIV_NS = "http://arxiv.org/schemas/atom"
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


# --------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------


@dataclass
class FakePaper:
    """One paper, as every API knows it."""

    s2_id: str  # 40 hex
    corpus_id: int
    title: str
    authors: list[str]
    year: int
    venue: str = ""
    arxiv_id: str | None = None  # canonical, no version
    arxiv_version: int = 1
    doi: str | None = None  # the published version's DOI (not the arXiv DOI)
    citation_count: int = 0
    influential_count: int = 0
    counts_by_year: dict[int, int] = field(default_factory=dict)
    journal_ref: str | None = None
    abstract: str = ""
    categories: list[str] = field(default_factory=lambda: ["cs.LG"])
    comment: str | None = None
    published: str = ""  # ISO date of the first arXiv version / publication
    openalex_id: str = ""  # "W..."
    # OpenAlex merged the preprint into the journal version: asked for the
    # arXiv DOI, it answers with the journal work (doi = the journal DOI).
    openalex_merged: bool = False
    arxiv_lists_doi: bool = True  # arXiv reports the journal DOI (arxiv:doi)
    tldr: str | None = None
    bib_ids: tuple[str, ...] = ("arxiv", "doi")  # ids write_bib puts in the entry
    # Author ids per position ({"orcid", "s2", "openalex", "dblp"}), for profile endpoints.
    author_ids: list[dict[str, str]] = field(default_factory=list)
    volume: str = ""
    pages: str = ""
    crossref_type: str = "journal-article"

    @property
    def arxiv_doi(self) -> str | None:
        return f"10.48550/arxiv.{self.arxiv_id}" if self.arxiv_id else None

    @property
    def key(self) -> str:
        return f"p{self.corpus_id}"


class Catalogue:
    """The papers, indexed by every id the APIs are asked with."""

    def __init__(self, papers: Iterable[FakePaper] = ()) -> None:
        self.papers: list[FakePaper] = []
        self._lock = threading.Lock()
        self._by: dict[str, FakePaper] = {}
        for paper in papers:
            self.add(paper)

    def add(self, paper: FakePaper) -> None:
        self.papers.append(paper)
        for key in self._keys(paper):
            self._by.setdefault(key, paper)

    @staticmethod
    def _keys(paper: FakePaper) -> list[str]:
        keys = [f"s2:{paper.s2_id.lower()}", f"corpus:{paper.corpus_id}"]
        if paper.arxiv_id:
            keys.append(f"arxiv:{paper.arxiv_id.lower()}")
        if paper.doi:
            keys.append(f"doi:{paper.doi.lower()}")
        if paper.openalex_id:
            keys.append(f"openalex:{paper.openalex_id.upper()}")
        return keys

    def by_s2(self, s2_id: str) -> FakePaper | None:
        return self._by.get(f"s2:{s2_id.lower()}")

    def by_corpus(self, corpus_id: str) -> FakePaper | None:
        return self._by.get(f"corpus:{corpus_id.strip()}")

    def by_arxiv(self, arxiv_id: str) -> FakePaper | None:
        return self._by.get(f"arxiv:{arxiv_id.lower()}")

    def by_doi(self, doi: str) -> FakePaper | None:
        """The paper whose published DOI is ``doi``; the arXiv DOI finds the preprint."""
        value = normalize_doi(doi) or doi.lower()
        if value.startswith("10.48550/arxiv."):
            return self.by_arxiv(value[len("10.48550/arxiv.") :])
        return self._by.get(f"doi:{value}")

    def by_any(self, text: str) -> FakePaper | None:
        """A paper by any id (for set_citations)."""
        for key in (f"s2:{text.lower()}", f"corpus:{text}", f"openalex:{text.upper()}"):
            if key in self._by:
                return self._by[key]
        parts = split_arxiv_id(text)
        if parts and self.by_arxiv(parts[0]):
            return self.by_arxiv(parts[0])
        return self.by_doi(text) if normalize_doi(text) else None

    def best_title_match(self, query: str) -> tuple[FakePaper, float] | None:
        best: tuple[FakePaper, float] | None = None
        for paper in self.papers:
            score = title_similarity(query, paper.title)
            if best is None or score > best[1]:
                best = (paper, score)
        return best if best and best[1] >= 0.5 else None

    def set_citations(
        self, counts: dict[str, int] | None = None, *, bump: int = 0, year: int | None = None
    ) -> int:
        """Change counts between runs: ``counts`` by any id, and/or ``bump`` every paper.

        The increase also lands in ``counts_by_year[year]`` (default: this
        year), as OpenAlex would show it. Returns how many papers changed.
        """
        year = year or time.gmtime().tm_year
        changed = 0
        with self._lock:
            targets: list[tuple[FakePaper, int]] = []
            for ident, count in (counts or {}).items():
                paper = self.by_any(str(ident))
                if paper is None:
                    raise KeyError(f"no fake paper with id {ident!r}")
                targets.append((paper, int(count)))
            if bump:
                targets.extend((p, p.citation_count + bump) for p in self.papers)
            for paper, count in targets:
                delta = count - paper.citation_count
                if delta:
                    changed += 1
                paper.citation_count = count
                paper.counts_by_year[year] = max(0, paper.counts_by_year.get(year, 0) + delta)
        return changed


_ADJECTIVES = [
    "Robust",
    "Scalable",
    "Efficient",
    "Sparse",
    "Adaptive",
    "Hierarchical",
    "Contrastive",
    "Bayesian",
    "Causal",
    "Federated",
    "Differentiable",
    "Equivariant",
    "Implicit",
    "Modular",
    "Stochastic",
    "Compositional",
    "Generative",
    "Interpretable",
    "Low-Rank",
    "Multilingual",
]
_METHODS = [
    "Transformers",
    "Diffusion",
    "Attention",
    "Pruning",
    "Distillation",
    "Regularization",
    "Optimization",
    "Retrieval",
    "Tokenization",
    "Quantization",
    "Calibration",
    "Augmentation",
    "Reasoning",
    "Planning",
    "Alignment",
    "Embeddings",
    "Kernels",
    "Ensembles",
    "Priors",
    "Sampling",
]
_TASKS = [
    "Segmentation",
    "Translation",
    "Tracking",
    "Summarization",
    "Forecasting",
    "Recommendation",
    "Navigation",
    "Detection",
    "Parsing",
    "Reconstruction",
    "Captioning",
    "Clustering",
    "Ranking",
    "Localization",
    "Imputation",
    "Verification",
    "Compression",
    "Retrieval",
    "Control",
    "Generation",
]
_DOMAINS = [
    "Graphs",
    "Genomics",
    "Robotics",
    "Healthcare",
    "Climate",
    "Code",
    "Speech",
    "Video",
    "Tables",
    "Chemistry",
    "Finance",
    "Astronomy",
]
_FIRST = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "Hedy",
    "John",
    "Katherine",
    "Leslie",
    "Margaret",
    "Niklaus",
    "Radia",
    "Shafi",
    "Tim",
    "Yoshua",
    "Zihang",
    "Yaoqing",
    "Fei",
    "Lin",
    "Mei",
    "Priya",
    "Omar",
    "Sofia",
]
_LAST = [
    "Lovelace",
    "Turing",
    "Liskov",
    "Shannon",
    "Knuth",
    "Dijkstra",
    "Allen",
    "Hopper",
    "Lamarr",
    "McCarthy",
    "Johnson",
    "Lamport",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Goldwasser",
    "Berners-Lee",
    "Bengio",
    "Liu",
    "Yang",
    "Su",
    "Chen",
    "Wang",
    "Sharma",
    "Haddad",
    "García",
    "Müller",
]


def make_papers(n: int, *, seed: int = 0, start_year: int = 2015) -> list[FakePaper]:
    """``n`` synthetic papers with a realistic mix of ids, deterministic for a seed.

    Mix: arXiv-only preprints; preprints published with a journal DOI (some
    merged in OpenAlex); DOI-only papers; a few entries with no id at all
    (for the title match). Titles are distinct.
    """
    rng = random.Random(seed)
    combos = len(_ADJECTIVES) * len(_METHODS) * len(_TASKS) * len(_DOMAINS)
    if n > combos:
        raise ValueError(f"at most {combos} distinct fake papers")
    picks = rng.sample(range(combos), n)
    papers: list[FakePaper] = []
    for i, pick in enumerate(picks):
        a, rest = divmod(pick, len(_METHODS) * len(_TASKS) * len(_DOMAINS))
        m, rest = divmod(rest, len(_TASKS) * len(_DOMAINS))
        t, d = divmod(rest, len(_DOMAINS))
        title = f"{_ADJECTIVES[a]} {_METHODS[m]} for {_TASKS[t]} in {_DOMAINS[d]}"
        year = start_year + rng.randrange(10)
        month = 1 + rng.randrange(12)
        authors = [f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" for _ in range(1 + rng.randrange(5))]
        count = rng.randrange(400)
        by_year = _spread(count, year, rng)
        kind = i % 4
        arxiv_id = f"{year % 100:02d}{month:02d}.{10000 + i:05d}" if kind != 2 else None
        doi = f"10.5555/fake.{year}.{i:05d}" if kind in (1, 2, 3) else None
        bib_ids: tuple[str, ...] = ("arxiv", "doi")
        if kind == 3:
            bib_ids = ("arxiv",)  # the published DOI is learned from arXiv / S2
        if i % 50 == 7:
            bib_ids = ()  # no id: only a title match can find it
        papers.append(
            FakePaper(
                s2_id=f"{rng.getrandbits(160):040x}",
                corpus_id=100000 + i,
                title=title,
                authors=authors,
                year=year,
                venue=f"Journal of {_DOMAINS[d]} {_TASKS[t]}" if doi else "arXiv",
                arxiv_id=arxiv_id,
                arxiv_version=1 + rng.randrange(3) if arxiv_id else 1,
                doi=doi,
                citation_count=count,
                influential_count=count // 10,
                counts_by_year=by_year,
                journal_ref=f"J. {_DOMAINS[d]} {year}, {i}" if (arxiv_id and doi) else None,
                abstract=f"We study {title.lower()}. Results improve on prior work.",
                categories=["cs.LG", "stat.ML"] if i % 3 else ["cs.CL"],
                comment="10 pages" if i % 5 == 0 else None,
                published=f"{year}-{month:02d}-{1 + rng.randrange(28):02d}",
                openalex_id=f"W{4000000000 + i}",
                openalex_merged=kind == 1 and i % 8 == 1,
                tldr=f"A {title.split()[0].lower()} approach." if i % 2 else None,
                bib_ids=bib_ids,
            )
        )
    return papers


def _spread(total: int, since: int, rng: random.Random) -> dict[int, int]:
    years = list(range(since, 2027))
    out: dict[int, int] = {}
    left = total
    for j, year in enumerate(years):
        share = left if j == len(years) - 1 else rng.randrange(left + 1) // 2
        if share:
            out[year] = share
        left -= share
    return out


def _bib_escape(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%")


def write_bib(papers: Iterable[FakePaper], path: str | Path) -> Path:
    """A .bib file for the papers (keys ``p<corpus id>``), with the ids each paper's
    ``bib_ids`` names. Written atomically."""
    chunks = []
    for paper in papers:
        authors = " and ".join(
            f"{name.split(' ', 1)[1]}, {name.split(' ', 1)[0]}" if " " in name else name
            for name in paper.authors
        )
        fields = [
            ("title", "{" + _bib_escape(paper.title) + "}"),
            ("author", "{" + authors + "}"),
            ("year", "{" + str(paper.year) + "}"),
        ]
        entry_type = "misc"
        if paper.doi:
            entry_type = "article"
            fields.append(("journal", "{" + _bib_escape(paper.venue) + "}"))
        if paper.doi and "doi" in paper.bib_ids:
            fields.append(("doi", "{" + paper.doi + "}"))
        if paper.arxiv_id and "arxiv" in paper.bib_ids:
            fields.append(("eprint", "{" + paper.arxiv_id + "}"))
            fields.append(("archiveprefix", "{arXiv}"))
        body = ",\n".join(f"  {name:<13} = {value}" for name, value in fields)
        chunks.append(f"@{entry_type}{{{paper.key},\n{body},\n}}\n")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(chunks), encoding="utf-8")
    tmp.replace(target)
    return target


def fast_sync_settings(time_scale: float) -> str:
    """``[sync.<source>]`` TOML sections that make pubtrack as fast as a scaled server allows.

    Intervals are the sources' defaults times ``time_scale`` (a little above
    the server's limits, as in real life); back-off is scaled too.
    """
    lines = []
    for name in API_NAMES:
        interval = CLIENT_INTERVALS[name] * time_scale
        lines += [
            f"[sync.{name}]",
            f"min_interval = {interval * 1.05 + 0.002:.4f}",
            f"backoff_base = {max(0.01, 2.0 * time_scale):.4f}",
            f"timeout = {max(1.0, 60 * time_scale):.2f}",
            "",
        ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Response bodies (shapes as recorded from the real services)
# --------------------------------------------------------------------------

S2_FIELDS = [
    "paperId",
    "corpusId",
    "externalIds",
    "url",
    "title",
    "abstract",
    "venue",
    "year",
    "publicationDate",
    "journal",
    "openAccessPdf",
    "tldr",
    "citationCount",
    "influentialCitationCount",
    "referenceCount",
    "isOpenAccess",
    "fieldsOfStudy",
    "publicationTypes",
    "authors",
    "publicationVenue",
]


def s2_paper(paper: FakePaper, fields: list[str] | None = None) -> dict[str, Any]:
    """A Graph v1 paper object with the requested fields (paperId always)."""
    external: dict[str, Any] = {}
    if paper.arxiv_id:
        external["ArXiv"] = paper.arxiv_id
    if paper.doi:
        external["DOI"] = paper.doi
    elif paper.arxiv_id:
        external["DOI"] = f"10.48550/arXiv.{paper.arxiv_id}"
    external["CorpusId"] = paper.corpus_id
    pdf = (
        {"url": f"https://arxiv.org/pdf/{paper.arxiv_id}", "status": "GREEN"}
        if paper.arxiv_id
        else None
    )
    full: dict[str, Any] = {
        "paperId": paper.s2_id,
        "corpusId": paper.corpus_id,
        "externalIds": external,
        "url": f"https://www.semanticscholar.org/paper/{paper.s2_id}",
        "title": paper.title,
        "abstract": paper.abstract or None,
        "venue": paper.venue if paper.doi else "arXiv.org",
        "year": paper.year,
        "publicationDate": paper.published or None,
        "journal": {"name": paper.venue} if paper.doi else {"name": "ArXiv"},
        "openAccessPdf": pdf,
        "tldr": {"model": "tldr@v2.0.0", "text": paper.tldr} if paper.tldr else None,
        "citationCount": paper.citation_count,
        "influentialCitationCount": paper.influential_count,
        "referenceCount": 30,
        "isOpenAccess": pdf is not None,
        "fieldsOfStudy": ["Computer Science"],
        "publicationTypes": ["JournalArticle"] if paper.doi else None,
        "authors": [
            {"authorId": _aid(paper, i, "s2") or str(1000 + abs(hash(name)) % 10**8), "name": name}
            for i, name in enumerate(paper.authors)
        ],
        "publicationVenue": None,
    }
    wanted = fields or ["title"]
    return {"paperId": paper.s2_id, **{f: full[f] for f in wanted if f in full}}


def arxiv_entry(paper: FakePaper, version: int | None = None) -> str:
    """One Atom <entry>, laid out like export.arxiv.org's 2026 answers."""
    assert paper.arxiv_id
    v = version or paper.arxiv_version
    ident = f"{paper.arxiv_id}v{v}"
    published = f"{paper.published}T12:00:00Z"
    updated = published if v == 1 else f"{paper.published}T12:00:00Z".replace("T12", "T18")
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{ident}</id>",
        f"    <title>{escape(paper.title)}</title>",
        f"    <updated>{updated}</updated>",
        f'    <link href="https://arxiv.org/abs/{ident}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{ident}" rel="related" '
        'type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(paper.abstract)}</summary>",
    ]
    parts += [
        f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>'
        for c in paper.categories
    ]
    parts.append(f"    <published>{published}</published>")
    if paper.comment:
        parts.append(f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>")
    parts.append(f'    <arxiv:primary_category term="{paper.categories[0]}"/>')
    if paper.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>")
    for name in paper.authors:
        parts += ["    <author>", f"      <name>{escape(name)}</name>", "    </author>"]
    if paper.doi and paper.arxiv_lists_doi:
        parts.append(f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>")
        parts.append(
            f'    <link rel="related" href="https://doi.org/{escape(paper.doi)}" title="doi"/>'
        )
    parts.append("  </entry>")
    return "\n".join(parts)


def arxiv_feed(entries: list[str], query: str, total: int, per_page: int) -> str:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        f'xmlns:arxiv="{ARXIV_NS}" xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>https://arxiv.org/api/{abs(hash(query)) % 10**12:012d}</id>\n"
        f"  <title>arXiv Query: {escape(query)}</title>\n"
        f"  <updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}</updated>\n"
        f'  <link href="https://arxiv.org/api/query?{escape(query)}" '
        'type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
    )
    return head + "".join(e + "\n" for e in entries) + "</feed>\n"


def arxiv_error_feed(bad_id: str) -> str:
    """What arXiv answers (HTTP 400) for a malformed id."""
    slug = re.sub(r"\s+", "_", f"incorrect id format for {bad_id}")
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        f'xmlns:arxiv="{ARXIV_NS}" xmlns="http://www.w3.org/2005/Atom">\n'
        "  <id>https://arxiv.org/</id>\n"
        "  <title>arXiv Search Results</title>\n"
        f"  <updated>{when}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        "  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{escape(slug)}</id>\n"
        "    <title>Error</title>\n"
        f"    <updated>{when}</updated>\n"
        f'    <link href="https://arxiv.org/api/errors#{escape(slug)}" rel="alternate" '
        'type="text/html"/>\n'
        f"    <summary>incorrect id format for {escape(bad_id)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    )


def openalex_work(paper: FakePaper, *, as_preprint: bool = False) -> dict[str, Any]:
    """An OpenAlex Work. ``as_preprint``: the arXiv record of a paper OpenAlex keeps apart."""
    doi = paper.arxiv_doi if (as_preprint or not paper.doi) else paper.doi
    oa_id = paper.openalex_id + ("P" if as_preprint else "")
    ids = {"openalex": f"https://openalex.org/{oa_id}", "doi": f"https://doi.org/{doi}"}
    locations = []
    if paper.doi and not as_preprint:
        locations.append(
            {
                "is_oa": False,
                "landing_page_url": f"https://doi.org/{paper.doi}",
                "pdf_url": None,
                "source": {"id": "https://openalex.org/S1", "display_name": paper.venue},
                "version": "publishedVersion",
            }
        )
    if paper.arxiv_id:
        locations.append(
            {
                "is_oa": True,
                "landing_page_url": f"http://arxiv.org/abs/{paper.arxiv_id}",
                "pdf_url": f"http://arxiv.org/pdf/{paper.arxiv_id}",
                "source": {
                    "id": "https://openalex.org/S4306400194",
                    "display_name": "arXiv (Cornell University)",
                    "type": "repository",
                },
                "version": "submittedVersion",
            }
        )
    return {
        "id": f"https://openalex.org/{oa_id}",
        "doi": f"https://doi.org/{doi}",
        "title": paper.title,
        "display_name": paper.title,
        "publication_year": paper.year,
        "publication_date": paper.published or f"{paper.year}-01-01",
        "ids": ids,
        "language": "en",
        "primary_location": locations[0] if locations else None,
        "type": "preprint" if (as_preprint or not paper.doi) else "article",
        "authorships": [
            {
                "author_position": "first" if i == 0 else "middle",
                "author": {
                    "id": f"https://openalex.org/{_aid(paper, i, 'openalex') or f'A{i}'}",
                    "display_name": n,
                    "orcid": (
                        f"https://orcid.org/{_aid(paper, i, 'orcid')}"
                        if _aid(paper, i, "orcid")
                        else None
                    ),
                },
                "institutions": [],
            }
            for i, n in enumerate(paper.authors)
        ],
        "cited_by_count": paper.citation_count,
        "locations_count": len(locations),
        "locations": locations,
        "counts_by_year": [
            {"year": y, "cited_by_count": c}
            for y, c in sorted(paper.counts_by_year.items(), reverse=True)
        ],
        "updated_date": "2026-11-01T00:00:00.000000",
        "created_date": f"{paper.year}-01-01",
    }


def crossref_message(paper: FakePaper) -> dict[str, Any]:
    assert paper.doi
    authors = []
    for i, name in enumerate(paper.authors):
        given, _, family = name.rpartition(" ")
        author = {"given": given, "family": family, "sequence": "first" if i == 0 else "additional"}
        if _aid(paper, i, "orcid"):
            author["ORCID"] = f"https://orcid.org/{_aid(paper, i, 'orcid')}"
        authors.append(author)
    return {
        "status": "ok",
        "message-type": "work",
        "message-version": "1.0.0",
        "message": {
            "DOI": paper.doi,
            "URL": f"https://doi.org/{paper.doi}",
            "title": [paper.title],
            "container-title": [paper.venue],
            "author": authors,
            "published": {"date-parts": [_date_parts(paper)]},
            "type": paper.crossref_type,
            **({"volume": paper.volume} if paper.volume else {}),
            **({"page": paper.pages} if paper.pages else {}),
            "is-referenced-by-count": paper.citation_count,
            "references-count": 30,
            "publisher": "Fake Publisher",
        },
    }


# --------------------------------------------------------------------------
# Adversarial answers: well-formed, status 200, and wrong
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeApiServer


class FakeApiServer:
    """The fake APIs on 127.0.0.1; start with ``with`` or ``start()``/``stop()``."""

    def __init__(
        self,
        papers: Iterable[FakePaper] | Catalogue = (),
        *,
        port: int = 0,
        time_scale: float = 1.0,
        intervals: dict[str, float] | None = None,
        enforce_limits: bool = True,
        s2_api_key: str | None = None,
        s2_keyless_429: float = 0.0,
        openalex_api_key: str | None = None,
        openalex_requires_key: bool = True,
        seed: int = 0,
        tolerance: float = 0.002,
    ) -> None:
        self.catalogue = papers if isinstance(papers, Catalogue) else Catalogue(papers)
        self.port = port
        self.time_scale = time_scale
        base = dict(DEFAULT_INTERVALS, **(intervals or {}))
        self.intervals = {name: base[name] * time_scale for name in API_NAMES}
        # (requests allowed, per window seconds), scaled
        self.limits = {
            name: (
                max(1, round(LIMIT_WINDOWS[name] / base[name])),
                max(LIMIT_WINDOWS[name], base[name]) * time_scale,
            )
            for name in API_NAMES
        }
        self.enforce_limits = enforce_limits
        self.s2_api_key = s2_api_key
        self.s2_keyless_429 = s2_keyless_429
        self.openalex_api_key = openalex_api_key
        self.openalex_requires_key = openalex_requires_key
        # Arrival jitter the limits forgive (seconds): a client that keeps the
        # interval between its request starts must never see a 429.
        self.tolerance = tolerance
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: dict[str, deque[Fault]] = {name: deque() for name in API_NAMES}
        self._arrivals: dict[str, deque[float]] = {name: deque() for name in API_NAMES}
        self._active: Counter[str] = Counter()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.request_counts: Counter[str] = Counter()
        self.endpoint_counts: Counter[str] = Counter()
        self.status_counts: Counter[tuple[str, int]] = Counter()
        self.log: list[RequestRecord] = []

    # -- lifecycle --------------------------------------------------------
    def start(self) -> FakeApiServer:
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_url(self, api: str) -> str:
        return self.url + API_PREFIXES[_api_name(api)]

    def env(self) -> dict[str, str]:
        """The PUBTRACK_*_API_URL variables that point pubtrack at this server."""
        return {API_ENV[name]: self.api_url(name) for name in API_NAMES}

    # -- faults and counts --------------------------------------------------
    def inject(self, api: str, kind: str, times: int | None = 1, **options: Any) -> Fault:
        """Queue a fault for the next ``times`` requests of ``api`` (None: until cleared)."""
        api = _api_name(api)
        fault = Fault(kind, times=times, **options)
        with self._lock:
            self._faults[api].append(fault)
        return fault

    def clear_faults(self, api: str | None = None) -> None:
        with self._lock:
            for name in [_api_name(api)] if api else API_NAMES:
                self._faults[name].clear()

    def _next_fault(self, api: str) -> Fault | None:
        with self._lock:
            queue = self._faults[api]
            while queue:
                fault = queue[0]
                if fault.probability < 1.0 and self._rng.random() >= fault.probability:
                    return None
                if fault.times is None:
                    return fault
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        queue.popleft()
                    return fault
                queue.popleft()
            return None

    def reset_counts(self) -> None:
        with self._lock:
            self.request_counts.clear()
            self.endpoint_counts.clear()
            self.status_counts.clear()
            self.log.clear()

    def count(self, api: str, status: int | None = None) -> int:
        """Requests to ``api`` (answered with ``status``, if given)."""
        api = _api_name(api)
        if status is None:
            return self.request_counts[api]
        return self.status_counts[(api, status)]

    def set_citations(self, counts: dict[str, int] | None = None, *, bump: int = 0) -> int:
        return self.catalogue.set_citations(counts, bump=bump)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": dict(self.request_counts),
                "endpoints": dict(self.endpoint_counts),
                "statuses": {
                    api: {str(s): n for (a, s), n in self.status_counts.items() if a == api}
                    for api in API_NAMES
                },
                "log": [asdict(r) for r in self.log],
            }

    # -- rate limits ------------------------------------------------------
    def _too_fast(self, api: str, now: float) -> bool:
        """Record an arrival; True when the window before it already held the limit.

        Every request counts, refused ones too (as with the real services).
        """
        allowed, window = self.limits[api]
        with self._lock:
            arrivals = self._arrivals[api]
            while arrivals and arrivals[0] <= now - window + self.tolerance:
                arrivals.popleft()
            full = len(arrivals) >= allowed
            arrivals.append(now)
        return self.enforce_limits and full


def _api_name(api: str) -> str:
    aliases = {"s2": "semantic_scholar", "semanticscholar": "semantic_scholar"}
    name = aliases.get(api, api)
    if name not in API_NAMES:
        raise ValueError(f"unknown API {api!r} (known: {', '.join(API_NAMES)})")
    return name


_COUNT_FIELDS = frozenset(
    {"citationCount", "influentialCitationCount", "cited_by_count", "is-referenced-by-count"}
)


def _zeroed(obj: Any) -> Any:
    """A JSON answer with every citation count 0 (a source answering zeros, e.g. blocked)."""
    if isinstance(obj, dict):
        return {
            k: 0 if k in _COUNT_FIELDS and isinstance(v, int) else _zeroed(v)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_zeroed(v) for v in obj]
    return obj


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: _HTTPServer
    server_version = "FakeApi/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    @property
    def fake(self) -> FakeApiServer:
        return self.server.fake

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing -----------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes | str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self._finish(status)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        if getattr(self, "zero_counts", False):
            obj = _zeroed(obj)
        adversary = getattr(self, "_adversary", None)
        current = getattr(self, "_current", None)
        if adversary and status == 200 and current is not None:
            obj = lie(current[0], adversary, obj, self.fake.catalogue)
        self._send(status, json.dumps(obj), "application/json", headers)

    def _drop(self, reset: bool) -> None:
        """Close the connection without an answer (RST when ``reset``)."""
        self.close_connection = True
        try:
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith("/_control/"):
            self._control(method, path, parts.query)
            return
        api = next((n for n, p in API_PREFIXES.items() if path.startswith(p)), None)
        if api is None:
            self._json(404, {"error": f"no fake API at {path}"})
            return
        fake = self.fake
        now = time.monotonic()
        body = self._body() if method == "POST" else b""
        record = RequestRecord(
            api=api,
            method=method,
            path=path[len(API_PREFIXES[api]) :] or "/",
            query=parts.query,
            time=now,
            user_agent=self.headers.get("User-Agent", ""),
            api_key=bool(self.headers.get("x-api-key") or "api_key=" in parts.query),
        )
        with fake._lock:
            fake.request_counts[api] += 1
            fake.endpoint_counts[f"{api} {method} {_endpoint(api, record.path)}"] += 1
            fake.log.append(record)
        too_fast = fake._too_fast(api, now)
        with fake._lock:
            fake._active[api] += 1
            concurrent = fake._active[api] > 1
        self._current = (api, record)
        try:
            self._answer(api, method, record, parts.query, body, too_fast, concurrent)
        finally:
            self._finish(0)

    def _finish(self, status: int) -> None:
        """Account for the answer BEFORE its last bytes go out: the client may send
        its next request the moment it has read them."""
        current = getattr(self, "_current", None)
        if current is None:
            return
        self._current = None
        api, record = current
        fake = self.fake
        with fake._lock:
            fake._active[api] -= 1
            record.status = status
            if status:
                fake.status_counts[(api, status)] += 1

    def _answer(
        self,
        api: str,
        method: str,
        record: RequestRecord,
        query: str,
        body: bytes,
        too_fast: bool,
        concurrent: bool,
    ) -> int:
        fake = self.fake
        self.zero_counts = False  # per request (a kept-alive handler serves several)
        fault = fake._next_fault(api)
        self._adversary: str | None = None
        if fault is not None:
            record.fault = fault.kind
            if fault.kind in ADVERSARIAL:
                self._adversary = fault.kind  # the normal answer, then made to lie
            else:
                done = self._fault(api, fault, query)
                if done is not None:
                    return done
        if api == "arxiv" and concurrent and fake.enforce_limits:
            self._send(503, "Rate exceeded.\n", "text/plain")
            return 503
        if too_fast:
            return self._rate_limited(api)
        params = parse_qs(query, keep_blank_values=True)
        extra = EXTRA_HANDLERS.get((api, _endpoint(api, record.path)))
        if extra is not None:
            return extra(self, record, params)
        if api == "semantic_scholar":
            return self._s2(method, record, params, body)
        if api == "arxiv":
            return self._arxiv(record, params, query)
        if api == "openalex":
            return self._openalex(record, params)
        return self._crossref(record, params)

    def _rate_limited(self, api: str) -> int:
        if api == "semantic_scholar":
            self._json(429, {"message": S2_TOO_MANY, "code": "429"})
        elif api == "arxiv":
            self._send(429, "Rate exceeded.\n", "text/plain")
        elif api == "openalex":
            self._json(429, {"error": "Too Many Requests", "message": "Rate limit exceeded"})
        elif api == "dblp":
            self._send(429, "Too Many Requests\n", "text/plain", {"Retry-After": "1"})
        else:
            self._send(429, "Too Many Requests\n", "text/plain")
        return 429

    def _fault(self, api: str, fault: Fault, query: str) -> int | None:
        """Apply a fault; the status sent (0: none), or None to answer normally after all."""
        kind = fault.kind
        if kind == "down":
            self._drop(reset=False)
            return 0
        if kind == "reset":
            self._drop(reset=True)
            return 0
        if kind == "slow":
            self.fake._stopping.wait(fault.delay)
            return None  # then the normal answer (if the client still waits)
        if kind == "zero_counts":
            self.zero_counts = True  # the normal answer, every citation count 0
            return None
        if kind == "429":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if api == "semantic_scholar":
                self._json(429, {"message": S2_TOO_MANY, "code": "429"}, headers)
            else:
                self._send(429, "Too Many Requests\n", "text/plain", headers)
            return 429
        if kind == "status":
            if api in ("semantic_scholar", "openalex"):
                self._json(fault.status, {"error": "Internal Server Error"})
            else:
                self._send(fault.status, "<html><body>Server Error</body></html>", "text/html")
            return fault.status
        if kind == "truncate":
            data = b'{"data": [' + b'{"paperId": "x"}, ' * 50 + b"]}"
            if api == "arxiv":
                data = arxiv_feed([], "id_list=", 0, 100).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data) + 500))
            self._finish(200)
            self.end_headers()
            try:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
            except OSError:
                pass
            self._drop(reset=False)
            return 200
        if kind == "malformed":
            if api == "arxiv":
                self._send(200, "<?xml version='1.0'?><feed><entry><id>", "application/atom+xml")
            else:
                self._send(200, '{"data": [{"paperId": ', "application/json")
            return 200
        if kind == "redirect":
            target = f"http://localhost:{self.fake.port}{self.path}"
            self._send(307, "", "text/plain", {"Location": target})
            return 307
        if kind == "error_feed":
            ids = parse_qs(query).get("id_list", [""])[0].split(",")
            self._send(400, arxiv_error_feed(fault.bad_id or ids[0]), "application/atom+xml")
            return 400
        return None

    # -- the APIs -------------------------------------------------------------
    def _s2(
        self, method: str, record: RequestRecord, params: dict[str, list[str]], body: bytes
    ) -> int:
        fake = self.fake
        key = self.headers.get("x-api-key")
        if fake.s2_api_key is not None and key is not None and key != fake.s2_api_key:
            self._json(403, {"message": "Forbidden"})
            return 403
        if key is None and fake.s2_keyless_429 and fake._rng.random() < fake.s2_keyless_429:
            return self._rate_limited("semantic_scholar")
        fields = [f for f in ",".join(params.get("fields", [])).split(",") if f]
        unknown = [f for f in fields if f not in S2_FIELDS]
        if unknown:
            self._json(
                400, {"error": f"Unrecognized or unsupported fields: [{', '.join(unknown)}]"}
            )
            return 400
        path = record.path
        if method == "POST" and path == "/paper/batch":
            try:
                ids = json.loads(body or b"{}").get("ids")
            except (ValueError, AttributeError):
                ids = None
            if not isinstance(ids, list):
                self._json(400, {"error": "Body must be JSON with an 'ids' array"})
                return 400
            record.ids = len(ids)
            if len(ids) > 500:
                self._json(400, {"error": "Cannot exceed 500 ids per request"})
                return 400
            out = []
            for ident in ids:
                paper = self._s2_lookup(str(ident))
                out.append(s2_paper(paper, fields) if paper else None)
            self._json(200, out)
            return 200
        if method == "GET" and path == "/paper/search/match":
            query = params.get("query", [""])[0]
            record.ids = 1
            found = fake.catalogue.best_title_match(query) if query else None
            if found is None:
                self._json(404, {"error": "Title match not found"})
                return 404
            paper, score = found
            match = s2_paper(paper, fields)
            match["matchScore"] = round(50 + 60 * score, 5)
            self._json(200, {"data": [match]})
            return 200
        if method == "GET" and path.startswith("/paper/"):
            ident = path[len("/paper/") :]
            paper = self._s2_lookup(ident)
            if paper is None:
                self._json(404, {"error": f"Paper with id {ident} not found"})
                return 404
            self._json(200, s2_paper(paper, fields))
            return 200
        self._json(404, {"error": "Not found"})
        return 404

    def _s2_lookup(self, ident: str) -> FakePaper | None:
        catalogue = self.fake.catalogue
        prefix, sep, value = ident.partition(":")
        if sep:
            kind = prefix.upper()
            if kind == "ARXIV":
                parts = split_arxiv_id(value)
                return catalogue.by_arxiv(parts[0]) if parts else None
            if kind == "DOI":
                return catalogue.by_doi(value)
            if kind == "CORPUSID":
                return catalogue.by_corpus(value)
            return None
        if re.fullmatch(r"[0-9a-fA-F]{40}", ident):
            return catalogue.by_s2(ident)
        if ident.startswith("10."):
            return catalogue.by_doi(ident)
        return None

    def _arxiv(self, record: RequestRecord, params: dict[str, list[str]], query: str) -> int:
        raw = params.get("id_list", [""])[0]
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        record.ids = len(ids)
        try:
            max_results = int(params.get("max_results", ["10"])[0])
        except ValueError:
            max_results = 10
        for ident in ids:
            if split_arxiv_id(ident) is None or ident.lower().startswith(("arxiv:", "http")):
                self._send(400, arxiv_error_feed(ident), "application/atom+xml")
                return 400
        entries = []
        for ident in ids:
            arxiv_id, version = split_arxiv_id(ident) or (ident, None)
            paper = self.fake.catalogue.by_arxiv(arxiv_id)
            if paper is None or (version is not None and version > paper.arxiv_version):
                continue
            if getattr(self, "_adversary", None) == "other_paper":
                other = _other(self.fake.catalogue, paper)
                paper = replace(other, arxiv_id=paper.arxiv_id, arxiv_version=paper.arxiv_version)
            entries.append(arxiv_entry(paper, version))
        total = len(entries)
        shown = entries[: max(0, min(max_results, 2000))]
        feed_query = f"search_query=&id_list={raw}&start=0&max_results={max_results}"
        self._send(
            200,
            arxiv_feed(shown, feed_query, total, max_results),
            "application/atom+xml; charset=utf-8",
        )
        return 200

    def _openalex(self, record: RequestRecord, params: dict[str, list[str]]) -> int:
        fake = self.fake
        key = params.get("api_key", [""])[0]
        if fake.openalex_requires_key and not key:
            self._json(
                401,
                {"error": "API key required", "message": "Add api_key=YOUR_KEY to the request."},
            )
            return 401
        if fake.openalex_api_key is not None and key and key != fake.openalex_api_key:
            self._json(403, {"error": "Invalid API key", "message": "The api_key is not valid."})
            return 403
        if record.path.rstrip("/") != "/works":
            self._json(404, {"error": "Not found"})
            return 404
        try:
            per_page = int(params.get("per_page", ["25"])[0])
        except ValueError:
            per_page = -1
        if not 1 <= per_page <= 100:
            self._json(
                400,
                {
                    "error": "Invalid query parameters error.",
                    "message": "per-page parameter must be between 1 and 100",
                },
            )
            return 400
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        values: list[str] = []
        openalex_ids: list[str] = []
        for clause in ",".join(params.get("filter", [])).split(","):
            name, _, value = clause.partition(":")
            if name.strip() == "doi":
                values += [v for v in value.split("|") if v]
            elif name.strip() in ("ids.openalex", "openalex"):
                openalex_ids += [v for v in value.split("|") if v]
        values += [f"openalex:{v.rsplit('/', 1)[-1].upper()}" for v in openalex_ids]
        record.ids = len(values)
        if len(values) > 100:
            self._json(
                400,
                {
                    "error": "Invalid query parameters error.",
                    "message": "Maximum of 100 values in an OR filter.",
                },
            )
            return 400
        for value in values:
            if value.startswith("openalex:"):
                paper = fake.catalogue.by_any(value[len("openalex:") :])
                if paper is not None:
                    work = openalex_work(paper)
                    if work["id"] not in seen:
                        seen.add(work["id"])
                        results.append(work)
                continue
            doi = normalize_doi(value)
            paper = fake.catalogue.by_doi(doi) if doi else None
            if paper is None:
                continue
            arxiv_doi = bool(doi and doi.startswith("10.48550/arxiv."))
            if arxiv_doi and paper.doi and not paper.openalex_merged:
                continue  # OpenAlex keeps only the journal work for this one
            work = openalex_work(paper)
            if work["id"] not in seen:
                seen.add(work["id"])
                results.append(work)
        page = results[:per_page]
        self._json(
            200,
            {
                "meta": {
                    "count": len(results),
                    "db_response_time_ms": 12,
                    "page": 1,
                    "per_page": per_page,
                    "groups_count": None,
                },
                "results": page,
                "group_by": [],
            },
        )
        return 200

    def _crossref(self, record: RequestRecord, params: dict[str, list[str]]) -> int:
        path = record.path
        if not path.startswith("/works/"):
            self._send(404, "Resource not found.", "text/plain")
            return 404
        record.ids = 1
        doi = path[len("/works/") :]
        paper = self.fake.catalogue.by_doi(doi)
        if paper is None or paper.doi is None or (normalize_doi(doi) or "") != paper.doi.lower():
            self._send(404, "Resource not found.", "text/plain")
            return 404
        self._json(200, crossref_message(paper))
        return 200

    # -- control ------------------------------------------------------------
    def _control(self, method: str, path: str, query: str) -> None:
        fake = self.fake
        body = self._body() if method == "POST" else b""
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._json(400, {"error": "invalid JSON"})
            return
        try:
            if path == "/_control/stats" and method == "GET":
                self._json(200, fake.stats())
            elif path == "/_control/faults" and method == "POST":
                items = payload if isinstance(payload, list) else [payload]
                for item in items:
                    item = dict(item)
                    fake.inject(item.pop("api"), item.pop("kind"), **item)
                self._json(200, {"ok": True, "queued": len(items)})
            elif path == "/_control/faults" and method == "DELETE":
                api = parse_qs(query).get("api", [None])[0]
                fake.clear_faults(api)
                self._json(200, {"ok": True})
            elif path == "/_control/citations" and method == "POST":
                changed = fake.set_citations(
                    payload.get("counts"), bump=int(payload.get("bump", 0))
                )
                self._json(200, {"ok": True, "changed": changed})
            elif path == "/_control/reset" and method == "POST":
                fake.reset_counts()
                fake.clear_faults()
                self._json(200, {"ok": True})
            else:
                self._json(404, {"error": f"unknown control {method} {path}"})
        except (KeyError, TypeError, ValueError) as exc:
            self._json(400, {"error": str(exc)})


def _endpoint(api: str, path: str) -> str:
    """The endpoint a path belongs to, for counts ('/paper/{id}', '/works/{doi}')."""
    extra = _extra_endpoint(api, path)
    if extra:
        return extra
    if api == "semantic_scholar":
        if path in ("/paper/batch", "/paper/search/match"):
            return path
        return "/paper/{id}" if path.startswith("/paper/") else path
    if api == "crossref":
        return "/works/{doi}" if path.startswith("/works/") else path
    if api == "openalex":
        return "/works" if path.rstrip("/") == "/works" else path
    return "/query"


# --------------------------------------------------------------------------
# Replaying recorded answers (corpora/api) through a real socket
# --------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorded:
    """One interaction of a VCR cassette."""

    method: str
    uri: str
    request_body: str
    status: int
    body: str


class ReplayServer:
    """Serves fixed answers by (method, path) on 127.0.0.1 and records the requests.

    A route's value is one ``Reply`` (always) or a list (one per request, the
    last one repeats). Used to run the real sources against recorded bodies.
    """

    def __init__(self, routes: dict[tuple[str, str], Reply | list[Reply]]) -> None:
        self.routes = {k: (v if isinstance(v, list) else [v]) for k, v in routes.items()}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def __enter__(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with replay._lock:
                    replay.requests.append(
                        {
                            "method": self.command,
                            "path": parts.path,
                            "query": parse_qs(parts.query, keep_blank_values=True),
                            "body": body.decode("utf-8", "replace"),
                            "headers": dict(self.headers),
                        }
                    )
                    queue = replay.routes.get((self.command, parts.path))
                    reply = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
                if reply is None:
                    reply = Reply(404, b'{"error": "no such route"}')
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = _any
            do_POST = _any

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def read_cassette(path: str | Path) -> list[Recorded]:
    """The interactions of a VCR.py cassette, without a YAML library.

    Handles exactly what the recorded cassettes use: plain scalars and
    single-quoted (folded) scalars for ``method``, ``uri``, the request
    ``body``, ``response.body.string`` / ``response.content``, and
    ``status.code`` / ``status_code``.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    out: list[Recorded] = []
    current: dict[str, Any] | None = None
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        i += 1
        if line.startswith("- request:"):
            if current:
                out.append(_recorded(current))
            current, section = {}, "request"
            continue
        if current is None:
            continue
        if line.startswith("  response:"):
            section = "response"
            continue
        key, sep, rest = stripped.partition(": ")
        if not sep and stripped.endswith(":"):
            continue
        wanted = {
            ("request", "method"): "method",
            ("request", "uri"): "uri",
            ("request", "body"): "request_body",
            ("response", "string"): "body",
            ("response", "content"): "body",
            ("response", "code"): "status",
            ("response", "status_code"): "status",
        }.get((section, key))
        if wanted is None:
            continue
        if rest.startswith("'"):
            value, i = _single_quoted(rest, lines, i)
        else:
            value = rest.strip()
        current[wanted] = value
    if current:
        out.append(_recorded(current))
    return out


def _recorded(data: dict[str, Any]) -> Recorded:
    return Recorded(
        method=str(data.get("method", "GET")),
        uri=str(data.get("uri", "")),
        request_body=str(data.get("request_body", "")),
        status=int(data.get("status", 200)),
        body=str(data.get("body", "")),
    )


def _single_quoted(first: str, lines: list[str], i: int) -> tuple[str, int]:
    """A YAML single-quoted scalar starting at ``first`` (continuing on lines[i:])."""
    chunks = [first[1:]]
    while True:
        text = chunks[-1]
        # An odd quote that is not part of a doubled '' closes the scalar.
        closing = re.search(r"(?<!')'(?:'')*$", text.rstrip()) if text.rstrip() else None
        if closing and text.rstrip().count("'") % 2 == 1:
            chunks[-1] = text.rstrip()[:-1]
            break
        if i >= len(lines):
            break
        chunks.append(lines[i].strip())
        i += 1
    # Folding: a line break is a space; an empty line is a newline.
    value = ""
    for j, chunk in enumerate(chunks):
        if j == 0:
            value = chunk
        elif chunk == "":
            value += "\n"
        elif value.endswith("\n"):
            value += chunk
        else:
            value += " " + chunk
    return value.replace("''", "'"), i


def read_arxiv_recording(path: str | Path) -> tuple[int, str, str]:
    """(status, url, body) of an arxiv.py JSON fixture (the body was stored as latin-1)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return int(data["status_code"]), str(data["url"]), data["body"].encode("latin-1").decode()


# --------------------------------------------------------------------------
# python -m pubtrack.testing.fake_api
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pubtrack.testing.fake_api",
        description="Fake Semantic Scholar, arXiv, OpenAlex and Crossref APIs on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--papers", type=int, default=20, help="synthetic papers in the catalogue")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-scale", type=float, default=1.0, help="e.g. 0.01: limits 100x shorter"
    )
    parser.add_argument("--bib", help="also write a .bib file for the papers here")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce rate limits")
    parser.add_argument("--s2-keyless-429", type=float, default=0.0, help="chance of a random 429")
    parser.add_argument("--openalex-key", default=None, help="the only api_key OpenAlex accepts")
    parser.add_argument(
        "--owner",
        type=int,
        default=0,
        help="N: a catalogue with an owner of N works and profiles (see make_owner_catalogue)",
    )
    args = parser.parse_args(argv)

    papers: Any = make_papers(args.papers, seed=args.seed)
    if args.owner:
        papers = make_owner_catalogue(args.owner, seed=args.seed)
    if args.bib:
        write_bib(papers.papers if isinstance(papers, Catalogue) else papers, args.bib)
    server = FakeApiServer(
        papers,
        port=args.port,
        time_scale=args.time_scale,
        enforce_limits=not args.no_limits,
        s2_keyless_429=args.s2_keyless_429,
        openalex_api_key=args.openalex_key,
        seed=args.seed,
    )
    server.start()
    print(server.url, flush=True)
    for name, value in server.env().items():
        print(f"{name}={value}", flush=True)
    stop = threading.Event()
    try:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def iter_records(server: FakeApiServer, api: str) -> Iterator[RequestRecord]:
    """The logged requests of one API, in arrival order."""
    name = _api_name(api)
    return (r for r in list(server.log) if r.api == name)


# --------------------------------------------------------------------------
# Profiles and single-work endpoints for add / import / discover (issue 10):
# ORCID works and person, dblp person XML and record BibTeX, OpenAlex works by
# author (cursor paging) and by id, S2 author papers (offset paging) and title
# search, Crossref /works?filter=doi:…, DataCite /dois/{doi}.
# --------------------------------------------------------------------------


@dataclass
class FakePerson:
    """A researcher as the profile services know them.

    ``papers``: what each profile lists (a merged profile lists a namesake's
    papers too; a careless one lists a paper the person is not an author of).
    """

    name: str
    orcid: str = ""
    s2_id: str = ""
    openalex_id: str = ""
    dblp_pid: str = ""
    given: str = ""
    family: str = ""
    orcid_papers: list[FakePaper] = field(default_factory=list)
    s2_papers: list[FakePaper] = field(default_factory=list)
    openalex_papers: list[FakePaper] = field(default_factory=list)
    dblp_papers: list[FakePaper] = field(default_factory=list)
    # Works only ORCID knows (no DOI, no arXiv id, unknown to the other APIs): their
    # summaries carry a title only; the bulk endpoint gives the contributors.
    orcid_only: list[FakePaper] = field(default_factory=list)


def _aid(paper: FakePaper, position: int, kind: str) -> str:
    ids = paper.author_ids[position] if position < len(paper.author_ids) else {}
    return ids.get(kind, "")


def _date_parts(paper: FakePaper) -> list[int]:
    parts = [int(p) for p in (paper.published or "").split("-")[:2] if p.isdigit()]
    if parts and parts[0] == paper.year:
        return parts
    return [paper.year]


def _people(server: FakeApiServer) -> list[FakePerson]:
    return getattr(server.catalogue, "people", [])


def _person(server: FakeApiServer, kind: str, value: str) -> FakePerson | None:
    for person in _people(server):
        if value and getattr(person, kind).lower() == value.lower():
            return person
    return None


def _extra_endpoint(api: str, path: str) -> str | None:
    if api == "semantic_scholar":
        if path == "/paper/search":
            return path
        if re.fullmatch(r"/author/[^/]+/papers", path):
            return "/author/{id}/papers"
    if api == "openalex" and re.fullmatch(r"/works/W\d+P?", path):
        return "/works/{id}"
    if api == "openalex" and re.fullmatch(r"/authors/A\d+", path):
        return "/authors/{id}"
    if api == "openalex" and path.rstrip("/") == "/works":
        return None
    if api == "crossref" and path.rstrip("/") == "/works":
        return "/works?filter"
    if api == "orcid":
        match = re.fullmatch(r"/[\dX-]+/(works|person)", path)
        if re.fullmatch(r"/[\dX-]+/works/[\d,]+", path):
            return "/{orcid}/works/{put-codes}"
        return f"/{{orcid}}/{match.group(1)}" if match else "/{orcid}/?"
    if api == "dblp":
        if path.startswith("/pid/"):
            return "/pid/{pid}.xml"
        if path.startswith("/rec/"):
            return "/rec/{key}.bib"
        return "/?"
    if api == "datacite":
        return "/dois/{doi}"
    return None


def _s2_fields(params: dict[str, list[str]]) -> list[str]:
    return [f for f in ",".join(params.get("fields", [])).split(",") if f] or ["title"]


def _h_s2_search(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    query = params.get("query", [""])[0]
    limit = int(params.get("limit", ["10"])[0] or 10)
    scored = sorted(
        ((title_similarity(query, p.title), p) for p in h.fake.catalogue.papers),
        key=lambda sp: -sp[0],
    )
    hits = [p for score, p in scored if score >= 0.5][:limit]
    fields = _s2_fields(params)
    h._json(200, {"total": len(hits), "offset": 0, "data": [s2_paper(p, fields) for p in hits]})
    return 200


def _h_s2_author_papers(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    author_id = record.path.split("/")[2]
    person = _person(h.fake, "s2_id", author_id)
    if person is None:
        h._json(404, {"error": "Author not found"})
        return 404
    offset = int(params.get("offset", ["0"])[0] or 0)
    limit = min(1000, int(params.get("limit", ["100"])[0] or 100))
    papers = person.s2_papers[offset : offset + limit]
    body: dict[str, Any] = {
        "offset": offset,
        "data": [s2_paper(p, _s2_fields(params)) for p in papers],
    }
    if offset + limit < len(person.s2_papers):
        body["next"] = offset + limit
    h._json(200, body)
    return 200


def _h_openalex_work(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
        h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
        return 401
    ident = record.path.rsplit("/", 1)[1]
    paper = h.fake.catalogue.by_any(ident.rstrip("P"))
    if paper is None:
        h._json(404, {"error": "Not found"})
        return 404
    h._json(200, openalex_work(paper, as_preprint=ident.endswith("P")))
    return 200


OPENALEX_PAGE_CURSORS = "page-"


def openalex_author_page(h: _Handler, params: dict[str, list[str]], author_id: str) -> int:
    person = _person(h.fake, "openalex_id", author_id)
    # OpenAlex keeps a preprint apart from its journal version unless it merged them:
    # the profile lists both (the dedupe must make them one work).
    listed: list[tuple[FakePaper, bool]] = []
    for paper in person.openalex_papers if person else []:
        listed.append((paper, not paper.doi))
        if paper.doi and paper.arxiv_id and not paper.openalex_merged:
            listed.append((paper, True))
    papers = listed
    per_page = int(params.get("per_page", ["25"])[0] or 25)
    cursor = params.get("cursor", [""])[0]
    start = 0
    if cursor and cursor != "*":
        if not cursor.startswith(OPENALEX_PAGE_CURSORS):
            h._json(400, {"error": "Invalid cursor", "message": "cursor is not valid"})
            return 400
        start = int(cursor[len(OPENALEX_PAGE_CURSORS) :])
    page = papers[start : start + per_page]
    nxt = f"{OPENALEX_PAGE_CURSORS}{start + per_page}" if cursor and page else None
    h._json(
        200,
        {
            "meta": {
                "count": len(papers),
                "db_response_time_ms": 9,
                "page": None if cursor else 1,
                "per_page": per_page,
                "next_cursor": nxt,
                "groups_count": None,
            },
            "results": [openalex_work(p, as_preprint=pre) for p, pre in page],
            "group_by": [],
        },
    )
    return 200


def _h_crossref_filter(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    dois = []
    for clause in ",".join(params.get("filter", [])).split(","):
        name, _, value = clause.partition(":")
        if name.strip() != "doi":
            h._json(400, {"status": "failed", "message": [{"type": "validation-failure"}]})
            return 400
        dois.append(value)
    record.ids = len(dois)
    items = []
    for doi in dois:
        paper = h.fake.catalogue.by_doi(doi)
        if paper is not None and paper.doi and paper.doi.lower() == (normalize_doi(doi) or ""):
            items.append(crossref_message(paper)["message"])
    h._json(
        200,
        {
            "status": "ok",
            "message-type": "work-list",
            "message": {"total-results": len(items), "items": items, "items-per-page": len(items)},
        },
    )
    return 200


def orcid_works_body(person: FakePerson) -> dict[str, Any]:
    """``/works`` of a person: one group per work; a published preprint is one group of two."""
    groups = []
    for n, paper in enumerate(person.orcid_papers):
        summaries = []
        if paper.doi:
            summaries.append(_orcid_summary(paper, 1000 + 2 * n, "journal-article", paper.doi))
        if paper.arxiv_id:
            summaries.append(
                _orcid_summary(paper, 1001 + 2 * n, "preprint", f"10.48550/arXiv.{paper.arxiv_id}")
            )
        groups.append(
            {
                "last-modified-date": {"value": 1700000000000},
                "external-ids": {
                    "external-id": [x for s in summaries for x in s["external-ids"]["external-id"]]
                },
                "work-summary": summaries,
            }
        )
    for n, paper in enumerate(person.orcid_only):
        summary = _orcid_summary(paper, ORCID_ONLY_CODES + n, "other", "")
        summary["external-ids"] = {"external-id": []}
        groups.append({"external-ids": {"external-id": []}, "work-summary": [summary]})
    return {"last-modified-date": {"value": 1700000000000}, "group": groups, "path": "/works"}


ORCID_ONLY_CODES = 9000


def orcid_full_work(person: FakePerson, put_code: int) -> dict[str, Any] | None:
    """One full work of the bulk endpoint: contributors once per CRediT role, like ORCID."""
    n = put_code - ORCID_ONLY_CODES
    if not 0 <= n < len(person.orcid_only):
        return None
    paper = person.orcid_only[n]
    contributors = []
    for i, name in enumerate(paper.authors):
        orcid = _aid(paper, i, "orcid")
        for role in ("conceptualization", "writing-original-draft"):
            contributors.append(
                {
                    "contributor-orcid": {
                        "uri": f"https://orcid.org/{orcid}" if orcid else None,
                        "path": orcid or None,
                        "host": "orcid.org" if orcid else None,
                    },
                    "credit-name": {"value": name},
                    "contributor-attributes": {
                        "contributor-sequence": None,
                        "contributor-role": f"http://credit.niso.org/contributor-roles/{role}/",
                    },
                }
            )
    summary = _orcid_summary(paper, put_code, "other", "")
    summary["external-ids"] = {"external-id": []}
    return {**summary, "contributors": {"contributor": contributors}}


def _orcid_summary(paper: FakePaper, put_code: int, kind: str, doi: str) -> dict[str, Any]:
    year, *rest = _date_parts(paper)
    date: dict[str, Any] = {"year": {"value": str(year)}, "month": None, "day": None}
    if rest:
        date["month"] = {"value": f"{rest[0]:02d}"}
    return {
        "put-code": put_code,
        "source": {"source-name": {"value": "Crossref" if kind != "preprint" else "DataCite"}},
        "title": {"title": {"value": paper.title}, "subtitle": None, "translated-title": None},
        "external-ids": {
            "external-id": [
                {
                    "external-id-type": "doi",
                    "external-id-value": doi,
                    "external-id-normalized": {"value": doi.lower(), "transient": True},
                    "external-id-url": {"value": f"https://doi.org/{doi}"},
                    "external-id-relationship": "self",
                }
            ]
        },
        "type": kind,
        "publication-date": date,
        "journal-title": {"value": paper.venue} if kind != "preprint" else None,
        "visibility": "public",
    }


def _h_orcid(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    _, orcid, what = record.path.split("/", 2)
    if "json" not in h.headers.get("Accept", ""):
        # Like ORCID: XML unless the client asks for JSON.
        h._send(200, '<?xml version="1.0"?><activities:works/>', "application/vnd.orcid+xml")
        return 200
    person = _person(h.fake, "orcid", orcid)
    if person is None:
        h._json(
            404,
            {
                "response-code": 404,
                "developer-message": f"404 Not Found: The resource was not found. Full validation "
                f"error: ORCID iD {orcid} not found",
                "user-message": "The resource was not found.",
                "error-code": 9016,
            },
        )
        return 404
    if what.startswith("works/"):
        items = []
        for code in what[len("works/") :].split(","):
            work = orcid_full_work(person, int(code)) if code.isdigit() else None
            if work is None:
                items.append(
                    {
                        "error": {
                            "response-code": 400,
                            "developer-message": f"400 Bad Request: '{code}' is not a valid "
                            "put code",
                            "error-code": 9034,
                        }
                    }
                )
            else:
                items.append({"work": work})
        h._json(200, {"bulk": items})
        return 200
    if what == "person":
        h._json(
            200,
            {
                "name": {
                    "given-names": {"value": person.given},
                    "family-name": {"value": person.family},
                    "credit-name": None,
                },
                "path": f"/{orcid}/person",
            },
        )
        return 200
    h._json(200, orcid_works_body(person))
    return 200


def dblp_person_xml(person: FakePerson) -> str:
    out = [
        f'<?xml version="1.0" encoding="US-ASCII"?>\n<dblpperson name="{escape(person.name)}" '
        f'pid="{person.dblp_pid}" n="{len(person.dblp_papers)}">'
    ]
    for paper in person.dblp_papers:
        tag = "article" if paper.doi else "article"
        attrs = ' publtype="informal"' if not paper.doi else ""
        out.append(f'<r><{tag} key="{_dblp_key(paper)}" mdate="2026-01-01"{attrs}>')
        for i, name in enumerate(paper.authors):
            pid = _aid(paper, i, "dblp") or f"00/{i}"
            out.append(f'<author pid="{pid}">{escape(name)}</author>')
        out.append(f"<title>{escape(paper.title)}.</title>")
        out.append(f"<journal>{escape(paper.venue if paper.doi else 'CoRR')}</journal>")
        if paper.volume:
            out.append(f"<volume>{escape(paper.volume)}</volume>")
        if paper.pages:
            out.append(f"<pages>{escape(paper.pages)}</pages>")
        out.append(f"<year>{paper.year}</year>")
        if paper.doi:
            out.append(f"<ee>https://doi.org/{escape(paper.doi)}</ee>")
        if paper.arxiv_id:
            out.append(f"<ee>https://arxiv.org/abs/{escape(paper.arxiv_id)}</ee>")
        out.append(f"</{tag}></r>")
    out.append("</dblpperson>\n")
    return "\n".join(out)


def _dblp_key(paper: FakePaper) -> str:
    return (
        f"journals/fake/P{paper.corpus_id}" if paper.doi else f"journals/corr/abs-{paper.arxiv_id}"
    )


def _h_dblp(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    path = record.path
    if path.startswith("/pid/") and path.endswith(".xml"):
        person = _person(h.fake, "dblp_pid", path[len("/pid/") : -len(".xml")])
        if person is None:
            h._send(404, "<html>Not Found</html>", "text/html")
            return 404
        h._send(
            200, dblp_person_xml(person).encode("ascii", "xmlcharrefreplace"), "application/xml"
        )
        return 200
    if path.startswith("/rec/") and path.endswith(".bib"):
        key = path[len("/rec/") : -len(".bib")]
        paper = next((p for p in h.fake.catalogue.papers if _dblp_key(p) == key), None)
        if paper is None:
            h._send(404, "<html>Not Found</html>", "text/html")
            return 404
        authors = " and\n                  ".join(paper.authors)
        fields = [("author", authors), ("title", paper.title), ("journal", paper.venue or "CoRR")]
        if paper.volume:
            fields.append(("volume", paper.volume))
        if paper.pages:
            fields.append(("pages", paper.pages.replace("-", "--")))
        fields.append(("year", str(paper.year)))
        if paper.doi:
            fields.append(("doi", paper.doi))
        if paper.arxiv_id:
            fields += [("eprinttype", "arXiv"), ("eprint", paper.arxiv_id)]
        body = ",\n".join(f"  {n:<12} = {{{v}}}" for n, v in fields)
        h._send(200, f"@article{{DBLP:{key},\n{body}\n}}\n", "application/x-bibtex")
        return 200
    h._send(404, "<html>Not Found</html>", "text/html")
    return 404


def _h_datacite(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    doi = record.path[len("/dois/") :] if record.path.startswith("/dois/") else ""
    value = normalize_doi(doi) or ""
    paper = h.fake.catalogue.by_doi(value) if value.startswith("10.48550/arxiv.") else None
    if paper is None:
        h._json(
            404,
            {
                "errors": [
                    {"status": "404", "title": "The resource you are looking for doesn't exist."}
                ]
            },
        )
        return 404
    creators = []
    for name in paper.authors:
        given, _, family = name.rpartition(" ")
        creators.append(
            {
                "name": f"{family}, {given}",
                "nameType": "Personal",
                "givenName": given,
                "familyName": family,
                "affiliation": [],
                "nameIdentifiers": [],
            }
        )
    month = (paper.published or f"{paper.year}-01")[:7]
    attrs = {
        "doi": value,
        "identifiers": [{"identifier": paper.arxiv_id, "identifierType": "arXiv"}],
        "creators": creators,
        "titles": [{"title": paper.title}],
        "publisher": "arXiv",
        "publicationYear": paper.year,
        "types": {"resourceTypeGeneral": "Preprint", "bibtex": "misc"},
        "relatedIdentifiers": (
            [
                {
                    "relationType": "IsPreviousVersionOf",
                    "relatedIdentifier": paper.doi,
                    "relatedIdentifierType": "DOI",
                }
            ]
            if paper.doi
            else []
        ),
        "dates": [{"date": month, "dateType": "Available", "dateInformation": "v1"}],
        "url": f"https://arxiv.org/abs/{paper.arxiv_id}",
    }
    h._json(200, {"data": {"id": value, "type": "dois", "attributes": attrs}})
    return 200


def _h_openalex_works(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    for clause in ",".join(params.get("filter", [])).split(","):
        name, _, value = clause.partition(":")
        if name.strip() == "author.id":
            if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
                h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
                return 401
            return openalex_author_page(h, params, value.rsplit("/", 1)[-1])
    return h._openalex(record, params)


def _h_openalex_author(h: _Handler, record: RequestRecord, params: dict[str, list[str]]) -> int:
    if h.fake.openalex_requires_key and not params.get("api_key", [""])[0]:
        h._json(401, {"error": "API key required", "message": "Add api_key=YOUR_KEY."})
        return 401
    ident = record.path.rsplit("/", 1)[1]
    person = _person(h.fake, "openalex_id", ident)
    if person is None:
        h._json(404, {"error": "Not found"})
        return 404
    h._json(
        200,
        {
            "id": f"https://openalex.org/{ident}",
            "orcid": f"https://orcid.org/{person.orcid}" if person.orcid else None,
            "display_name": person.name,
            "display_name_alternatives": [person.name],
            "works_count": len(person.openalex_papers),
            "ids": {"openalex": f"https://openalex.org/{ident}"},
            "works_api_url": f"https://api.openalex.org/works?filter=author.id:{ident}",
        },
    )
    return 200


EXTRA_HANDLERS: dict[tuple[str, str], Any] = {
    ("openalex", "/authors/{id}"): _h_openalex_author,
    ("semantic_scholar", "/paper/search"): _h_s2_search,
    ("semantic_scholar", "/author/{id}/papers"): _h_s2_author_papers,
    ("openalex", "/works/{id}"): _h_openalex_work,
    ("openalex", "/works"): _h_openalex_works,
    ("crossref", "/works?filter"): _h_crossref_filter,
    ("orcid", "/{orcid}/works"): _h_orcid,
    ("orcid", "/{orcid}/person"): _h_orcid,
    ("orcid", "/{orcid}/works/{put-codes}"): _h_orcid,
    ("dblp", "/pid/{pid}.xml"): _h_dblp,
    ("dblp", "/rec/{key}.bib"): _h_dblp,
    ("datacite", "/dois/{doi}"): _h_datacite,
}


OWNER = {
    "name": "Alec Thomson",
    "given": "Alec",
    "family": "Thomson",
    "orcid": "0000-0002-1825-0097",
    "s2": "1741101",
    "openalex": "A5000000001",
    "dblp": "123/4567",
}
# How the owner's name is written on each paper: the variants a matcher must take.
OWNER_SPELLINGS = ("Alec Thomson", "A. J. M. Thomson", "Alec J. Thomson", "A. Thomson")


def make_owner_catalogue(n: int = 12, *, seed: int = 1, extra_papers: int = 10) -> Catalogue:
    """A catalogue with an owner whose profiles need care.

    - ``n`` works by the owner (author ids on every source), in the mix of
      ``make_papers``: preprints published with a DOI (ORCID groups both
      versions), arXiv-only preprints, DOI-only papers; the owner's name spelt
      in several ways;
    - a namesake, "Alexandra Thomson", whose 2 papers the S2 profile merged
      into the owner's (same S2 author id, other name, other co-authors);
    - a paper the dblp profile lists where the owner is not an author;
    - ``extra_papers`` unrelated papers.
    ``catalogue.people[0]`` is the owner, ``catalogue.owner_papers`` their works.
    """
    base = make_papers(n + extra_papers + 3, seed=seed)
    owner_papers = base[:n]
    for i, paper in enumerate(owner_papers):
        if paper.doi is None and paper.arxiv_id is None:
            paper.arxiv_id = f"2{i:03d}.{20000 + i:05d}"
        paper.bib_ids = ("arxiv", "doi")
        spelling = OWNER_SPELLINGS[i % len(OWNER_SPELLINGS)]
        at = min(i % 3, len(paper.authors))
        paper.authors.insert(at, spelling)
        ids = [dict() for _ in paper.authors]
        ids[at] = {
            "orcid": OWNER["orcid"],
            "s2": OWNER["s2"],
            "openalex": OWNER["openalex"],
            "dblp": OWNER["dblp"],
        }
        paper.author_ids = ids
        paper.volume = str(10 + i) if paper.doi else ""
        paper.pages = f"{100 + i}-{110 + i}" if paper.doi else ""
    namesake = base[n : n + 2]
    for paper in namesake:
        paper.authors = ["Alexandra Thomson", "Beatriz Quintero"]
        paper.author_ids = [{"s2": OWNER["s2"]}, {}]  # the merged S2 profile
        paper.venue = "Journal of Marine Biology" if paper.doi else paper.venue
    not_an_author = base[n + 2]
    not_an_author.authors = ["Grace Hopper", "Ada Lovelace"]
    papers = base
    catalogue = Catalogue(papers)
    owner = FakePerson(
        name=OWNER["name"],
        given=OWNER["given"],
        family=OWNER["family"],
        orcid=OWNER["orcid"],
        s2_id=OWNER["s2"],
        openalex_id=OWNER["openalex"],
        dblp_pid=OWNER["dblp"],
        orcid_papers=list(owner_papers),
        s2_papers=list(owner_papers) + namesake,
        openalex_papers=list(owner_papers),
        dblp_papers=list(owner_papers) + [not_an_author],
    )
    orcid_only = FakePaper(
        s2_id="f" * 40,
        corpus_id=999999,
        title="Lecture Notes on Quiet Oceanography Methods",
        authors=["Alec Thomson", "Ingrid Bergström"],
        year=2019,
        venue="Summer School Proceedings",
        published="2019-07-01",
        author_ids=[{"orcid": OWNER["orcid"]}, {}],
    )
    owner.orcid_only = [orcid_only]  # not in the catalogue: no other API knows it
    catalogue.people = [owner]  # type: ignore[attr-defined]
    catalogue.orcid_only = [orcid_only]  # type: ignore[attr-defined]
    catalogue.owner_papers = owner_papers  # type: ignore[attr-defined]
    return catalogue


if __name__ == "__main__":
    sys.exit(main())
