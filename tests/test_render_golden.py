"""The bundled example renders to the hand-written golden files (from the mock-up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubtrack.config import load_config
from pubtrack.db import Store
from pubtrack.models import CitationCount
from pubtrack.render import RenderOptions, render_project

GOLDEN = Path(__file__).parent / "golden"

try:
    from pubtrack.bibtex import load_library  # noqa: F401
except ImportError:  # pragma: no cover - only while the reader is being written
    pytest.skip("the BibTeX reader is not there yet", allow_module_level=True)


def _counts() -> list[CitationCount]:
    return [
        CitationCount("liu2024modelbalancing", "semantic_scholar", 10, "2026-11-20T03:00:00Z"),
        CitationCount("liu2024modelbalancing", "semantic_scholar", 12, "2026-11-28T03:00:00Z"),
        CitationCount("liu2024modelbalancing", "openalex", 9, "2026-11-28T03:05:00Z"),
        CitationCount("liu2024modelbalancing", "crossref", 7, "2026-11-27T03:00:00Z"),
        # The last good value; a later failed sync recorded no count.
        CitationCount("du2022ensemblemot", "semantic_scholar", 5, "2026-11-20T03:00:00Z"),
    ]


def _render(**kwargs: object) -> str:
    options = RenderOptions(generated_at="2026-11-28T12:00:00Z", **kwargs)  # type: ignore[arg-type]
    return render_project(load_config(), options).text


def test_example_renders_to_golden_without_database(example_project: Path) -> None:
    assert _render(format="md") == (GOLDEN / "example.md").read_text(encoding="utf-8")
    # No database existed, and render does not create one.
    assert not (example_project / "data" / "pubtrack.db").exists()


def test_example_with_counts_renders_to_golden(example_project: Path) -> None:
    with Store.open(example_project / "data" / "pubtrack.db") as store:
        store.record_citations(_counts())
        store.save_source_error("du2022ensemblemot", "semantic_scholar", "HTTP 429")
    assert _render(format="md") == (GOLDEN / "example-with-counts.md").read_text(encoding="utf-8")
    assert _render(format="md", style="compact") == (GOLDEN / "example-compact.md").read_text(
        encoding="utf-8"
    )


def test_latex_names_and_links_bib_renders_to_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """coverage.bib exercises every reader fix: LaTeX2e text symbols, accents in
    every spelling, math, AAS journal macros, names with unbraced accents,
    Unicode hyphens, {\\relax Ch} initials and particles, links in HTML,
    several URLs, doi: prefixes, \\url{} in howpublished, arXiv ids with a
    subject class and arXiv DOIs."""
    root = tmp_path / "coverage"
    (root / "bib").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "bib" / "publications.bib").write_bytes((GOLDEN / "coverage.bib").read_bytes())
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Rosa Muñoz-Baena"\n\n[bib]\n'
        'publications = ["bib/publications.bib"]\ntalks = []\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    assert _render(format="md") == (GOLDEN / "coverage.md").read_text(encoding="utf-8")
    assert _render(format="md", style="compact") == (GOLDEN / "coverage-compact.md").read_text(
        encoding="utf-8"
    )
