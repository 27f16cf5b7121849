"""Test support that ships with the package: the fake API server.

``pubtrack.testing.fake_api`` is used by pubtrack's own tests, by the
benchmark scripts and by end-to-end tests that run the real ``pubtrack``
command against it (``python -m pubtrack.testing.fake_api``). It never talks
to the network: it listens on 127.0.0.1 only.
"""

from __future__ import annotations

from pubtrack.testing.fake_api import (
    API_PREFIXES,
    Catalogue,
    FakeApiServer,
    FakePaper,
    ReplayServer,
    fast_sync_settings,
    make_papers,
    write_bib,
)

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
