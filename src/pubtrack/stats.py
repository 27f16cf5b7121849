"""Reports over the citation history: `pubtrack stats`, `history`, `changes`, `badge`.

Data comes from the Store (no SQL here), figures from ``metrics`` (pure
functions), and each report knows how to print itself as text or JSON so the
CLI stays a parse-call-print layer. Only works in the bib as parsed now count
(``open_store``), except for ``history KEY`` which also shows a removed work's
history.
"""

from __future__ import annotations

import json
import re
import textwrap
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING, Any

from pubtrack import metrics
from pubtrack.db import Store, utcnow_datetime
from pubtrack.errors import BadInputError, DatabaseError, PubtrackError, StorageError
from pubtrack.sources.registry import registry

if TYPE_CHECKING:
    from pubtrack.config import Config

# Sources that count citations, in the order columns are shown.
WEEK = timedelta(days=7)
MONTH = timedelta(days=30)

BASIS_TEXT = {
    "history": "pubtrack's own history (increase within each calendar year)",
    "counts_by_year": "the source's per-year counts",
    "counts_by_year+history": "the source's per-year counts, else pubtrack's history",
    "profile": "the Scholar profile's cites_per_year (all works on the profile)",
}


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _when(ts: str | None) -> str:
    """'2026-11-20 03:00' from an ISO timestamp (UTC)."""
    if not ts:
        return "–"
    return f"{ts[:10]} {ts[11:16]}".strip()


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def bib_keys(config: Config) -> list[str]:
    """The keys of the works in the bib as it is now (the parse cache makes a
    repeated call cheap)."""
    from pubtrack.bibtex import load_library

    return [work.key for work in load_library(config).works]


@contextmanager
def open_store(
    config: Config, *, keys: list[str] | None = None, follow_bib: bool = True
) -> Iterator[Store]:
    """The project database, opened read-only: reading never changes it, and a
    read-only file or directory works.

    Which works count comes from the parsed bib (as for render), not from the
    database's copy of the last sync: an entry removed since stops counting at
    once, without a write. ``keys`` passes keys already read; ``follow_bib=False``
    (one work's history, which shows removed works too) skips reading the bib."""
    path = config.database_path
    if not path.exists():
        raise DatabaseError(f"{path}: no database yet (run `pubtrack sync` first)")
    if follow_bib and keys is None:
        keys = bib_keys(config)
    store = Store.open_readonly(path, timeout=10.0)
    try:
        if follow_bib and keys is not None:
            store.count_only(keys)
        yield store
    except StorageError as exc:
        why = exc.message.removeprefix(f"{path}: ")
        raise DatabaseError(
            f"{path}: cannot read the database: {why} (an older pubtrack's database is "
            "upgraded by `pubtrack sync`)"
        ) from None
    finally:
        store.close()


# ---------------------------------------------------------------------------
# Loading the history once
# ---------------------------------------------------------------------------


@dataclass
class _History:
    """What the reports need besides the counts: titles, years, per-year counts and
    profiles (all bounded by the number of works). The counts themselves stream
    from the Store (``Store.iter_spans``, ``Store.paper_counts``), never held whole."""

    titles: dict[str, str]
    years: dict[str, int | None]
    counts_by_year: dict[tuple[str, str], dict[int, int]]
    profiles: dict[str, dict[str, Any]]
    sources: set[str]

    @classmethod
    def load(cls, store: Store) -> _History:
        pubs = store.publication_list()
        in_bib = {p["key"] for p in pubs}
        cby = {k: v for k, v in store.counts_by_year_all().items() if k[0] in in_bib}
        return cls(
            titles={p["key"]: p["title"] or "" for p in pubs},
            years={p["key"]: p["year"] for p in pubs},
            counts_by_year=cby,
            profiles=store.latest_profiles(),
            sources=store.sources_with_counts(),
        )

    def sources_present(self) -> set[str]:
        return self.sources | {s for _, s in self.counts_by_year}


