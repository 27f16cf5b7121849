"""Google Scholar, through ``scholarly`` (optional extra: ``pip install 'pubtrack[scholar]'``).

One fetch of the owner's profile (``[owner] google_scholar_id``) gives every
publication on it with its ``num_citations``, plus the profile's own h-index,
i10-index and citations per year. Profile publications carry no ids, so they
are matched to bib works by title with the same care as the Semantic Scholar
title match (``identity.is_confident_match``: title nearly identical AND the
owner among the work's authors AND the year fits); anything else is
'not_found', never guessed.

Google blocks most automated clients. Any failure of scholarly (blocked,
``MaxTriesExceededException``, a changed page) becomes a ``SourceError``:
the sync warns and exits 3, and stores nothing for this source — never a 0
over a good value.

scholarly 1.7.11 (its last release) does ``from bibtexparser.bibdatabase
import BibDatabase`` at import time, a bibtexparser 1 module that
bibtexparser 2 (a pubtrack dependency) does not have. ``load_scholarly``
installs a minimal stand-in for that one module when, and only when, the real
import fails. scholarly uses ``BibDatabase`` only in ``scholarly.bibtex()``
and ``bibtexparser.loads/dumps`` only when filling search-result snippets;
pubtrack calls neither (it reads author profiles), so the stand-in only has to
make the import succeed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pubtrack.errors import SourceError
from pubtrack.identity import (
    TITLE_MATCH_THRESHOLD,
    NormalizedTitle,
    confidence,
    normalized_similarity,
)
from pubtrack.sources.base import ProfileFigures, Source, SourceResult, WorkRef

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

SHIM_MARK = "__pubtrack_shim__"
BLOCKED_HINT = (
    "Google often blocks automated clients; earlier counts are kept. "
    "A proxy can help: [google_scholar] proxy = 'http://host:port' in pubtrack.toml"
)


class _ShimBibDatabase:
    """Stand-in for bibtexparser 1's ``BibDatabase``: scholarly only instantiates it
    and sets ``entries`` in ``scholarly.bibtex()``, which pubtrack never calls."""

    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []
        self.comments: list[str] = []
        self.preambles: list[str] = []
        self.strings: dict[str, str] = {}


def _install_bibdatabase_shim() -> None:
    """Provide ``bibtexparser.bibdatabase`` only if the installed bibtexparser lacks it."""
    try:
        importlib.import_module("bibtexparser.bibdatabase")
        return  # bibtexparser 1 (or a future 2.x that brings it back): use the real one
    except ImportError:
        pass
    shim = types.ModuleType("bibtexparser.bibdatabase")
    shim.BibDatabase = _ShimBibDatabase  # type: ignore[attr-defined]
    setattr(shim, SHIM_MARK, True)
    sys.modules["bibtexparser.bibdatabase"] = shim


def load_scholarly() -> types.ModuleType | None:
    """The ``scholarly`` package, importable next to bibtexparser 2; None if not installed."""
    if "scholarly" in sys.modules:
        return sys.modules["scholarly"]
    if importlib.util.find_spec("scholarly") is None:
        return None
    _install_bibdatabase_shim()
    try:
        return importlib.import_module("scholarly")
    except ImportError as exc:
        raise SourceError(
            f"scholarly is installed but cannot be imported: {exc}", source="google_scholar"
        ) from None


def _redact(url: str) -> str:
    """A proxy URL without its user:password part, for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


@dataclass
class _Candidate:
    pub_id: str | None
    title: str
    year: int | None
    venue: str
    citations: int | None


def _candidates(publications: list[dict[str, Any]]) -> list[_Candidate]:
    out = []
    for pub in publications:
        bib = pub.get("bib") or {}
        title = str(bib.get("title") or "").strip()
        if not title:
            continue
        out.append(
            _Candidate(
                pub_id=pub.get("author_pub_id"),
                title=title,
                year=_int(bib.get("pub_year")),
                venue=str(bib.get("citation") or ""),
                citations=_int(pub.get("num_citations")),
            )
        )
    return out


def match_publications(
    works: list[WorkRef], publications: list[dict[str, Any]], owner_names: list[str]
) -> list[SourceResult]:
    """Pair profile publications with works, one to one, best title first.

    The profile's listing has no author lists, but every publication on it is
    the profile owner's: so "authors overlap" means the owner (config name,
    aliases, the profile's own name) is among the work's authors.
    """
    candidates = _candidates(publications)
    # Each title is normalised once; a pair's authors and year are looked at only when
    # its title clears the threshold (the owner is on every profile publication).
    cand_titles = [NormalizedTitle.of(c.title) for c in candidates]
    scored: list[tuple[float, int, int, str]] = []
    reasons: dict[str, str] = {}
    for wi, work in enumerate(works):
        title = NormalizedTitle.of(work.title)
        best_reason = "no publication on the profile with a similar title"
        best_sim = 0.0
        for ci, cand in enumerate(candidates):
            sim = normalized_similarity(title, cand_titles[ci])
            if sim < TITLE_MATCH_THRESHOLD and sim <= best_sim:
                continue
            ok, reason = confidence(sim, work.authors, work.year, owner_names, cand.year)
            if ok:
                scored.append((sim, wi, ci, reason))
            elif sim > best_sim:
                best_sim, best_reason = sim, f"closest: {cand.title!r} ({reason})"
        reasons[work.key] = best_reason
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    taken_works: set[int] = set()
    taken_pubs: set[int] = set()
    results: dict[str, SourceResult] = {}
    for _sim, wi, ci, reason in scored:
        if wi in taken_works or ci in taken_pubs:
            continue
        taken_works.add(wi)
        taken_pubs.add(ci)
        cand, work = candidates[ci], works[wi]
        results[work.key] = SourceResult(
            key=work.key,
            status="found",
            external_id=cand.pub_id,
            citation_count=cand.citations,
            data={"title": cand.title, "year": cand.year, "venue": cand.venue, "match": reason},
        )
    for work in works:
        if work.key not in results:
            results[work.key] = SourceResult(
                key=work.key, status="not_found", data={"reason": reasons[work.key]}
            )
    return [results[w.key] for w in works]


