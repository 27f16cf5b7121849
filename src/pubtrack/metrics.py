"""Bibliometric figures as pure functions: no database, no clock, no I/O.

Everything here takes plain numbers or ``(retrieved_at, count)`` series so the
same figures can be computed for any source and checked by hand in tests.
Each figure has one implementation: totals, h-, g- and i10-index are SQL
(``db.figures_sql``: the ``source_totals`` view, and ``Store.figures_of`` for
any other snapshot, e.g. a sync's before and after or the `changes` cutoff);
what is here works on citation series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# A citation series: (ISO-8601 UTC timestamp, count), oldest first.
Series = Sequence[tuple[str, int]]

# Two sources "disagree strongly" on a paper when the larger count is more
# than DISAGREEMENT_RATIO times the smaller AND at least DISAGREEMENT_MIN_DIFF
# higher: small counts (2 vs 4) differ by chance, large ones by policy.
DISAGREEMENT_RATIO = 1.5
DISAGREEMENT_MIN_DIFF = 5

SPARK_BARS = "▁▂▃▄▅▆▇█"


def count_at(series: Series, when: str) -> int | None:
    """The count as last recorded at or before ``when``; None if nothing was recorded yet."""
    value: int | None = None
    for retrieved_at, count in series:
        if retrieved_at <= when:
            value = count
        else:
            break
    return value


def change_since(series: Series, when: str) -> int | None:
    """Latest count minus the count at ``when``; None when there was no count then.

    "No count a week ago" is unknown, not zero: the paper was not tracked yet.
    """
    if not series:
        return None
    before = count_at(series, when)
    if before is None:
        return None
    return series[-1][1] - before


def daily_last(series: Series) -> list[tuple[str, int]]:
    """The last count of each day: ``[("2026-11-20", 12), ...]``."""
    days: dict[str, int] = {}
    for retrieved_at, count in series:
        days[retrieved_at[:10]] = count
    return sorted(days.items())


def totals_by_day(all_series: Iterable[Series]) -> list[tuple[str, int, int]]:
    """``(day, works, total)`` for every day any paper was recorded.

    Each paper counts with its latest count on or before that day (carried
    forward), so a day on which only some papers were fetched still shows the
    whole total. Mirrors the ``daily_totals`` view.
    """
    events: dict[str, list[tuple[int, int]]] = {}
    for index, series in enumerate(all_series):
        for day, count in daily_last(series):
            events.setdefault(day, []).append((index, count))
    current: dict[int, int] = {}
    total = 0
    out: list[tuple[str, int, int]] = []
    for day in sorted(events):
        for index, count in events[day]:
            total += count - current.get(index, 0)
            current[index] = count
        out.append((day, len(current), total))
    return out


@dataclass(frozen=True)
class Disagreement:
    """Sources that count one paper very differently."""

    high_source: str
    high: int
    low_source: str
    low: int

    @property
    def ratio(self) -> float | None:
        return self.high / self.low if self.low else None


def disagreement(
    counts: Mapping[str, int],
    *,
    ratio: float = DISAGREEMENT_RATIO,
    min_diff: int = DISAGREEMENT_MIN_DIFF,
) -> Disagreement | None:
    """The highest and lowest source when they disagree strongly, else None.

    Strongly: high > ratio × low and high − low ≥ min_diff (a zero low counts
    as infinitely far apart once the difference is big enough).
    """
    if len(counts) < 2:
        return None
    ordered = sorted(counts.items(), key=lambda kv: (kv[1], kv[0]))
    low_source, low = ordered[0]
    high_source, high = ordered[-1]
    if high - low < min_diff:
        return None
    if low > 0 and high <= ratio * low:
        return None
    return Disagreement(high_source, high, low_source, low)


def sparkline(values: Sequence[int | float | None]) -> str:
    """A tiny text chart, e.g. ``sparkline([1, 5, 9]) == "▁▄█"``.

    Scaled from the smallest to the largest value; a flat series is all
    ``▁``; a missing value (None) is a space. Meant for Markdown output, where
    an image would need a file next to the page.
    """
    known = [float(v) for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    top = len(SPARK_BARS) - 1
    chars = []
    for value in values:
        if value is None:
            chars.append(" ")
        elif span == 0:
            chars.append(SPARK_BARS[0])
        else:
            chars.append(SPARK_BARS[round((float(value) - low) / span * top)])
    return "".join(chars)


def format_change(change: int | None) -> str:
    """'+3', '-1', '0', or '–' when unknown."""
    if change is None:
        return "–"
    return f"+{change}" if change > 0 else str(change)
