"""The one list of sources: every ``pubtrack.sources`` entry point, built-in or plugin.

Names, order, labels, default URLs, environment variables and whether a
source provides citations are class attributes of each ``Source``
(``sources/base.py``); everything else in pubtrack (config validation, the
sync order, stats, render, the database views, help texts, the fake server)
asks this registry instead of keeping its own list. Adding a source is one
class and one entry point (README, "Adding a source").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from pubtrack.sources.base import ENTRY_POINT_GROUP, Source


@dataclass(frozen=True)
class SourceRegistry:
    """Registered source classes, in listing order (``Source.order``, then name)."""

    classes: tuple[type[Source], ...]
    # Entry points that could not be loaded (a plugin's missing dependency): name -> why.
    broken: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, classes: Iterable[type[Source]], broken: dict[str, str] | None = None
    ) -> SourceRegistry:
        ordered = sorted(classes, key=lambda c: (c.order, c.name))
        return cls(tuple(ordered), dict(broken or {}))

    def __iter__(self) -> Iterator[type[Source]]:
        return iter(self.classes)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.classes)

    def get(self, name: str) -> type[Source] | None:
        return next((c for c in self.classes if c.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """Every source, in listing order."""
        return tuple(c.name for c in self.classes)

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

    def url_envs(self) -> dict[str, str]:
        """{source: PUBTRACK_*_API_URL} for sources whose URL can be overridden."""
        return {c.name: c.url_env for c in self.classes if c.url_env}


def _load(points: Iterable[EntryPoint]) -> SourceRegistry:
    found: dict[str, type[Source]] = {}
    broken: dict[str, str] = {}
    for ep in points:
        if ep.name in found:
            continue  # the same distribution seen twice on sys.path
        try:
            cls = ep.load()
        except Exception as exc:  # a plugin that cannot be imported must not stop pubtrack
            broken[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Source)):
            broken[ep.name] = f"{ep.value} is not a pubtrack Source class"
            continue
        if getattr(cls, "name", ep.name) != ep.name:
            broken[ep.name] = f"{ep.value} is named {cls.name!r}, registered as {ep.name!r}"
            continue
        found[ep.name] = cls
    return SourceRegistry.of(found.values(), broken)


@dataclass(frozen=True)
class ApiEndpoint:
    """Where an API lives: its default base URL and the variable that overrides it."""

    name: str
    label: str
    default_url: str
    url_env: str = ""


# APIs that are not sync sources (`pubtrack add` / `import` / `discover` read
# them): each module says where it lives in its ``API`` constant.
_LOOKUP_MODULES = ("pubtrack.sources.orcid", "pubtrack.sources.dblp", "pubtrack.sources.datacite")


def api_endpoint(name: str) -> ApiEndpoint:
    """The URL metadata of a sync source or of a lookup API, by name."""
    cls = registry().get(name)
    if cls is not None and cls.default_url:
        return ApiEndpoint(cls.name, cls.label, cls.default_url, cls.url_env)
    from importlib import import_module

    for module in _LOOKUP_MODULES:
        endpoint: ApiEndpoint = import_module(module).API
        if endpoint.name == name:
            return endpoint
    raise KeyError(f"no API named {name!r}")


def api_endpoints() -> list[ApiEndpoint]:
    """Every API with a URL: the sync sources', then the lookup APIs'."""
    from importlib import import_module

    out = [
        ApiEndpoint(c.name, c.label, c.default_url, c.url_env) for c in registry() if c.default_url
    ]
    out += [import_module(m).API for m in _LOOKUP_MODULES]
    return out


@lru_cache(maxsize=1)
def registry() -> SourceRegistry:
    """The registry of the installed sources (read once per process)."""
    return _load(entry_points(group=ENTRY_POINT_GROUP))


def reload() -> SourceRegistry:
    """Read the entry points again (after installing a plugin in-process: tests)."""
    registry.cache_clear()
    return registry()
