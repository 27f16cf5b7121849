"""The Source interface every API adapter (built-in or plugin) implements.

A source says how many works one request can cover (``batch_size``) and how
often it may be called (``min_interval``); ``sync`` does the batching, the
freshness checks, the storing and the bookkeeping. Sources never touch the
database and never write files: they turn works into ``SourceResult``s.
"""

from __future__ import annotations

import dataclasses
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pubtrack.config import SourceSettings
from pubtrack.identity import id_keys
from pubtrack.models import Identifiers

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

ENTRY_POINT_GROUP = "pubtrack.sources"
# APIs that `add`, `import` and `discover` look works and people up in (not synced).
LOOKUP_ENTRY_POINT_GROUP = "pubtrack.lookup_apis"


@dataclass
class WorkRef:
    """What a source needs to know about a work to look it up."""

    key: str
    ids: Identifiers
    title: str  # plain Unicode
    authors: list[str] = field(default_factory=list)  # display names
    year: int | None = None


@dataclass
class ProfileFigures:
    """What a profile says about itself (all its publications, not only the bib's)."""

    profile_id: str
    name: str | None
    total_citations: int | None
    h_index: int | None
    i10_index: int | None
    cites_per_year: dict[int, int] = field(default_factory=dict)


@dataclass
class SourceResult:
    """One work's answer from one source.

    ``status``: 'found'; 'not_found' (the source does not know the id);
    'unresolved' (no id and no confident title match — never guessed).
    A failed request is not a result: ``fetch_batch`` raises ``SourceError``.
    """

    key: str
    status: str
    external_id: str | None = None
    citation_count: int | None = None
    influential: int | None = None
    counts_by_year: dict[int, int] = field(default_factory=dict)
    # Other ids this source reports, normalised (keys as in Identifiers).
    external_ids: dict[str, str] = field(default_factory=dict)
    # Metadata worth keeping: venue, year, tldr, abstract, pdf_url,
    # journal_ref, categories, latest_version, published, ...
    data: dict[str, Any] = field(default_factory=dict)


class Api:
    """What pubtrack knows about one web API, as class attributes: the registries
    (``pubtrack.sources.registry``) read them, and every label, default URL,
    environment variable and request pacing in pubtrack comes from there. The HTTP
    layer (``sources/http.py``) knows no API by name: it asks the registries."""

    name: ClassVar[str]  # the entry-point name: [sync] sources, --source, JSON keys
    label: ClassVar[str]  # shown to people: "Semantic Scholar"
    # Position in listings (help, stats, render's citation preference); lower first.
    order: ClassVar[int] = 1000
    default_url: ClassVar[str] = ""  # API base URL
    url_env: ClassVar[str] = ""  # environment variable overriding it (mirrors, tests)
    key_env: ClassVar[str] = ""  # environment variable holding an API key (never stored)
    # Without the key the API answers nothing (OpenAlex since February 2026).
    key_required: ClassVar[bool] = False
    min_interval: float = 1.0  # seconds between two requests ([sync.<name>] overrides it)
    # Headers every request to this API carries (the Accept it answers best to).
    headers: ClassVar[dict[str, str]] = {}
    # One request at a time, not only one start per interval (arXiv asks for this).
    exclusive: ClassVar[bool] = False
    # Whose record of a work wins when `add`/`import` merge what several APIs say about
    # it (the DOI registries and curated listings first): lower first; the default
    # puts an API after every one that declares its place.
    record_trust: ClassVar[int] = 1000

    @classmethod
    def env_key(cls) -> str | None:
        """The API key in ``key_env`` (stripped), or None when unset or empty."""
        return (os.environ.get(cls.key_env, "").strip() or None) if cls.key_env else None

    @classmethod
    def missing_key(cls) -> str | None:
        """'OpenAlex needs OPENALEX_API_KEY' when the API needs a key that is not set."""
        if cls.key_required and cls.env_key() is None:
            return f"{cls.label} needs {cls.key_env}"
        return None


class LookupApi(Api):
    """An API that `add`, `import` and `discover` read (a researcher's works, one
    record) but `sync` does not fetch counts from: ORCID, dblp, DataCite. Registered
    as a ``pubtrack.lookup_apis`` entry point, the way sources are registered; the
    functions that call it live in its module. Its ``min_interval`` is the pace the
    HTTP layer keeps when the caller names none ([sync.<name>] min_interval overrides
    it in add/import/discover)."""


