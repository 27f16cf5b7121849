"""`pubtrack plot`: citations over time and citations per year, as SVG or PNG.

matplotlib is an optional extra (``pubtrack[plot]``), imported only here and
only when a plot is asked for. We draw on a bare ``Figure`` (Agg canvas, no
pyplot), so nothing needs a display and no global state leaks between calls.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.errors import BadInputError, OptionalDependencyError, PubtrackError
from pubtrack.stats import open_store
from pubtrack.timeline import Timeline, build_timeline
from pubtrack.util import write_atomic

if TYPE_CHECKING:
    from pubtrack.config import Config

FORMATS = {".svg": "svg", ".png": "png"}


def _matplotlib() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        raise OptionalDependencyError("pubtrack plot", "plot") from None
    return Figure


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def render_timeline(timeline: Timeline, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes: citations over time (top), per year (bottom)."""
    figure_cls = _matplotlib()
    from matplotlib import dates as mdates

    fig = figure_cls(figsize=(9, 7.5), layout="constrained")
    over_time, per_year = fig.subplots(2, 1, height_ratios=[3, 2])

    for src, points in timeline.totals.items():
        days = [_day(d) for d, _ in points]
        over_time.plot(
            days, [n for _, n in points], marker="o", linewidth=2, label=f"{src} (total)"
        )
    for key, points in timeline.papers.items():
        days = [_day(d) for d, _ in points]
        title = _short(timeline.titles.get(key, "") or key)
        over_time.plot(days, [n for _, n in points], linestyle="--", marker=".", label=title)
    over_time.set_title("Citations over time")
    if timeline.paper_source:
        over_time.set_title(
            f"Citations over time (dashed: top papers on {timeline.paper_source})", fontsize=11
        )
    over_time.set_ylabel("citations")
    over_time.grid(True, alpha=0.3)
    if timeline.totals:
        over_time.legend(fontsize=8, loc="best")
    locator = mdates.AutoDateLocator()
    over_time.xaxis.set_major_locator(locator)
    over_time.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))

    sources = list(timeline.per_year)
    years = sorted({y for s in sources for y in timeline.per_year[s]})
    width = 0.8 / max(1, len(sources))
    for i, src in enumerate(sources):
        xs = [y + (i - (len(sources) - 1) / 2) * width for y in years]
        basis = timeline.per_year_basis.get(src) or ""
        per_year.bar(
            xs,
            [timeline.per_year[src].get(y, 0) for y in years],
            width=width,
            label=f"{src} ({basis})" if basis else src,
        )
    per_year.set_title("Citations per year", fontsize=11)
    per_year.set_ylabel("citations")
    if years:
        per_year.set_xticks(years, [str(y) for y in years])
        per_year.legend(fontsize=8, loc="upper left")
    per_year.grid(True, axis="y", alpha=0.3)

    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=120)
    return buffer.getvalue()


def plot_project(
    config: Config, output: str | Path, *, top: int = 5, source: str | None = None
) -> Path:
    """Write the plot to ``output`` (.svg or .png), atomically; returns the path."""
    path = Path(output)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInputError(f"{path}: the plot is written as .svg or .png")
    _matplotlib()  # fail before reading anything when the extra is missing
    with open_store(config) as store:
        timeline = build_timeline(store, source=source, top=top)
    if not timeline.totals and not timeline.per_year:
        raise PubtrackError("no citation counts recorded yet: run `pubtrack sync` first")
    write_atomic(path, render_timeline(timeline, fmt), make_parents=True)
    return path