class _Checks:
    """The times of every check, per source (one per source and sync: small).

    A stored span stands for the checks of its source from ``first_check`` to
    ``last_check``; these expand it into those checks' times.
    """

    def __init__(self, store: Store) -> None:
        self.by_source = store.check_times()

    def times(self, source: str, first: int, last: int) -> list[str]:
        ids, times = self.by_source[source]
        return times[bisect_left(ids, first) : bisect_right(ids, last)]


def _source_rank(source: str) -> tuple[int, str]:
    """Column order: the registry's citation sources, then others by name."""
    order = registry().citation_sources
    return (order.index(source) if source in order else len(order)), source


def _check_source(source: str | None, present: set[str]) -> None:
    if source is not None and source not in registry() and source not in present:
        known = ", ".join(registry().citation_sources)
        raise BadInputError(f"unknown source {source!r} (known: {known})")


def _report_sources(source: str | None, present: set[str]) -> list[str]:
    if source is not None:
        return [source]
    listed = registry().citation_sources
    extra = sorted(present - set(listed) - set(registry().names))  # sources no longer installed
    return [*listed, *extra]


# ---------------------------------------------------------------------------
# stats
# ---------------------------------------------------------------------------


@dataclass
class PaperStats:
    key: str
    title: str
    year: int | None
    count: int
    influential: int | None
    retrieved_at: str
    change_week: int | None
    change_month: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "year": self.year,
            "count": self.count,
            "influential": self.influential,
            "retrieved_at": self.retrieved_at,
            "change_7d": self.change_week,
            "change_30d": self.change_month,
        }


@dataclass
class SourceStats:
    source: str
    works: int = 0
    total_citations: int | None = None
    h_index: int | None = None
    g_index: int | None = None
    i10_index: int | None = None
    influential_citations: int | None = None
    citations_per_year: dict[int, int] = field(default_factory=dict)
    citations_per_year_basis: str | None = None
    last_retrieved_at: str | None = None
    papers: list[PaperStats] = field(default_factory=list)
    profile: dict[str, Any] | None = None

    @property
    def has_data(self) -> bool:
        return self.works > 0 or bool(self.citations_per_year) or self.profile is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "works": self.works,
            "total_citations": self.total_citations,
            "h_index": self.h_index,
            "g_index": self.g_index,
            "i10_index": self.i10_index,
            "influential_citations": self.influential_citations,
            "citations_per_year": {str(y): n for y, n in sorted(self.citations_per_year.items())},
            "citations_per_year_basis": self.citations_per_year_basis,
            "last_retrieved_at": self.last_retrieved_at,
            "papers": [p.to_dict() for p in self.papers],
            "profile": self.profile,
        }


@dataclass
class DisagreementRow:
    key: str
    title: str
    counts: dict[str, int]
    high_source: str
    high: int
    low_source: str
    low: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "counts": self.counts,
            "high": {"source": self.high_source, "count": self.high},
            "low": {"source": self.low_source, "count": self.low},
        }

    def text(self) -> str:
        ratio = f" ({self.high / self.low:.1f}×)" if self.low else ""
        return f"{self.key}: {self.high_source} {self.high} vs {self.low_source} {self.low}{ratio}"


@dataclass
class StatsReport:
    generated_at: str
    sources: dict[str, SourceStats]
    disagreements: list[DisagreementRow]
    works_in_bib: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": {name: s.to_dict() for name, s in self.sources.items()},
            "disagreements": [d.to_dict() for d in self.disagreements],
            "works_in_bib": self.works_in_bib,
            "generated_at": self.generated_at,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def format_text(self) -> str:
        return "\n".join(_format_stats(self))


