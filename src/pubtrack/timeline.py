"""Citation time series for display: daily totals and the top papers for
`pubtrack plot`, and the per-paper sparklines render shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pubtrack import metrics
from pubtrack.db import Store
from pubtrack.sources.registry import registry

if TYPE_CHECKING:
    pass
from pubtrack.stats import _build_stats, _History


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
    of the source with the most citations (or of ``source``)."""
    hist = _History.load(store, source=source)
    report = _build_stats(hist, source=source, now=None)
    totals: dict[str, list[tuple[str, int]]] = {}
    for src in report.sources:
        series = [hist.plain(k, s) for k, s in sorted(hist.series) if s == src]
        if series:
            totals[src] = [(day, total) for day, _, total in metrics.totals_by_day(series)]
    with_counts = [s for s in report.sources.values() if s.works]
    # Top papers from the source with the longest recorded history, then the most citations.
    main = max(
        with_counts,
        key=lambda s: (len(totals.get(s.source, [])), s.total_citations or 0),
        default=None,
    )
    papers: dict[str, list[tuple[str, int]]] = {}
    if main is not None:
        for paper in main.papers[:top]:
            papers[paper.key] = metrics.daily_last(hist.plain(paper.key, main.source))
    return Timeline(
        totals=totals,
        papers=papers,
        paper_source=main.source if main else None,
        titles=hist.titles,
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
    """
    hist = _History.load(store, source=source)
    days: dict[str, set[str]] = {}
    for (_key, src), rows in hist.series.items():
        days.setdefault(src, set()).update(ts[:10] for ts, _, _ in rows)
    if source is None:
        if not days:
            return {}
        order = {name: -i for i, name in enumerate(registry().citation_sources)}
        # the longest history; on a tie the first in the usual column order
        source = max(sorted(days), key=lambda s: (len(days[s]), order.get(s, -99)))
    out: dict[str, str] = {}
    for key, src in sorted(hist.series):
        if src != source:
            continue
        values = [count for _, count in metrics.daily_last(hist.plain(key, src))][-points:]
        if len(values) >= 2:
            out[key] = metrics.sparkline(values)
    return out