class GoogleScholar(Source):
    """The owner's Google Scholar profile: one fetch covers every work."""

    name: ClassVar[str] = "google_scholar"
    label: ClassVar[str] = "Google Scholar"
    order: ClassVar[int] = 50
    fetch_order: ClassVar[int] = 50
    id_trust: ClassVar[int] = 50
    batch_size: int = 100_000  # the whole profile comes in one fetch
    min_interval: float = 0.0
    install_hint: ClassVar[str] = "pip install 'pubtrack[scholar]'"
    timeout: ClassVar[int] = 20
    retries: ClassVar[int] = 2

    def __init__(self, config: Config, http: HttpClient) -> None:
        super().__init__(config, http)
        self.profile_id = config.owner.google_scholar_id.strip()
        self._publications: list[dict[str, Any]] | None = None
        self._figures: ProfileFigures | None = None

    def skip_reason(self) -> str | None:
        if not self.profile_id:
            return "no google_scholar_id under [owner] in pubtrack.toml"
        if importlib.util.find_spec("scholarly") is None:
            return f"scholarly is not installed ({self.install_hint})"
        return None

    def lookup_id(self, work: WorkRef) -> str | None:
        """Every work is looked up on the profile (matched by title there)."""
        return work.key if self.profile_id else None

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        publications = self._fetch_profile()
        return match_publications(works, publications, self._owner_names())

    def profile_figures(self) -> ProfileFigures | None:
        """The profile's own figures after a successful fetch, for
        ``Store.record_profile_metrics``; None before (or after a failed) fetch."""
        return self._figures

    # -- internals -------------------------------------------------------------

    def _owner_names(self) -> list[str]:
        names = list(self.config.owner_names())
        if self._figures and self._figures.name:
            names.append(self._figures.name)
        return names

    def _fail(self, what: str) -> SourceError:
        return SourceError(
            f"google_scholar: profile {self.profile_id}: {what}. {BLOCKED_HINT}", source=self.name
        )

    def _fetch_profile(self) -> list[dict[str, Any]]:
        if self._publications is not None:
            return self._publications
        module = load_scholarly()
        if module is None:
            raise self._fail("scholarly is not installed (pip install 'pubtrack[scholar]')")
        api = module.scholarly
        try:
            api.set_timeout(self.timeout)
            api.set_retries(self.retries)
            if self.config.google_scholar.proxy:
                self._use_proxy(module)
            author = api.search_author_id(self.profile_id)
            author = api.fill(author, sections=["basics", "indices", "counts", "publications"])
        except SourceError:
            raise
        except Exception as exc:  # scholarly raises many kinds; every one is "failed"
            raise self._fail(f"{type(exc).__name__}: {exc}") from None
        if not isinstance(author, dict):
            raise self._fail("scholarly returned no profile")
        publications = author.get("publications")
        if not isinstance(publications, list):
            raise self._fail("the profile came back without its publications")
        if not publications and not _int(author.get("citedby")):
            # A block page parses as an empty profile: refuse it rather than store it.
            raise self._fail("the profile came back empty")
        cites = author.get("cites_per_year") or {}
        self._figures = ProfileFigures(
            profile_id=str(author.get("scholar_id") or self.profile_id),
            name=author.get("name") or None,
            total_citations=_int(author.get("citedby")),
            h_index=_int(author.get("hindex")),
            i10_index=_int(author.get("i10index")),
            cites_per_year={
                year: n
                for y, c in cites.items()
                if (year := _int(y)) is not None and (n := _int(c)) is not None
            },
        )
        self._publications = publications
        return publications

    def _use_proxy(self, module: types.ModuleType) -> None:
        """Route scholarly through ``[google_scholar] proxy`` (both of its sessions:
        without a second generator scholarly would go looking for free proxies)."""
        proxy = self.config.google_scholar.proxy
        generator = module.ProxyGenerator()
        if not generator.SingleProxy(http=proxy, https=proxy):
            raise self._fail(f"the proxy {_redact(proxy)} does not work")
        module.scholarly.use_proxy(generator, generator)


def profile_titles(config: Config, profile_id: str) -> list[tuple[str, int | None]]:
    """(title, year) of every publication on a profile (import / discover: titles only,
    each then found through add's lookup). Raises SourceError when Google blocks us."""
    import copy

    local = copy.copy(config)
    local.owner = copy.copy(config.owner)
    local.owner.google_scholar_id = profile_id
    # scholarly has its own HTTP: no HttpClient is needed to read a profile.
    source = GoogleScholar(local, None)  # type: ignore[arg-type]
    out = []
    for publication in source._fetch_profile():
        bib = publication.get("bib") if isinstance(publication, dict) else None
        if isinstance(bib, dict) and bib.get("title"):
            out.append((str(bib["title"]), _int(bib.get("pub_year"))))
    return out