def build_stats(
    store: Store, *, source: str | None = None, now: datetime | None = None
) -> StatsReport:
    """Per-source figures over the latest counts of the works in the bib.

    Reads O(works) rows: the latest value of each work (an indexed table), its
    count a week and a month ago (index lookups), and the per-year view.
    """
    hist = _History.load(store)
    moment = now or utcnow_datetime()
    present = hist.sources_present() | set(hist.profiles)
    _check_source(source, present)
    week_ago, month_ago = _ts(moment - WEEK), _ts(moment - MONTH)
    report = StatsReport(
        generated_at=_ts(moment), sources={}, disagreements=[], works_in_bib=len(hist.titles)
    )
    papers: dict[str, list[PaperStats]] = {}
    latest: dict[str, dict[str, int]] = {}
    for key, src, count, influential, ts, week, month in store.paper_counts(
        week_ago, month_ago, source=source
    ):
        papers.setdefault(src, []).append(
            PaperStats(
                key=key,
                title=hist.titles.get(key, ""),
                year=hist.years.get(key),
                count=count,
                influential=influential,
                retrieved_at=ts,
                change_week=None if week is None else count - week,
                change_month=None if month is None else count - month,
            )
        )
        latest.setdefault(key, {})[src] = count
    totals = store.source_totals(source)
    per_year: dict[str, list[dict[str, Any]]] = {}
    for row in store.citations_per_year(source):
        per_year.setdefault(row["source"], []).append(row)
    for src in _report_sources(source, present):
        stats = SourceStats(src)
        stats.papers = papers.get(src, [])
        figures = totals.get(src)
        if stats.papers and figures is not None:
            # The source_totals view computes them (one implementation, in SQL).
            stats.works = figures["works"]
            stats.total_citations = figures["total_citations"]
            stats.h_index = figures["h_index"]
            stats.g_index = figures["g_index"]
            stats.i10_index = figures["i10_index"]
            stats.influential_citations = figures["influential_citations"]
            stats.last_retrieved_at = figures["last_retrieved_at"]
        stats.papers.sort(key=lambda p: (-p.count, p.key))
        rows = per_year.get(src, [])
        stats.citations_per_year = {r["year"]: r["citations"] for r in rows}
        bases = {part for r in rows for part in r["basis"].split("+")}
        stats.citations_per_year_basis = "+".join(sorted(bases)) if bases else None
        profile = hist.profiles.get(src)
        if profile is not None:
            stats.profile = {
                "profile_id": profile["profile_id"],
                "name": profile["name"],
                "total_citations": profile["total_citations"],
                "h_index": profile["h_index"],
                "i10_index": profile["i10_index"],
                "retrieved_at": profile["retrieved_at"],
            }
        report.sources[src] = stats
    for key in sorted(latest):
        found = metrics.disagreement(latest[key])
        if found:
            report.disagreements.append(
                DisagreementRow(
                    key=key,
                    title=hist.titles.get(key, ""),
                    counts=dict(sorted(latest[key].items())),
                    high_source=found.high_source,
                    high=found.high,
                    low_source=found.low_source,
                    low=found.low,
                )
            )
    return report


