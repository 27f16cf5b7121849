"""Fetch the metadata of works by id, preferring the published version.

One pipeline serves ``add`` (a few ids) and ``import`` (hundreds), batched
where each API allows: Semantic Scholar ``/paper/batch`` (500 ids), arXiv
``id_list`` (100), Crossref ``/works?filter=doi:…`` (40); single requests
only where there is no batch (DataCite, an OpenAlex or dblp id typed by the
user). A preprint whose published version is known (from arXiv's ``doi``,
S2's external ids, Crossref's ``is-preprint-of``, DataCite's related ids) is
written as the published version with its arXiv id kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError, SourceError
from pubtrack.identity import normalize_arxiv_id, normalize_doi, title_similarity
from pubtrack.works.ids import WorkId
from pubtrack.works.record import Record

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

TITLE_CONFIDENT = 0.9
# Ids per request where the API has a batch lookup (scripts/bench_import.py sets 1
# to measure an unbatched client through the same code).
S2_BATCH = 500
ARXIV_BATCH = 100


@dataclass
class Seed:
    """What is known about a work before lookup: its ids (and maybe a partial record)."""

    label: str  # as the user or the profile named it
    ids: dict[str, str] = field(default_factory=dict)  # arxiv, doi, semantic_scholar, ...
    record: Record | None = None
    input_kind: str = ""  # the kind of the id typed (arxiv, doi, arxiv_doi, ...)


@dataclass
class Resolved:
    seed: Seed
    record: Record | None
    error: str | None = None


def seed_from_id(work_id: WorkId) -> Seed:
    kind = "arxiv" if work_id.kind == "arxiv_doi" else work_id.kind
    return Seed(work_id.text, {kind: work_id.value}, input_kind=work_id.kind)


class Resolver:
    """Looks works up through the HTTP layer; ``warn`` hears about sources that failed."""

    def __init__(
        self, config: Config, http: HttpClient, warn: Callable[[str], None] | None = None
    ) -> None:
        self.config = config
        self.http = http
        self.warn = warn or (lambda message: None)
        self.mailto = config.owner.email.strip()
        configure_limits(config, http)

    def url(self, api: str) -> str:
        return self.config.api_url(api)

    # -- the pipeline -------------------------------------------------------
    def resolve(self, seeds: list[Seed]) -> list[Resolved]:
        from pubtrack.sources import arxiv as arxiv_api
        from pubtrack.sources import crossref as crossref_api
        from pubtrack.sources import datacite as datacite_api
        from pubtrack.sources import dblp as dblp_api
        from pubtrack.sources import openalex as openalex_api
        from pubtrack.sources import semantic_scholar as s2_api

        parts: list[dict[str, Record]] = [{} for _ in seeds]
        for seed, found in zip(seeds, parts, strict=True):
            if seed.record is not None:
                found[seed.record.source or "seed"] = seed.record
                self._learn(seed, seed.record)
        # 1. Ids only one API knows: dblp keys, OpenAlex ids, arXiv DOIs typed as such.
        for seed, found in zip(seeds, parts, strict=True):
            if "dblp" in seed.ids and "dblp" not in found:
                record = self.attempt(
                    "dblp",
                    lambda s=seed: dblp_api.fetch_record(
                        self.http, self.url("dblp"), s.ids["dblp"]
                    ),
                )
                if record:
                    found["dblp"] = record
                    self._learn(seed, record)
            if "openalex" in seed.ids and not (seed.ids.keys() & {"doi", "arxiv"}):
                missing = openalex_api.OpenAlex.missing_key()
                if missing:
                    self.warn(f"{missing}; OpenAlex ids cannot be looked up")
                else:
                    work = self.attempt(
                        "openalex",
                        lambda s=seed: openalex_api.fetch_work(
                            self.http, self.url("openalex"), s.ids["openalex"]
                        ),
                    )
                    if work:
                        found["openalex"] = openalex_api.work_record(work)
                        self._learn(seed, found["openalex"])
            if seed.input_kind == "arxiv_doi":
                attrs = self.attempt(
                    "datacite",
                    lambda s=seed: datacite_api.fetch_doi(
                        self.http, self.url("datacite"), f"10.48550/arXiv.{s.ids['arxiv']}"
                    ),
                )
                if attrs:
                    found["datacite"] = datacite_api.doi_record(attrs)
                    self._learn(seed, found["datacite"])
        # 2. Semantic Scholar, in batches: external ids (the published DOI), OA pdf, author ids.
        asks = [(i, ident) for i, seed in enumerate(seeds) if (ident := _s2_id(seed.ids))]
        if asks:
            papers = self.attempt(
                "semantic_scholar",
                lambda: s2_api.fetch_papers(
                    self.http,
                    self.url("semantic_scholar"),
                    [ident for _, ident in asks],
                    batch=S2_BATCH,
                ),
            )
            for (i, _), paper in zip(asks, papers or [], strict=False):
                if paper:
                    parts[i]["semantic_scholar"] = s2_api.paper_record(paper)
                    self._learn(seeds[i], parts[i]["semantic_scholar"])
        # 3. arXiv for preprints whose published version is not known yet.
        wanted = [
            i for i, seed in enumerate(seeds) if seed.ids.get("arxiv") and not seed.ids.get("doi")
        ]
        if wanted:
            entries = self.attempt(
                "arxiv",
                lambda: arxiv_api.fetch_entries(
                    self.http,
                    self.url("arxiv"),
                    [seeds[i].ids["arxiv"] for i in wanted],
                    batch=ARXIV_BATCH,
                ),
            )
            by_id = {e["arxiv_id"]: e for e in entries or []}
            for i in wanted:
                entry = by_id.get(seeds[i].ids["arxiv"])
                if entry:
                    parts[i]["arxiv"] = arxiv_api.entry_record(entry)
                    self._learn(seeds[i], parts[i]["arxiv"])
        # 4. Crossref for every published DOI (one filter request per 40 DOIs).
        dois = sorted({seed.ids["doi"] for seed in seeds if seed.ids.get("doi")})
        messages: dict[str, dict] = {}
        if len(dois) == 1:
            message = self.attempt(
                "crossref",
                lambda: crossref_api.fetch_work(
                    self.http, self.url("crossref"), dois[0], self.mailto
                ),
            )
            if message:
                messages[dois[0]] = message
        elif dois:
            for message in (
                self.attempt(
                    "crossref",
                    lambda: crossref_api.fetch_works(
                        self.http, self.url("crossref"), dois, self.mailto
                    ),
                )
                or []
            ):
                doi = normalize_doi(str(message.get("DOI", "")))
                if doi:
                    messages[doi] = message
        for seed, found in zip(seeds, parts, strict=True):
            doi = seed.ids.get("doi")
            if not doi:
                continue
            message = messages.get(doi)
            if message is not None:
                record = crossref_api.work_record(message)
                published = record.extra.get("published_doi")
                if record.preprint and published and published != doi:
                    follow = self.attempt(
                        "crossref",
                        lambda p=published: crossref_api.fetch_work(
                            self.http, self.url("crossref"), p, self.mailto
                        ),
                    )
                    if follow:
                        found["preprint_crossref"] = record
                        record = crossref_api.work_record(follow)
                        seed.ids["doi"] = record.doi or published
                found["crossref"] = record
            elif "datacite" not in found:
                attrs = self.attempt(
                    "datacite",
                    lambda d=doi: datacite_api.fetch_doi(self.http, self.url("datacite"), d),
                )
                if attrs:
                    found["datacite"] = datacite_api.doi_record(attrs)
        return [self._combine(seed, found) for seed, found in zip(seeds, parts, strict=True)]

    def _learn(self, seed: Seed, record: Record) -> None:
        """Ids a source reported become the seed's (the published DOI included)."""
        for kind, value in record.ids().items():
            seed.ids.setdefault(kind, value)
        published = record.extra.get("published_doi")
        if published and not seed.ids.get("doi"):
            seed.ids["doi"] = published

    def attempt(self, source: str, call: Callable):  # noqa: ANN202 - whatever the call returns
        try:
            return call()
        except SourceError as exc:
            self.warn(str(exc))
            return None

    def _combine(self, seed: Seed, found: dict[str, Record]) -> Resolved:
        # The APIs' records by ``record_trust``; the seed's own record (or a profile
        # listing's: ORCID, Google Scholar) after those that declare their place.
        from pubtrack.sources.registry import by_record_trust

        names = by_record_trust(n for n in found if n != "preprint_crossref")
        records = [found[name] for name in names]
        if not records:
            return Resolved(seed, None, "not found")
        best = _copy(records[0])
        for other in records[1:]:
            if best.doi and other.doi and other.doi != best.doi:
                continue
            best.merge(other)
        for kind in ("arxiv", "semantic_scholar", "openalex"):
            if not getattr(best, kind) and seed.ids.get(kind):
                setattr(best, kind, seed.ids[kind])
        if best.arxiv:
            best.pdf = best.pdf if best.pdf and "arxiv.org" not in best.pdf else None
            best.pdf = best.pdf or f"https://arxiv.org/pdf/{best.arxiv}"
        published = best.doi and not best.preprint
        if published and seed.input_kind in ("arxiv", "arxiv_doi"):
            venue = best.venue or "a journal"
            best.notes.append(
                f"arXiv {seed.ids['arxiv']} was published in {venue} (doi {best.doi}): "
                "adding the published version, with the arXiv id kept"
            )
        elif "preprint_crossref" in found and published:
            best.notes.append(
                f"{seed.label} is a preprint published as doi {best.doi}: "
                "adding the published version"
            )
        if best.doi:
            best.preprint = False
        if best.preprint or (not best.doi and best.arxiv):
            best.kind, best.venue, best.preprint = "misc", "", True
        return Resolved(seed, best)

    # -- titles -------------------------------------------------------------
    def candidates(self, title: str) -> list[Record]:
        from pubtrack.sources import semantic_scholar as s2_api

        papers = self.attempt(
            "semantic_scholar",
            lambda: s2_api.search_titles(self.http, self.url("semantic_scholar"), title),
        )
        return [s2_api.paper_record(p) for p in papers or []]

    def by_title(self, title: str, owner_check: Callable[[Record], bool] | None = None) -> Seed:
        """The one confident match of a title; BadInputError when none or several."""
        hits = [
            r
            for r in self.candidates(title)
            if title_similarity(title, r.title) >= TITLE_CONFIDENT
            and (owner_check is None or owner_check(r))
        ]
        if not hits:
            raise BadInputError(f"no confident match for the title {title!r}; add it by id")
        keys = {(r.doi or r.arxiv or r.semantic_scholar or r.title) for r in hits}
        if len(keys) > 1:
            listed = "; ".join(
                f"{r.title} ({r.year}, {r.doi or r.arxiv or r.semantic_scholar})" for r in hits[:3]
            )
            raise BadInputError(
                f"{len(hits)} works match the title {title!r}: {listed}; add the one you mean by id"
            )
        record = hits[0]
        ids = {k: v for k, v in record.ids().items()}
        return Seed(title, ids, record=record, input_kind="title")


def configure_limits(config: Config, http: HttpClient) -> None:
    """Each API's interval ([sync.<name>] min_interval, else its class's) and whether it
    takes one request at a time: every registered source with a URL and lookup API."""
    from pubtrack.sources.base import Api
    from pubtrack.sources.registry import lookup_apis, registry

    apis: list[type[Api]] = [c for c in registry() if c.default_url]
    for cls in [*apis, *lookup_apis()]:
        configured = config.sync.source(cls.name).min_interval
        interval = configured if configured is not None else cls.min_interval
        http.limiter(cls.name, float(interval), exclusive=cls.exclusive)


def _s2_id(ids: dict[str, str]) -> str | None:
    if ids.get("semantic_scholar"):
        return ids["semantic_scholar"]
    if ids.get("corpus_id"):
        return f"CorpusId:{ids['corpus_id']}"
    if ids.get("doi"):
        return f"DOI:{ids['doi']}"
    if ids.get("arxiv"):
        return f"ARXIV:{normalize_arxiv_id(ids['arxiv'])}"
    return None


def _copy(record: Record) -> Record:
    from copy import deepcopy

    return deepcopy(record)
