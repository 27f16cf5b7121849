"""Citation time series for display: daily totals and the top papers for
`pubtrack plot`, and the per-paper sparklines render shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pubtrack import metrics
from pubtrack.sources.registry import registry
from pubtrack.stats import build_stats

if TYPE_CHECKING:
    from pubtrack.db import Store


@dataclass
class Timeline:
    """Daily figures for drawing: totals per source and the top papers' counts."""

    totals: dict[str, list[tuple[str, int]]]  # source -> [(day, total)]
    papers: dict[str, list[tuple[str, int]]]  # key -> [(day, count)] for `paper_source`
    paper_source: str | None
    titles: dict[str, str]
    per_year: dict[str, dict[int, int]]  # source -> {year: citations}
    per_year_basis: dict[str, str | None]


def build_timeline(store: Store, *, source: str | None = None, top: int = 5) -> Timeline:
    """Totals over time per source (carried forward per day) and the ``top`` papers
    of the source with the most citations (or of ``source``).

    Every figure comes from the database's own queries: the totals from
    ``daily_totals`` (``Store.daily_totals``), each paper's days from
    ``daily_citations`` (``Store.daily_counts``), per year from ``citations_per_year``
    (through the stats report); nothing is recomputed here."""
    report = build_stats(store, source=source)
    daily = store.daily_totals(source)
    totals: dict[str, list[tuple[str, int]]] = {
        src: [(day, total) for day, _works, total in daily[src]]
        for src in report.sources
        if daily.get(src)
    }
    with_counts = [s for s in report.sources.values() if s.works]
    # Top papers from the source with the longest recorded history, then the most citations.
    main = max(
        with_counts,
        key=lambda s: (len(totals.get(s.source, [])), s.total_citations or 0),
        default=None,
    )
    papers: dict[str, list[tuple[str, int]]] = {}
    if main is not None:
        keys = [paper.key for paper in main.papers[:top]]
        papers = store.daily_counts(main.source, keys)
        papers = {key: papers[key] for key in keys}  # the report's order: most cited first
    return Timeline(
        totals=totals,
        papers=papers,
        paper_source=main.source if main else None,
        titles={p["key"]: p["title"] or "" for p in store.publication_list()},
        per_year={
            s: r.citations_per_year for s, r in report.sources.items() if r.citations_per_year
        },
        per_year_basis={s: r.citations_per_year_basis for s, r in report.sources.items()},
    )


def paper_sparklines(
    store: Store, *, source: str | None = None, points: int = 12
) -> dict[str, str]:
    """{key: "▁▂▅█"}: each work's last ``points`` daily counts as a text sparkline.

    For the Markdown render (no image file needed). ``source`` defaults to the
    source with the longest recorded history; a work needs two days to get one.
    The counts come from one query (``Store.recent_daily_counts``), not from the
    whole history.
    """
    if source is None:
        days = {
            src: len({ts[:10] for ts in times})
            for src, (_ids, times) in store.check_times().items()
        }
        present = store.sources_with_counts()
        days = {src: n for src, n in days.items() if src in present}
        if not days:
            return {}
        order = {name: -i for i, name in enumerate(registry().citation_sources)}
        # the longest history; on a tie the first in the usual column order
        source = max(sorted(days), key=lambda s: (days[s], order.get(s, -99)))
    return {
        key: metrics.sparkline(values)
        for key, values in store.recent_daily_counts(source, points).items()
        if len(values) >= 2
    }
