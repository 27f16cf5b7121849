"""What is rendered, in which order: sorting, grouping, selection, venue lines, counts."""

from __future__ import annotations

from datetime import date

from pubtrack.config import RenderSettings
from pubtrack.models import CitationCount, Identifiers, Library, Talk, Work
from pubtrack.render import RenderOptions, StoredData, build_context, render_library
from pubtrack.render.context import venue_lines


def _ctx(library: Library, stored: StoredData | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    options = RenderOptions(generated_at="2026-11-28T12:00:00Z", **kwargs)  # type: ignore[arg-type]
    return build_context(library, options, owner_names=["Zihang Liu"], stored=stored)


def test_sorted_by_year_month_day_newest_first_not_file_order() -> None:
    works = [
        Work("may", "article", "May", year=2024, month=5),
        Work("undated", "article", "Undated"),
        Work("nov2", "article", "Nov 2", year=2024, month=11, day=2),
        Work("y2023", "article", "2023", year=2023, month=12),
        Work("nov20", "article", "Nov 20", year=2024, month=11, day=20),
        Work("y2024", "article", "2024 only", year=2024),
    ]
    ctx = _ctx(Library(works=works))
    keys = [p.key for p in ctx.publications]
    assert keys == ["nov20", "nov2", "may", "y2024", "y2023", "undated"]
    assert [p.number for p in ctx.publications] == [1, 2, 3, 4, 5, 6]


def test_talks_sorted_by_date() -> None:
    talks = [
        Talk("a", "A", date=date(2023, 5, 1)),
        Talk("b", "B", year=2024, month=2),
        Talk("c", "C", date=date(2024, 2, 10)),
    ]
    assert [t.key for t in _ctx(Library(talks=talks)).talks] == ["c", "b", "a"]


def test_group_by_year_and_type() -> None:
    works = [
        Work("j", "article", "J", year=2023, kind="journal"),
        Work("c1", "inproceedings", "C1", year=2024, kind="conference"),
        Work("p", "misc", "P", year=2024, kind="preprint"),
        Work("c2", "inproceedings", "C2", year=2022, kind="conference"),
    ]
    by_year = _ctx(Library(works=works), group_by="year").publication_groups
    assert [(g.title, [p.key for p in g.items]) for g in by_year] == [
        ("2024", ["c1", "p"]),
        ("2023", ["j"]),
        ("2022", ["c2"]),
    ]
    by_type = _ctx(Library(works=works), group_by="type").publication_groups
    assert [(g.title, [p.key for p in g.items]) for g in by_type] == [
        ("Conference papers", ["c1", "c2"]),
        ("Journal articles", ["j"]),
        ("Preprints", ["p"]),
    ]
    # Numbers run down the page across groups.
    assert [p.number for g in by_type for p in g.items] == [1, 2, 3, 4]
    md = render_library(
        Library(works=works), RenderOptions(group_by="type"), owner_names=["Zihang Liu"]
    )
    assert "### Conference papers\n\n1. **C1**" in md and "### Preprints\n\n4. **P**" in md


def test_selected_only(render_example: Library) -> None:
    ctx = _ctx(render_example, selected=True)
    assert [p.key for p in ctx.publications] == ["liu2024modelbalancing"]


def test_venue_lines() -> None:
    abbr = Work("a", "inproceedings", "T", year=2024, venue="EMNLP", fields={"abbr": "EMNLP"})
    full = Work("b", "article", "T", year=2021, venue="Journal of Things")
    arxiv = Work("c", "misc", "T", year=2022, kind="preprint", ids=Identifiers(arxiv="2210.05278"))
    biorxiv = Work("d", "misc", "T", year=2023, kind="preprint", venue="bioRxiv")
    no_year = Work("e", "article", "T", venue="Somewhere")
    assert venue_lines(abbr) == ("EMNLP 2024", "EMNLP 2024")
    assert venue_lines(full) == ("Journal of Things, 2021", "Journal of Things, 2021")
    assert venue_lines(arxiv) == ("arXiv preprint, 2022", "arXiv 2022")
    assert venue_lines(biorxiv) == ("bioRxiv preprint, 2023", "bioRxiv 2023")
    assert venue_lines(no_year) == ("Somewhere", "Somewhere")


def _counts() -> StoredData:
    def c(source: str, n: int, when: str) -> CitationCount:
        return CitationCount("k", source, n, when)

    return StoredData(
        citations={
            "k": {
                "openalex": c("openalex", 39, "2026-11-28T01:00:00Z"),
                "google_scholar": c("google_scholar", 135, "2026-11-01T01:00:00Z"),
                "semantic_scholar": c("semantic_scholar", 97, "2026-11-28T02:00:00Z"),
            }
        }
    )


def test_citation_source_preference_default_and_configured() -> None:
    library = Library(works=[Work("k", "article", "T", year=2020)])
    options = RenderOptions(format="md")
    out = render_library(library, options, owner_names=[], stored=_counts())
    assert (
        "Cited by 97 (Semantic Scholar, 28 Nov 2026) · OpenAlex 39 · "
        "Google Scholar 135 (1 Nov 2026)"
    ) in out
    out = render_library(
        library,
        options,
        owner_names=[],
        stored=_counts(),
        settings=RenderSettings(citation_source="google_scholar", other_sources=False),
    )
    assert "Cited by 135 (Google Scholar, 1 Nov 2026)\n" in out
    assert "OpenAlex" not in out


def test_no_counts_no_cited_by_line(render_example: Library) -> None:
    out = render_library(render_example, RenderOptions(), owner_names=["Zihang Liu"])
    assert "Cited by" not in out