class Source(Api, ABC):
    """Base class for a citation/metadata source.

    The class attributes are the source's metadata (``Api``'s and the ones below):
    the registry (``pubtrack.sources.registry``) reads them, and every list of
    sources, label, default URL and environment variable in pubtrack comes from there.
    """

    # Position in a sync run; sources that teach ids to others (arXiv: DOIs) go first.
    fetch_order: ClassVar[int] = 1000
    # Whose learned ids win when two sources report one (render's links, `fix`), and
    # whose open-access PDF link render shows: lower first. arXiv and Crossref are the
    # registries of their ids (and arXiv hosts the PDF of its own).
    id_trust: ClassVar[int] = 1000
    default_enabled: ClassVar[bool] = False  # in the default [sync] sources
    batch_size: int = 1  # works per request ([sync.<name>] batch_size overrides it)
    # The dataclass of this source's [sync.<name>] table; a plugin may extend it.
    settings_class: ClassVar[type[SourceSettings]] = SourceSettings
    # False for metadata-only sources (arXiv): no counts stored, no column in views.
    provides_citations: ClassVar[bool] = True
    # The kind of id (an ``Identifiers`` field: "doi", "arxiv", ...) ``lookup_id``
    # returns, and the kind ``SourceResult.external_id`` is: verify.py checks answers
    # against them. "" when the source cannot say (no id check).
    lookup_kind: ClassVar[str] = ""
    external_id_kind: ClassVar[str] = ""
    # The source finds its own id of a work known by other ids (S2's paperId, OpenAlex's
    # W…): render shows that external id where the bib lacks it.
    finds_own_id: ClassVar[bool] = False
    # What to install when an optional dependency is missing ("pip install ...").
    install_hint: ClassVar[str] = ""

    def __init__(self, config: Config, http: HttpClient) -> None:
        self.config = config
        self.http = http
        # [sync.<name>] in pubtrack.toml, checked when it loaded (a plugin's own
        # settings too: ``settings_class``); unset values keep the class defaults.
        given = config.sync.tables.get(self.name)
        if given is None:
            given = self.settings_class()
        elif not isinstance(given, self.settings_class):  # built in code as the base class
            given = self.settings_class(**dataclasses.asdict(given))
        self.settings = given
        if self.settings.batch_size is not None:
            self.batch_size = self.settings.batch_size
        if self.settings.min_interval is not None:
            self.min_interval = self.settings.min_interval
        # default_url, or its url_env variable (mirrors, tests)
        self.base_url = config.api_url(self.name) if self.default_url else ""

    def skip_reason(self) -> str | None:
        """Why this source cannot run here (e.g. 'no OPENALEX_API_KEY'), or None."""
        return None

    @abstractmethod
    def lookup_id(self, work: WorkRef) -> str | None:
        """The id this source is queried with, or None if it cannot look the work up."""

    @abstractmethod
    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        """One request (or as few as the API allows) for up to ``batch_size`` works."""

    def resolve_unidentified(self, works: list[WorkRef]) -> list[SourceResult]:
        """Works with no id this source can use (e.g. S2 title match). Default: none."""
        return []

    def profile_figures(self) -> ProfileFigures | None:
        """Figures of the owner's whole profile (all works, not only the bib's), after a
        fetch, for ``Store.record_profile_metrics``. Default: a source without profiles."""
        return None

    def asked_ids(self, work: WorkRef, lookup: str | None) -> set[tuple[str, str]]:
        """The (kind, value) ids an answer about ``work`` must carry (one is enough).

        sync checks every answer against them before storing or learning
        anything (verify.py). Default: the id asked with (``lookup_keys``); none,
        which skips the id check, for a source without a ``lookup_kind``.
        """
        return self.lookup_keys(lookup)

    @classmethod
    def lookup_keys(cls, lookup: str | None) -> set[tuple[str, str]]:
        """The (kind, value) pairs of the id this source was asked with (``lookup_id``'s
        value), normalised; empty without a ``lookup_kind``."""
        if not lookup or not cls.lookup_kind:
            return set()
        return id_keys({cls.lookup_kind: str(lookup)})

    @classmethod
    def citing_papers_url(cls, ids: Mapping[str, str | None]) -> str | None:
        """The public page listing the papers that cite the work with these ids
        ("Cited by N" links there with --cited-by-link), or None: no such page.
        ``ids``: the work's ids (``Identifiers`` fields) and, under this source's name,
        the id this source knows the work by (its last answer's ``external_id``)."""
        return None

    @classmethod
    def published_in(cls, data: Mapping[str, Any]) -> tuple[str, str | None]:
        """(venue, BibTeX entry type or None) of the published version, as this
        source's stored record (``SourceResult.data``) names it; ("", None) if it
        does not. `check` and `fix` suggest them for a preprint that came out."""
        return "", None


def available_sources() -> dict[str, type[Source]]:
    """Every registered source, built-in or plugin, by name (``registry.registry()``)."""
    from pubtrack.sources.registry import registry

    return {cls.name: cls for cls in registry()}
