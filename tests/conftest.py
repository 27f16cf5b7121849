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


@pytest.fixture
def render_example():
    """The seed example as models (what the reader gives), for renderer tests."""
    from datetime import date

    from pubtrack.models import Author, Identifiers, Library, Link, Talk, Work

    works = [
        Work(
            "du2022ensemblemot",
            "misc",
            "EnsembleMOT: A Step towards Ensemble Learning of Multiple Object Tracking",
            authors=[
                Author("Yunhao", "", "Du"),
                Author("Zihang", "", "Liu"),
                Author("Fei", "", "Su"),
            ],
            year=2022,
            kind="preprint",
            ids=Identifiers(arxiv="2210.05278"),
            links=[
                Link("arXiv", "https://arxiv.org/abs/2210.05278"),
                Link("Code", "https://github.com/dyhBUPT/EnsembleMOT"),
            ],
        ),
        Work(
            "liu2024modelbalancing",
            "inproceedings",
            "Model Balancing Helps Low-data Training and Fine-tuning",
            authors=[
                Author(first, "", last)
                for first, last in [
                    ("Zihang", "Liu"),
                    ("Yuanzhe", "Hu"),
                    ("Tianyu", "Pang"),
                    ("Yefan", "Zhou"),
                    ("Pu", "Ren"),
                    ("Yaoqing", "Yang"),
                ]
            ],
            year=2024,
            month=11,
            venue="EMNLP",
            award="Oral",
            kind="conference",
            ids=Identifiers(arxiv="2410.12178", doi="10.18653/v1/2024.emnlp-main.78"),
            links=[
                Link("arXiv", "https://arxiv.org/abs/2410.12178"),
                Link("DOI", "https://doi.org/10.18653/v1/2024.emnlp-main.78"),
                Link("Code", "https://github.com/ZihangHLiu/ModelBalancing"),
            ],
            selected=True,
            fields={"abbr": "EMNLP"},
        ),
    ]
    talk = Talk(
        "liu2024emnlp_talk",
        "Model Balancing Helps Low-data Training and Fine-tuning",
        event="EMNLP 2024",
        date=date(2024, 11, 12),
        talk_type="Oral presentation",
        publication="liu2024modelbalancing",
    )
    return Library(works=works, talks=[talk])
