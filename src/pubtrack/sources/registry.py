"""The one list of sources: every ``pubtrack.sources`` entry point, built-in or plugin;
and beside it the one list of lookup APIs: every ``pubtrack.lookup_apis`` entry point.

Names, order, labels, default URLs, environment variables, request pacing and
headers, and whether a source provides citations are class attributes of each
``Source`` or ``LookupApi`` (``sources/base.py``); everything else in pubtrack
(config validation, the sync order, stats, render, the database views, help
texts, the HTTP layer, the fake server) asks these registries instead of keeping
its own list. Adding a source is one class and one entry point (README, "Adding
a source"); a lookup API likewise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, Self, TypeVar

from pubtrack.models import Identifiers
from pubtrack.sources.base import (
    ENTRY_POINT_GROUP,
    LOOKUP_ENTRY_POINT_GROUP,
    Api,
    LookupApi,
    Source,
)

A = TypeVar("A", bound=Api)
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class _Registry(Generic[A]):
    """Registered classes of one entry-point group, in listing order (``order``, name)."""

    classes: tuple[type[A], ...]
    # Entry points that could not be loaded (a plugin's missing dependency): name -> why.
    broken: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, classes: Iterable[type[A]], broken: dict[str, str] | None = None) -> Self:
        """The registry of ``classes`` in listing order (``order``, then name)."""
        return cls(tuple(sorted(classes, key=lambda c: (c.order, c.name))), dict(broken or {}))

    def __iter__(self) -> Iterator[type[A]]:
        return iter(self.classes)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.classes)

    def get(self, name: str) -> type[A] | None:
        return next((c for c in self.classes if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name, in listing order."""
        return tuple(c.name for c in self.classes)


def _overrides(cls: type[Source], name: str) -> bool:
    """Does ``cls`` (or a base below ``Source``) define ``name`` itself?"""
    below = cls.__mro__[: cls.__mro__.index(Source)]
    return any(name in vars(k) for k in below)


@dataclass(frozen=True)
class SourceRegistry(_Registry[Source]):
    """Registered source classes, in listing order (``Source.order``, then name)."""

    @property
    def citation_sources(self) -> tuple[str, ...]:
        """Sources that provide citation counts, in listing (and preference) order."""
        return tuple(c.name for c in self.classes if c.provides_citations)

    @property
    def default_enabled(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.classes if c.default_enabled)

    def label(self, name: str) -> str:
        """ "Semantic Scholar" for semantic_scholar; an unknown name as it is."""
        cls = self.get(name)
        return cls.label if cls is not None else name

    def labels(self) -> dict[str, str]:
        return {c.name: c.label for c in self.classes}

    def fetch_order(self, names: Iterable[str]) -> list[str]:
        """``names`` in the order a sync fetches them (ids learned early help later)."""
        rank = {c.name: (c.fetch_order, c.name) for c in self.classes}
        return sorted(dict.fromkeys(names), key=lambda n: rank.get(n, (10**9, n)))

    def fetch_rank(self, name: str) -> int:
        """Position in a sync run (``fetch_order``); unknown names after every known one."""
        order = self.fetch_order(self.names)
        return order.index(name) if name in order else len(order)

    def by_id_trust(self, names: Iterable[str]) -> list[str]:
        """``names`` with the source whose learned ids win first (``Source.id_trust``);
        unknown names last."""
        trust = {c.name: c.id_trust for c in self.classes}
        return sorted(names, key=lambda n: (trust.get(n, 10**9), n))

    def rank(self, name: str) -> int:
        """Listing position (unknown names after every known one)."""
        names = self.names
        return names.index(name) if name in names else len(names)

    @property
    def own_id_kinds(self) -> dict[str, str]:
        """{source: id kind} of the sources that find their own id of a work (S2's
        paperId, OpenAlex's W…; ``Source.finds_own_id``) where that kind is one of a
        work's ids: render shows it, from the last sync, where the bib lacks it."""
        kinds = {f.name for f in dataclasses.fields(Identifiers)}
        return {
            c.name: c.external_id_kind
            for c in self.classes
            if c.finds_own_id and c.external_id_kind in kinds
        }

    @property
    def citing_page_sources(self) -> tuple[str, ...]:
        """Sources with a public page of a paper's citing papers (they override
        ``Source.citing_papers_url``), in listing order."""
        return tuple(c.name for c in self.classes if _overrides(c, "citing_papers_url"))

    def url_envs(self) -> dict[str, str]:
        """{source: PUBTRACK_*_API_URL} for sources whose URL can be overridden."""
        return {c.name: c.url_env for c in self.classes if c.url_env}


@dataclass(frozen=True)
class LookupRegistry(_Registry[LookupApi]):
    """Registered lookup APIs (``LookupApi`` classes), in listing order."""


def _reserved() -> tuple[str, ...]:
    from pubtrack.db import METRICS_FIXED_COLUMNS

    return METRICS_FIXED_COLUMNS


