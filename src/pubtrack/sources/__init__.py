"""API adapters. Built-ins are registered as ``pubtrack.sources`` entry points,
the same way a plugin registers its own."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pubtrack.sources.base import Source

_BUILTIN = {
    "semantic_scholar": ("pubtrack.sources.semantic_scholar", "SemanticScholar"),
    "arxiv": ("pubtrack.sources.arxiv", "Arxiv"),
    "openalex": ("pubtrack.sources.openalex", "OpenAlex"),
    "crossref": ("pubtrack.sources.crossref", "Crossref"),
    "google_scholar": ("pubtrack.sources.google_scholar", "GoogleScholar"),
}


def builtin_sources() -> dict[str, type[Source]]:
    out = {}
    for name, (module, cls) in _BUILTIN.items():
        try:
            out[name] = getattr(import_module(module), cls)
        except (ImportError, AttributeError):
            continue
    return out
