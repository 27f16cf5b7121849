"""The fake APIs' one catalogue of papers (and of an owner's profiles): the
same paper has the same ids and counts in every API. Also the bib writer and the
[sync.<source>] settings that match a scaled server."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pubtrack.identity import normalize_doi, split_arxiv_id, title_similarity
from pubtrack.sources.base import Api
from pubtrack.sources.registry import lookup_apis, registry


def builtin_apis() -> list[type[Api]]:
    """The APIs pubtrack ships that have a URL (sync sources, then lookup APIs, in
    registry order): the ones this fake must speak. Read from the registries, so a
    newly registered built-in is on the list at once (and ``server.unsupported_apis``
    says so until the fake has a handler and limits for it); plugins are not the
    fake's to serve."""
    apis: list[type[Api]] = [*registry(), *lookup_apis()]
    return [c for c in apis if c.default_url and c.__module__.startswith("pubtrack.")]


API_NAMES = tuple(c.name for c in builtin_apis())


# Each API lives under its own path prefix on the one port: a short name, then the
# path of its real base URL (so the paths below it are the real service's).
_SHORT_NAMES = {"semantic_scholar": "s2"}
API_PREFIXES = {
    c.name: "/" + _SHORT_NAMES.get(c.name, c.name) + urlsplit(c.default_url).path.rstrip("/")
    for c in builtin_apis()
}


# The variable that points pubtrack at each API: the registry's (the classes' url_env).
API_ENV = {c.name: c.url_env for c in builtin_apis()}


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


# The intervals pubtrack's clients keep by default (a little above the limits):
# each API class's min_interval.
CLIENT_INTERVALS = {c.name: c.min_interval for c in builtin_apis()}


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
        ids: list[dict[str, str]] = [{} for _ in paper.authors]
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
