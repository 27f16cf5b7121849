"""Shared fixtures. Tests that read ../shared/ skip when it is absent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPORA_BIB = SHARED / "corpora" / "bib"
CORPORA_API = SHARED / "corpora" / "api"


@pytest.fixture
def corpora_bib() -> Path:
    if not CORPORA_BIB.is_dir():
        pytest.skip("../shared/corpora/bib is not available")
    return CORPORA_BIB


@pytest.fixture
def corpora_api() -> Path:
    if not CORPORA_API.is_dir():
        pytest.skip("../shared/corpora/api is not available")
    return CORPORA_API


@pytest.fixture
def example_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled example (pubtrack.toml + bib/) in a temp dir, as cwd."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "pubtrack.toml", root / "pubtrack.toml")
    shutil.copytree(REPO / "bib", root / "bib")
    (root / "data").mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    return root
