"""What is computed over counts already read: pure functions, no database, no clock.

Each citation metric has one implementation, and it is SQL in ``db.py`` (what the
README's views show): totals, h-, g- and i10-index (``db.figures_sql``: the
``source_totals`` view, and ``Store.figures_of`` for any other snapshot, e.g. a
sync's before and after or the `changes` cutoff), citations per year
(``citations_per_year_sql``), daily totals (``daily_totals_sql``), each work's
daily counts (the ``daily_citations`` view) and its change over 7 and 30 days
(``Store.paper_counts``). What is here compares and displays those numbers:
whether sources disagree, a sparkline, a signed change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Two sources "disagree strongly" on a paper when the larger count is more
# than DISAGREEMENT_RATIO times the smaller AND at least DISAGREEMENT_MIN_DIFF
# higher: small counts (2 vs 4) differ by chance, large ones by policy.
DISAGREEMENT_RATIO = 1.5
DISAGREEMENT_MIN_DIFF = 5

SPARK_BARS = "▁▂▃▄▅▆▇█"


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