def _table(rows: list[list[str]], *, left: int = 1) -> list[str]:
    """Columns padded to their widest cell; the first ``left`` columns left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            cell.ljust(widths[i]) if i < left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _num(value: int | None) -> str:
    return "–" if value is None else str(value)


def _format_stats(report: StatsReport) -> list[str]:
    sources = list(report.sources.values())
    lines = [
        f"Citations of the {report.works_in_bib} works in the bib "
        f"(as of {_when(report.generated_at)} UTC)",
        "",
    ]
    rows = [["", *(s.source for s in sources)]]
    rows.append(["works", *(str(s.works) if s.works else "–" for s in sources)])
    for label, attr in (
        ("citations", "total_citations"),
        ("h-index", "h_index"),
        ("g-index", "g_index"),
        ("i10-index", "i10_index"),
        ("influential", "influential_citations"),
    ):
        rows.append([label, *(_num(getattr(s, attr)) for s in sources)])
    rows.append(
        [
            "last fetched",
            *(s.last_retrieved_at[:10] if s.last_retrieved_at else "–" for s in sources),
        ]
    )
    lines += _table(rows)
    for s in sources:
        if s.profile:
            p = s.profile
            lines.append(
                f"{registry().label(s.source)} profile {p['profile_id']} (all works on "
                f"the profile): {_num(p['total_citations'])} citations, h-index "
                f"{_num(p['h_index'])}, i10-index {_num(p['i10_index'])} "
                f"({(p['retrieved_at'] or '')[:10]})"
            )
    if not any(s.works for s in sources):
        lines += ["", "No citation counts recorded yet: run `pubtrack sync`."]
        return lines

    with_years = [s for s in sources if s.citations_per_year]
    if with_years:
        years = sorted({y for s in with_years for y in s.citations_per_year})
        lines += ["", "Citations per year"]
        rows = [["year", *(s.source for s in with_years)]]
        for year in years:
            rows.append([str(year), *(_num(s.citations_per_year.get(year)) for s in with_years)])
        lines += _table(rows)
        for s in with_years:
            basis = s.citations_per_year_basis or ""
            lines.append(f"  {s.source}: {BASIS_TEXT.get(basis, basis)}")

    lines += ["", "Papers (count, change in the last 7 and 30 days, influential citations)"]
    by_key: dict[str, list[tuple[str, PaperStats]]] = {}
    for s in sources:
        for paper in s.papers:
            by_key.setdefault(paper.key, []).append((s.source, paper))
    order = sorted(by_key, key=lambda k: (-max(e.count for _, e in by_key[k]), k))
    rows = [["", "count", "7 days", "30 days", "influential"]]
    titles: dict[int, str] = {}
    for key in order:
        entries = by_key[key]
        titles[len(rows)] = f"{key}  {_short(entries[0][1].title, 60)}"
        rows.append(["", "", "", "", ""])
        for src, paper in entries:
            rows.append(
                [
                    f"  {src}",
                    str(paper.count),
                    metrics.format_change(paper.change_week),
                    metrics.format_change(paper.change_month),
                    _num(paper.influential),
                ]
            )
    table = _table(rows)
    for i, line in enumerate(table):
        lines.append(titles.get(i, line))

    if report.disagreements:
        lines += ["", "Sources disagree strongly on:"]
        lines += [f"  {d.text()}" for d in report.disagreements]
    return lines


def stats_report(config: Config, *, source: str | None = None) -> StatsReport:
    with open_store(config) as store:
        return build_stats(store, source=source)


# ---------------------------------------------------------------------------
# history
# ---------------------------------------------------------------------------


@dataclass
class HistoryRow:
    retrieved_at: str
    source: str
    count: int
    change: int | None
    influential: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "retrieved_at": self.retrieved_at,
            "source": self.source,
            "count": self.count,
            "change": self.change,
            "influential": self.influential,
        }


@dataclass
class PaperHistory:
    key: str
    title: str
    rows: list[HistoryRow]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "history": [r.to_dict() for r in self.rows]}


@dataclass
class HistoryReport:
    """Printed paper by paper: memory holds one work's history, never the whole."""

    generated_at: str
    papers_source: Callable[[], Iterator[PaperHistory]]

    @property
    def papers(self) -> list[PaperHistory]:
        return list(self.papers_source())

    def iter_json(self) -> Iterator[str]:
        """The JSON document in pieces (the same text as one json.dumps, indent 2)."""
        papers = self.papers_source()
        first = next(papers, None)
        if first is None:
            yield json.dumps({"papers": [], "generated_at": self.generated_at}, indent=2)
            return
        yield '{\n  "papers": [\n'
        current = first
        for paper in papers:
            yield _indented(current) + ",\n"
            current = paper
        yield _indented(current) + "\n"
        yield f'  ],\n  "generated_at": {json.dumps(self.generated_at)}\n}}'

    def to_json(self) -> str:
        return "".join(self.iter_json())

    def iter_text(self) -> Iterator[str]:
        """One block per paper, separated by blank lines."""
        empty = True
        for paper in self.papers_source():
            lines = [] if empty else [""]
            empty = False
            lines.append(f"{paper.key}  {_short(paper.title, 70)}")
            rows = [
                [
                    f"  {_when(r.retrieved_at)}",
                    r.source,
                    str(r.count),
                    "" if r.change is None else metrics.format_change(r.change),
                ]
                for r in paper.rows
            ]
            lines += _table(rows, left=2)
            yield "\n".join(lines)
        if empty:
            yield "No citation counts recorded yet: run `pubtrack sync`."

    def format_text(self) -> str:
        return "\n".join(self.iter_text())


