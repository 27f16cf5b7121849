"""The Source interface every API adapter (built-in or plugin) implements.

A source says how many works one request can cover (``batch_size``) and how
often it may be called (``min_interval``); ``sync`` does the batching, the
freshness checks, the storing and the bookkeeping. Sources never touch the
database and never write files: they turn works into ``SourceResult``s.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar

from pubtrack.models import Identifiers

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

ENTRY_POINT_GROUP = "pubtrack.sources"


@dataclass
class WorkRef:
    """What a source needs to know about a work to look it up."""

    key: str
    ids: Identifiers
    title: str  # plain Unicode
    authors: list[str] = field(default_factory=list)  # display names
    year: int | None = None


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


class Source(ABC):
    """Base class for a citation/metadata source."""

    name: ClassVar[str]
    label: ClassVar[str]
    batch_size: ClassVar[int] = 1
    min_interval: ClassVar[float] = 1.0  # seconds between two requests
    provides_citations: ClassVar[bool] = True

    def __init__(self, config: Config, http: HttpClient) -> None:
        self.config = config
        self.http = http
        settings = config.source_settings.get(self.name, {})
        # Per-project overrides from [sync.<name>] in pubtrack.toml.
        self.batch_size = int(settings.get("batch_size", type(self).batch_size))
        self.min_interval = float(settings.get("min_interval", type(self).min_interval))

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

    def asked_ids(self, work: WorkRef, lookup: str | None) -> set[tuple[str, str]]:
        """The (kind, value) ids an answer about ``work`` must carry (one is enough).

        sync checks every answer against them before storing or learning
        anything (verify.py). Default: none, which skips the id check.
        """
        return set()


def available_sources() -> dict[str, type[Source]]:
    """Every registered source: built-ins and plugins, through one entry-point group."""
    found: dict[str, type[Source]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except ImportError:
            continue  # an optional extra that is not installed
    if not found:  # running from a source tree that was never installed
        from pubtrack.sources import builtin_sources

        found = builtin_sources()
    return found