def _load_classes(
    points: Iterable[EntryPoint], base: type[Api]
) -> tuple[list[type[Any]], dict[str, str]]:
    """The classes the entry points name (subclasses of ``base``), and why the
    others could not be loaded."""
    found: dict[str, type[Any]] = {}
    broken: dict[str, str] = {}
    for ep in points:
        if ep.name in found:
            continue  # the same distribution seen twice on sys.path
        try:
            cls = ep.load()
        except Exception as exc:  # a plugin that cannot be imported must not stop pubtrack
            broken[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, base)):
            broken[ep.name] = f"{ep.value} is not a pubtrack {base.__name__} class"
            continue
        if not _NAME.fullmatch(ep.name):
            # The name is a [sync.<name>] table, a JSON key and a database column.
            broken[ep.name] = "a source name is lower-case letters, digits and '_'"
            continue
        if base is Source and ep.name in _reserved():  # (a lookup API has no column)
            broken[ep.name] = f"{ep.name!r} is a column every work has in the database views"
            continue
        if getattr(cls, "name", ep.name) != ep.name:
            broken[ep.name] = f"{ep.value} is named {cls.name!r}, registered as {ep.name!r}"
            continue
        found[ep.name] = cls
    return list(found.values()), broken


def _load(points: Iterable[EntryPoint]) -> SourceRegistry:
    classes, broken = _load_classes(points, Source)
    return SourceRegistry.of(classes, broken)


def _load_lookup(points: Iterable[EntryPoint]) -> LookupRegistry:
    classes, broken = _load_classes(points, LookupApi)
    return LookupRegistry.of(classes, broken)


@dataclass(frozen=True)
class ApiEndpoint:
    """Where an API lives: its default base URL and the variable that overrides it."""

    name: str
    label: str
    default_url: str
    url_env: str = ""

    @classmethod
    def of(cls, api: type[Api]) -> ApiEndpoint:
        return cls(api.name, api.label, api.default_url, api.url_env)


def api_class(name: str) -> type[Api] | None:
    """The class of a sync source or of a lookup API, by name (None if neither)."""
    return registry().get(name) or lookup_apis().get(name)


def by_record_trust(names: Iterable[str]) -> list[str]:
    """``names`` with the API whose record of a work is trusted most first
    (``Api.record_trust``, sources and lookup APIs alike); the rest keep their order
    after every API that declares its place."""

    def trust(name: str) -> int:
        cls = api_class(name)
        return cls.record_trust if cls is not None else Api.record_trust

    return sorted(names, key=trust)  # (stable)


def api_endpoint(name: str) -> ApiEndpoint:
    """The URL metadata of a sync source or of a lookup API, by name."""
    cls = api_class(name)
    if cls is None or not cls.default_url:
        raise KeyError(
            f"no API named {name!r} is registered (an installed pubtrack lists its APIs as "
            "entry points: reinstall it with `pip install -e .` after an upgrade)"
        )
    return ApiEndpoint.of(cls)


def api_endpoints() -> list[ApiEndpoint]:
    """Every API with a URL: the sync sources', then the lookup APIs'."""
    apis: list[type[Api]] = [*registry(), *lookup_apis()]
    return [ApiEndpoint.of(c) for c in apis if c.default_url]


def request_defaults(name: str) -> tuple[float, dict[str, str]]:
    """What the HTTP layer uses for a request to API ``name`` when the caller says
    nothing: (seconds between requests, headers). A lookup API's own pace; a sync
    source passes its (configurable) interval itself, so 0 here; headers from the
    class either way, none for a name no registry knows."""
    lookup = lookup_apis().get(name)
    if lookup is not None:
        return lookup.min_interval, dict(lookup.headers)
    source = registry().get(name)
    return 0.0, dict(source.headers) if source is not None else {}


def secret_envs(*, builtin: bool | None = None) -> tuple[str, ...]:
    """The environment variables that hold API keys (``key_env`` of every API), sync
    sources' first; ``builtin`` True or False: only pubtrack's own APIs' or only
    plugins' (the GitHub Action has an input for each built-in key, not a plugin's)."""
    apis: list[type[Api]] = [*registry(), *lookup_apis()]
    return tuple(
        dict.fromkeys(
            c.key_env for c in apis if c.key_env and (builtin is None or is_builtin(c) == builtin)
        )
    )


def is_builtin(cls: type[Api]) -> bool:
    """Is ``cls`` one of pubtrack's own APIs (not a plugin's)?"""
    return cls.__module__.partition(".")[0] == "pubtrack"


@lru_cache(maxsize=1)
def registry() -> SourceRegistry:
    """The registry of the installed sources (read once per process)."""
    return _load(entry_points(group=ENTRY_POINT_GROUP))


@lru_cache(maxsize=1)
def lookup_apis() -> LookupRegistry:
    """The registry of the installed lookup APIs (read once per process)."""
    return _load_lookup(entry_points(group=LOOKUP_ENTRY_POINT_GROUP))


def plugin_problems() -> list[str]:
    """One line per installed plugin (source or lookup API) that cannot be used."""
    return [
        f"{kind} plugin {name!r} cannot be loaded ({why}); it is left out"
        for kind, reg in (("source", registry()), ("lookup API", lookup_apis()))
        for name, why in reg.broken.items()
    ]


def reload() -> SourceRegistry:
    """Read the entry points again (after installing a plugin in-process: tests)."""
    registry.cache_clear()
    lookup_apis.cache_clear()
    return registry()
