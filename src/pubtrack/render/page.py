"""`render --format html --standalone`: one self-contained page for a homepage.

No CDN, no web font, no external request: CSS, a little JavaScript and the
SVG charts are inline. Without JavaScript the page is the full list (the
filter controls stay hidden and the BibTeX sits in a ``<details>``). The
template is ``templates/page.html.j2``; the data it needs beyond the usual
context (each paper's count history, citations per year) comes from
:func:`load_series`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from pubtrack.models import Work, plain
from pubtrack.render.context import KIND_LABELS, PublicationView, RenderContext, source_label

if TYPE_CHECKING:
    from pubtrack.db import Store

# Fields a site or pubtrack reads that mean nothing to someone citing the paper.
_PRIVATE_FIELDS = {
    "abbr",
    "selected",
    "bibtex_show",
    "preview",
    "code",
    "slides",
    "poster",
    "video",
    "award",
    "award_name",
    "google_scholar_id",
    "semantic_scholar",
    "s2_id",
    "openalex",
    "altmetric",
    "dimensions",
    "html",
    "website",
    "blog",
    "supp",
    "annotation",
    "comment",
    "file",
    "owner",
    "timestamp",
    "abstract",
    "pubtrack",
    "crossref",
}
SPARK_POINTS = 30  # changes of count shown per paper


def load_series(store: Store) -> dict[str, Any]:
    """Each paper's recent changes of count per source, and citations per year per source.

    Both come from the database's own queries: the change points from the
    ``daily_citations`` view's query (``Store.recent_change_points``: each work's
    last ``SPARK_POINTS`` days on which its count moved, a night that fetched the
    same count adds nothing), the years from the ``citations_per_year`` view's
    query (what `pubtrack stats` reports; not the whole stats report). A database
    that cannot be read raises ``StorageError``, which render turns into its
    warning (or error with --output).
    """
    from pubtrack.sources.registry import registry

    papers = {
        key: {source: [[day, count] for day, count in points] for source, points in per.items()}
        for key, per in store.recent_change_points(SPARK_POINTS).items()
    }
    by_source: dict[str, dict[int, int]] = {}
    for row in store.citations_per_year():
        by_source.setdefault(row["source"], {})[row["year"]] = row["citations"]
    reg = registry()  # sources in listing order, as stats lists them
    per_year = {s: by_source[s] for s in sorted(by_source, key=lambda s: (reg.rank(s), s))}
    return {"papers": papers, "per_year": per_year}


def clean_bibtex(work: Work) -> str:
    """The entry as the bib has it (macros and crossref resolved), without the fields
    only a website or pubtrack reads."""
    lines = [f"@{work.entry_type}{{{work.key},"]
    for name, value in work.fields.items():
        if name.lower() in _PRIVATE_FIELDS or name.startswith("_"):
            continue
        text = " ".join(str(value).split())
        lines.append(f"  {name} = {{{text}}},")
    lines.append("}")
    return "\n".join(lines)


def sparkline_svg(points: list[list[Any]], label: str) -> Markup:
    """A 64×16 inline SVG line of the counts (two points at least), with a text alternative."""
    values = [int(c) for _, c in points]
    if len(values) < 2:
        return Markup("")
    low, high = min(values), max(values)
    span = (high - low) or 1
    step = 62 / (len(values) - 1)
    coords = " ".join(
        f"{1 + i * step:.1f},{15 - (v - low) * 14 / span:.1f}" for i, v in enumerate(values)
    )
    title = f"{label}: {values[0]} on {points[0][0]} to {values[-1]} on {points[-1][0]}"
    return Markup(
        '<svg class="spark" width="64" height="16" viewBox="0 0 64 16" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<polyline points="{coords}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        "</svg>"
    )


def year_chart_svg(per_year: dict[int, int], label: str) -> Markup:
    """Bars of citations per year, labelled, with each value in a <title>."""
    if not per_year:
        return Markup("")
    years = sorted(per_year)[-12:]
    high = max(per_year[y] for y in years) or 1
    width = 34 * len(years) + 8
    parts = [
        f'<svg class="chart" width="{width}" height="120" viewBox="0 0 {width} 120" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    ]
    for i, year in enumerate(years):
        n = per_year[year]
        h = round(80 * n / high)
        x = 8 + i * 34
        parts.append(
            f'<g><title>{year}: {n}</title><rect x="{x}" y="{96 - h}" width="26" height="{h}" '
            f'rx="2"/><text x="{x + 13}" y="{92 - h}" text-anchor="middle">{n}</text>'
            f'<text x="{x + 13}" y="112" text-anchor="middle">{year}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _search_text(p: PublicationView) -> str:
    names = " ".join(a.name for a in p.authors if not a.is_ellipsis)
    all_names = " ".join(a.display for a in p.work.authors)
    text = " ".join((plain(p.title), plain(p.venue_line), names, all_names, p.kind))
    return re.sub(r"\s+", " ", text).lower()


def _as_of(ctx: RenderContext) -> list[tuple[str, str]]:
    """[("Semantic Scholar", "28 Nov 2026"), …]: the newest count of each source."""
    newest: dict[str, tuple[str, str]] = {}
    for p in ctx.publications:
        for source, c in p.citations.items():
            if c.as_of > newest.get(source, ("", ""))[0]:
                newest[source] = (c.as_of, c.date)  # c.date: as coarse as the page's dates
    order = [s for p in ctx.publications for s in p.citations]
    seen = list(dict.fromkeys(order))
    return [(source_label(s), newest[s][1]) for s in seen]


def render_page(ctx: RenderContext) -> str:
    from pubtrack.render.base import render_template
    from pubtrack.render.formats import FORMATS

    series = ctx.extra.get("series") or {}
    papers = series.get("papers", {})
    items = []
    for p in ctx.publications:
        source = p.citation.source if p.citation else None
        points = papers.get(p.key, {}).get(source, []) if source else []
        items.append(
            {
                "p": p,
                "text": _search_text(p),
                "cites": p.citation.count if p.citation else 0,
                "date": "{:04d}-{:02d}-{:02d}".format(*p.work.sort_date),
                "spark": sparkline_svg(points, f"{plain(p.title)[:60]}, citations"),
                "bibtex": clean_bibtex(p.work),
            }
        )
    per_year_all = series.get("per_year", {})
    # The source with the most years of data (OpenAlex's counts_by_year reach back
    # before the first sync); on a tie, the one "Cited by" shows.
    main = [p.citation.source for p in ctx.publications if p.citation]
    chart_source = max(
        per_year_all,
        key=lambda s: (len(per_year_all[s]), s in main, -main.index(s) if s in main else 0),
        default=None,
    )
    chart = Markup("")
    if chart_source:
        label = f"Citations per year ({source_label(chart_source)})"
        chart = year_chart_svg(per_year_all[chart_source], label)
    years = sorted({p.year for p in ctx.publications if p.year}, reverse=True)
    kinds = [(k, KIND_LABELS[k]) for k in KIND_LABELS if any(p.kind == k for p in ctx.publications)]
    context = {
        **ctx.as_dict(),
        "items": items,
        "chart": chart,
        "as_of": _as_of(ctx),
        "years": years,
        "kinds": kinds,
        "has_selected": any(p.selected for p in ctx.publications),
        "title": f"{ctx.owner}: publications and talks" if ctx.owner else "Publications and talks",
    }
    text = render_template(
        FORMATS["html"], context, style="default", template=None, name="page.html.j2"
    )
    return text.strip("\n") + "\n"
