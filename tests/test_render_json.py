"""`--format json` follows the DESIGN.md contract field by field."""

from __future__ import annotations

import json
from datetime import date

from pubtrack.models import (
    EM_CLOSE,
    EM_OPEN,
    Author,
    CitationCount,
    Identifiers,
    Library,
    Link,
    Talk,
    Work,
)
from pubtrack.render import RenderOptions, StoredData, render_library

GENERATED = "2026-11-28T12:00:00Z"


def _render(library: Library, stored: StoredData | None = None, **kwargs: object) -> dict:
    options = RenderOptions(format="json", generated_at=GENERATED, **kwargs)  # type: ignore[arg-type]
    return json.loads(render_library(library, options, owner_names=["Zihang Liu"], stored=stored))


def test_top_level_shape(render_example: Library) -> None:
    data = _render(render_example)
    assert set(data) == {"publications", "talks", "generated_at"}
    assert data["generated_at"] == GENERATED
    assert [p["key"] for p in data["publications"]] == [
        "liu2024modelbalancing",
        "du2022ensemblemot",
    ]


def test_publication_fields(render_example: Library) -> None:
    stored = StoredData(
        citations={
            "liu2024modelbalancing": {
                "semantic_scholar": CitationCount(
                    "liu2024modelbalancing", "semantic_scholar", 12, "2026-11-28T03:00:00Z"
                ),
                "openalex": CitationCount(
                    "liu2024modelbalancing", "openalex", 9, "2026-11-27T03:00:00Z"
                ),
            }
        },
        external_ids={
            "liu2024modelbalancing": {"semantic_scholar": "a" * 40, "openalex": "W4403"},
        },
    )
    pub, pre = _render(render_example, stored)["publications"]
    assert pub["key"] == "liu2024modelbalancing"
    assert pub["title"] == "Model Balancing Helps Low-data Training and Fine-tuning"
    assert pub["authors"] == [
        "Zihang Liu",
        "Yuanzhe Hu",
        "Tianyu Pang",
        "Yefan Zhou",
        "Pu Ren",
        "Yaoqing Yang",
    ]
    assert pub["year"] == 2024
    assert pub["venue"] == "EMNLP"
    assert pub["award"] == "Oral"
    assert pub["ids"] == {
        "arxiv": "2410.12178",
        "doi": "10.18653/v1/2024.emnlp-main.78",
        "semantic_scholar": "a" * 40,  # from source_records: the bib has none
        "openalex": "W4403",
    }
    assert pub["links"] == [
        {"label": "arXiv", "url": "https://arxiv.org/abs/2410.12178"},
        {"label": "DOI", "url": "https://doi.org/10.18653/v1/2024.emnlp-main.78"},
        {"label": "Code", "url": "https://github.com/ZihangHLiu/ModelBalancing"},
    ]
    assert pub["citations"] == {
        "semantic_scholar": {"count": 12, "as_of": "2026-11-28T03:00:00Z"},
        "openalex": {"count": 9, "as_of": "2026-11-27T03:00:00Z"},
    }
    # Never synced: an empty object, and unknown ids are null.
    assert pre["citations"] == {}
    assert pre["award"] is None
    assert pre["ids"] == {
        "arxiv": "2210.05278",
        "doi": None,
        "semantic_scholar": None,
        "openalex": None,
    }


def test_bib_ids_win_over_source_records() -> None:
    w = Work("k", "article", "T", ids=Identifiers(semantic_scholar="b" * 40))
    stored = StoredData(external_ids={"k": {"semantic_scholar": "c" * 40}})
    assert _render(Library(works=[w]), stored)["publications"][0]["ids"]["semantic_scholar"] == (
        "b" * 40
    )


def test_title_is_plain_unicode_without_markers() -> None:
    w = Work(
        "k",
        "article",
        f"Über {EM_OPEN}in vivo{EM_CLOSE} <tests> & $x$",
        authors=[Author("José", "", "Núñez", marks=("*",)), Author(is_others=True)],
        venue=f"{EM_OPEN}J.{EM_CLOSE} Stuff",
    )
    pub = _render(Library(works=[w]))["publications"][0]
    assert pub["title"] == "Über in vivo <tests> & $x$"
    assert pub["venue"] == "J. Stuff"
    assert pub["authors"] == ["José Núñez", "et al."]
    assert pub["authors_detail"][0]["marks"] == ["*"]


def test_talk_fields(render_example: Library) -> None:
    render_example.talks.append(
        Talk(
            "t2",
            "Another talk",
            event="Workshop",
            year=2025,
            month=3,
            location_name="Miami, FL",
            links=[Link("Slides", "https://x.org/s.pdf"), Link("Recording", "https://v.org/1")],
        )
    )
    talks = _render(render_example)["talks"]
    assert talks[0] == {
        "key": "t2",
        "title": "Another talk",
        "event": "Workshop",
        "date": "2025-03",
        "links": [
            {"label": "Slides", "url": "https://x.org/s.pdf"},
            {"label": "Recording", "url": "https://v.org/1"},
        ],
        "publication": None,
        "location": "Miami, FL",
        "type": None,
    }
    assert talks[1]["key"] == "liu2024emnlp_talk"
    assert talks[1]["date"] == "2024-11-12"
    assert talks[1]["publication"] == "liu2024modelbalancing"
    assert talks[1]["event"] == "EMNLP 2024"


def test_section_limits_what_is_listed(render_example: Library) -> None:
    data = _render(render_example, section="talks")
    assert data["publications"] == [] and len(data["talks"]) == 1


def test_json_is_valid_for_every_talk_date() -> None:
    talks = [Talk("a", "A", date=date(2024, 1, 2)), Talk("b", "B"), Talk("c", "C", year=2020)]
    assert [t["date"] for t in _render(Library(talks=talks))["talks"]] == [
        "2024-01-02",
        "2020",
        None,
    ]