def _indented(paper: PaperHistory) -> str:
    return textwrap.indent(json.dumps(paper.to_dict(), indent=2, ensure_ascii=False), "    ")


def build_history(
    store: Store, *, key: str | None = None, source: str | None = None
) -> HistoryReport:
    """Every recorded check, grouped by paper, then source, oldest first.

    Streams the spans of one work at a time (``KEY`` reads only that work's
    rows) and expands them into their checks.
    """
    if key is not None and not store.known_publication(key):
        raise BadInputError(f"no publication with key {key!r} in the database")
    unknown = source is not None and source not in registry()
    if unknown and not any(store.iter_spans(key=key, source=source, in_bib_only=key is None)):
        _check_source(source, set())
    if key is not None:  # one work: read only its rows
        titles = {key: store.publication_title(key) or ""}
    else:
        titles = {p["key"]: p["title"] or "" for p in store.publication_list(include_removed=True)}
    checks = _Checks(store)

    def papers() -> Iterator[PaperHistory]:
        spans = store.iter_spans(key=key, source=source, in_bib_only=key is None)
        for pkey, group in groupby(spans, key=lambda r: r[0]):
            per_source: dict[str, list[tuple[Any, ...]]] = {}
            for row in group:
                per_source.setdefault(row[1], []).append(row)
            rows: list[HistoryRow] = []
            for src in sorted(per_source, key=_source_rank):
                before: int | None = None
                for span in per_source[src]:
                    for ts in checks.times(src, span[6], span[7]):
                        rows.append(
                            HistoryRow(
                                retrieved_at=ts,
                                source=src,
                                count=span[2],
                                change=None if before is None else span[2] - before,
                                influential=span[3],
                            )
                        )
                        before = span[2]
            yield PaperHistory(pkey, titles.get(pkey, ""), rows)

    return HistoryReport(generated_at=_ts(utcnow_datetime()), papers_source=papers)


def history_report(
    config: Config, *, key: str | None = None, source: str | None = None
) -> HistoryReport:
    """The report reads the database while it is printed (one work at a time).
    One work's history needs no bib (a removed work keeps its history)."""
    follow_bib = key is None
    keys = bib_keys(config) if follow_bib else None
    with open_store(config, keys=keys, follow_bib=follow_bib) as store:
        report = build_history(store, key=key, source=source)  # checks key and source

    def papers() -> Iterator[PaperHistory]:
        with open_store(config, keys=keys, follow_bib=follow_bib) as store:
            yield from build_history(store, key=key, source=source).papers_source()

    report.papers_source = papers
    return report


# ---------------------------------------------------------------------------
# changes (for notifications from the scheduled job)
# ---------------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def parse_since(text: str, now: datetime) -> datetime:
    """'7d', '12h' (before now) or an ISO date/time ('2026-11-01')."""
    from pubtrack.config import parse_duration

    if _DATE.match(text.strip()):
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            raise BadInputError(f"--since {text!r}: not a date (e.g. 2026-11-01 or 7d)") from None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    try:
        return now - timedelta(seconds=parse_duration(text))
    except PubtrackError:
        raise BadInputError(
            f"--since {text!r}: use a duration (7d, 12h, 2w) or a date (2026-11-01)"
        ) from None


@dataclass
class CountChange:
    source: str
    before: int | None  # None: first recorded within the window
    after: int
    first_recorded: str = ""  # when before is None: the first record in the window

    @property
    def delta(self) -> int:
        return self.after - (self.before or 0)

    def text(self) -> str:
        if self.before is None:
            return f"{self.source} now {self.after} (tracked since {self.first_recorded[:10]})"
        return f"{self.source} {metrics.format_change(self.delta)} (now {self.after})"


