"""Test support that ships with the package: the fake API server.

``pubtrack.testing.fake_api`` is used by pubtrack's own tests, by the
benchmark scripts and by end-to-end tests that run the real ``pubtrack``
command against it (``python -m pubtrack.testing.fake_api``). It never talks
to the network: it listens on 127.0.0.1 only.

Names are re-exported lazily, so that ``python -m pubtrack.testing.fake_api``
does not import the module twice.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "API_PREFIXES",
    "Catalogue",
    "FakeApiServer",
    "FakePaper",
    "ReplayServer",
    "fast_sync_settings",
    "make_papers",
    "write_bib",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pubtrack.testing import fake_api

        return getattr(fake_api, name)
    raise AttributeError(f"module 'pubtrack.testing' has no attribute {name!r}")
