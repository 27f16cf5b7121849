"""Citation time series for display: daily totals and the top papers for
`pubtrack plot`, and the per-paper sparklines render shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pubtrack import metrics
from pubtrack.sources.registry import registry
from pubtrack.stats import _Checks, _grouped, build_stats

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
    of the source with the most citations (or of ``source``)."""
    report = build_stats(store, source=source)
    checks = _Checks(store)
    series: dict[str, list[list[tuple[str, int]]]] = {}
    wanted: dict[str, list[tuple[str, int]]] = {}
    for key, src, spans in _grouped(store.iter_spans(source=source)):
        plain = checks.series(src, spans)
        series.setdefault(src, []).append(metrics.daily_last(plain))
        wanted[f"{src}\0{key}"] = plain
    totals: dict[str, list[tuple[str, int]]] = {}
    for src in report.sources:
        if series.get(src):
            totals[src] = [(day, total) for day, _, total in metrics.totals_by_day(series[src])]
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
            papers[paper.key] = metrics.daily_last(wanted.get(f"{main.source}\0{paper.key}", []))
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
        checks = _Checks(store)
        days = {
            src: len({ts[:10] for ts in times}) for src, (_ids, times) in checks.by_source.items()
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