@dataclass
class PaperChange:
    key: str
    title: str
    changes: list[CountChange]


@dataclass
class ChangesReport:
    since: str
    generated_at: str
    papers: list[PaperChange]
    h_index: dict[str, tuple[int | None, int]]  # source -> (before, after), changed only

    @property
    def empty(self) -> bool:
        return not self.papers and not self.h_index

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for paper in self.papers:
            for c in paper.changes:
                if c.before is not None:
                    out[c.source] = out.get(c.source, 0) + c.delta
        return dict(sorted(out.items(), key=lambda kv: _source_rank(kv[0])))

    def to_json(self) -> str:
        data = {
            "since": self.since,
            "generated_at": self.generated_at,
            "papers": [
                {
                    "key": p.key,
                    "title": p.title,
                    "changes": {
                        c.source: {
                            "before": c.before,
                            "after": c.after,
                            "change": None if c.before is None else c.delta,
                        }
                        for c in p.changes
                    },
                }
                for p in self.papers
            ],
            "h_index": {s: {"before": b, "after": a} for s, (b, a) in self.h_index.items()},
            "new_citations": self.totals(),
        }
        return json.dumps(data, indent=2, ensure_ascii=False)

    def format_text(self) -> str:
        if self.empty:
            return f"No changes since {_when(self.since)} UTC."
        lines = [f"Changes since {_when(self.since)} UTC:"]
        for paper in self.papers:
            what = ", ".join(c.text() for c in paper.changes)
            lines.append(f"- {_short(paper.title, 60) or paper.key} ({paper.key}): {what}")
        for src, (before, after) in self.h_index.items():
            was = "–" if before is None else str(before)
            lines.append(f"- h-index ({src}): {was} → {after}")
        totals = self.totals()
        if totals:
            lines.append(
                "New citations: "
                + ", ".join(f"{s} {metrics.format_change(n)}" for s, n in totals.items())
            )
        return "\n".join(lines)


def build_changes(store: Store, *, since: str, now: datetime | None = None) -> ChangesReport:
    """What moved between ``since`` and now, per paper and source, plus h-index.

    O(works): each work's latest value and its count at ``since`` are index lookups.
    """
    moment = now or utcnow_datetime()
    cutoff = _ts(parse_since(since, moment))
    titles = {p["key"]: p["title"] or "" for p in store.publication_list()}
    papers: dict[str, PaperChange] = {}
    before_counts: dict[str, list[int]] = {}
    after_counts: dict[str, list[int]] = {}
    for key, group in groupby(store.counts_at(cutoff), key=lambda r: r[0]):
        for _key, src, after, last_ts, before, first_after in sorted(
            group, key=lambda r: _source_rank(r[1])
        ):
            if before is not None:
                before_counts.setdefault(src, []).append(before)
            after_counts.setdefault(src, []).append(after)
            if last_ts <= cutoff or before == after:
                continue  # nothing recorded since, or the count did not move
            paper = papers.setdefault(key, PaperChange(key, titles.get(key, ""), []))
            # first_after: the first change after the cutoff; when there was no
            # count before it (the only case it is shown), that is the first check.
            paper.changes.append(CountChange(src, before, after, first_recorded=first_after or ""))
    # The h-index of both snapshots: the source_totals view's query (figures_of).
    then_figures = store.figures_of((s, n) for s, ns in before_counts.items() for n in ns)
    now_figures = store.figures_of((s, n) for s, ns in after_counts.items() for n in ns)
    h_changes: dict[str, tuple[int | None, int]] = {}
    for src in sorted(after_counts, key=_source_rank):
        old = then_figures[src]["h_index"] if src in before_counts else None
        new = now_figures[src]["h_index"]
        if old != new:
            h_changes[src] = (old, new)
    return ChangesReport(
        since=cutoff, generated_at=_ts(moment), papers=list(papers.values()), h_index=h_changes
    )


def changes_report(config: Config, *, since: str) -> ChangesReport:
    with open_store(config) as store:
        return build_changes(store, since=since)
