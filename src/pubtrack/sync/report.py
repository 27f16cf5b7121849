"""What a sync run reports: events for the progress display, per-source and
run reports, and the printed summary (`format_summary`, `source_line`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pubtrack.errors import (
    EXIT_OK,
    EXIT_PARTIAL,
)
from pubtrack.models import (
    CitationCount,
)
from pubtrack.sources.registry import registry

if TYPE_CHECKING:
    from pubtrack.db import Store


# The summary lists at most this many papers by name.
SUMMARY_PAPERS = 8


@dataclass
class SyncEvent:
    """Progress for whoever draws it (a bar on a terminal, a log line otherwise).

    kinds: 'start' (message, sources), 'source_start' (source, total),
    'batch' (source, done, total, requests), 'source_end' (source, report),
    'notice' (message), 'warning' (message), 'wait' (message).
    """

    kind: str
    source: str = ""
    done: int = 0
    total: int = 0
    requests: int = 0
    message: str = ""
    report: SourceReport | None = None


@dataclass
class CitationChange:
    key: str
    title: str
    source: str
    before: int | None
    after: int

    @property
    def delta(self) -> int:
        return self.after - (self.before or 0)


@dataclass
class HeldDrop:
    """A count held back as implausible: stored in held_citations, not published."""

    key: str
    title: str
    source: str
    before: int
    after: int
    reason: str


@dataclass
class SourceReport:
    """One source in one run."""

    name: str
    skipped: str | None = None  # why it did not run
    due: int = 0  # works selected (with or without an id this source can use)
    planned_requests: int = 0  # estimate (dry run)
    found: int = 0
    not_found: int = 0
    unresolved: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # keys whose fetch failed
    errors: list[str] = field(default_factory=list)  # distinct messages
    requests: int = 0
    seconds: float = 0.0
    due_keys: list[str] = field(default_factory=list)
    held: list[HeldDrop] = field(default_factory=list)  # sharp drops not published
    # Answers about another work (key, why) and records with impossible values:
    # nothing of them is stored; the works keep their earlier values.
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return registry().label(self.name)

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        if self.failed:
            return "failed" if not (self.found or self.not_found) else "partial"
        if self.conflicts or self.rejected:
            return "partial"
        return "ok"


@dataclass
class SyncReport:
    """Everything the summary and the exit code need."""

    run_id: int | None
    works: int
    sources: list[SourceReport]
    dry_run: bool = False
    updated: list[str] = field(default_factory=list)
    changes: list[CitationChange] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    duration: float = 0.0
    # {source: (h-index before the run or None, after)} where it moved
    h_index_changes: dict[str, tuple[int | None, int]] = field(default_factory=dict)

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status in ("failed", "partial")]

    @property
    def unresolved(self) -> list[str]:
        """Works some source could not identify and no source found this run."""
        keys = {k for s in self.sources for k in s.unresolved}
        return sorted(keys - set(self.updated))

    @property
    def held(self) -> list[HeldDrop]:
        return [h for s in self.sources for h in s.held]

    @property
    def exit_code(self) -> int:
        """0, or 3 when any source failed or a sharp drop was held (what succeeded is
        stored, earlier values kept)."""
        return EXIT_PARTIAL if self.failed_sources or self.held else EXIT_OK

    @property
    def status(self) -> str:
        if self.dry_run:
            return "dry-run"
        if not self.failed_sources:
            return "partial" if self.held else "ok"
        ran = [s for s in self.sources if not s.skipped]
        return "failed" if all(s.status == "failed" for s in ran) else "partial"

    @property
    def requests(self) -> dict[str, int]:
        return {s.name: s.requests for s in self.sources if not s.skipped}

    def summary_lines(self) -> list[str]:
        return format_summary(self)


Progress = Callable[[SyncEvent], None]


def _changes(
    before: dict[str, dict[str, CitationCount]],
    after: dict[tuple[str, str], int],
    titles: dict[str, str],
) -> tuple[list[CitationChange], int]:
    """One line per paper: the preferred source's new count against its previous one."""
    by_key: dict[str, dict[str, int]] = {}
    for (key, source), count in after.items():
        by_key.setdefault(key, {})[source] = count
    changes: list[CitationChange] = []
    unchanged = 0
    for key, counts in by_key.items():
        # The count the summary quotes: the first citation source (listing order) present.
        source = next((s for s in registry().citation_sources if s in counts), sorted(counts)[0])
        previous = before.get(key, {}).get(source)
        change = CitationChange(
            key, titles.get(key, key), source, previous.count if previous else None, counts[source]
        )
        if change.before is not None and change.delta == 0:
            unchanged += 1
        else:
            changes.append(change)
    changes.sort(key=lambda c: (-abs(c.delta), c.key))
    return changes, unchanged


def _h_index_changes(
    store: Store,
    before: dict[str, dict[str, CitationCount]],
    new_counts: dict[tuple[str, str], int],
    in_bib: set[str],
) -> dict[str, tuple[int | None, int]]:
    """Per source, the h-index of the works in the bib before and after this run
    (``Store.figures_of``: the source_totals view's query over both snapshots)."""
    old: dict[str, dict[str, int]] = {}
    for key, per_source in before.items():
        if key in in_bib:
            for source, count in per_source.items():
                old.setdefault(source, {})[key] = count.count
    new: dict[str, dict[str, int]] = {}
    for source in sorted({s for _, s in new_counts}):
        new[source] = dict(old.get(source, {}))
        new[source].update(
            {k: n for (k, s), n in new_counts.items() if s == source and k in in_bib}
        )
    was_figures = store.figures_of((s, n) for s in new if s in old for n in old[s].values())
    now_figures = store.figures_of((s, n) for s, counts in new.items() for n in counts.values())
    moved: dict[str, tuple[int | None, int]] = {}
    for source in new:
        was = was_figures[source]["h_index"] if source in old else None
        now = now_figures[source]["h_index"] if source in now_figures else 0
        if was != now:
            moved[source] = (was, now)
    return moved


def scrub(text: str) -> str:
    """API keys never reach a message, a log line or the database (in any spelling)."""
    from pubtrack.sources.http import redact

    return redact(text)


def _short(title: str, width: int = 28) -> str:
    title = " ".join(title.split())
    return title if len(title) <= width else title[: width - 1].rstrip() + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_summary(report: SyncReport) -> list[str]:
    """The lines printed after a run (or instead of it, for a dry run)."""
    lines: list[str] = []
    if report.dry_run:
        lines.append(f"Dry run: nothing is sent and nothing is written ({report.works} works).")
        for s in report.sources:
            if s.skipped:
                lines.append(f"  {s.name:<17} skipped: {s.skipped}")
                continue
            keys = ", ".join(s.due_keys[:6]) + (" …" if len(s.due_keys) > 6 else "")
            lines.append(
                f"  {s.name:<17} {_plural(s.due, 'work')} due, "
                f"{_plural(s.planned_requests, 'request')}" + (f": {keys}" if keys else "")
            )
        return lines

    ran = [s for s in report.sources if not s.skipped]
    if ran and not any(s.due for s in ran):
        lines.append("Nothing to fetch: every work is fresh (--all fetches them anyway).")
    else:
        lines.append(f"Updated {_plural(len(report.updated), 'work')}.")
    if report.changes or report.unchanged:
        parts = []
        for change in report.changes[:SUMMARY_PAPERS]:
            if change.before is None:
                parts.append(f"{_short(change.title)} now {change.after} (first count)")
            else:
                parts.append(f"{_short(change.title)} {change.delta:+d} (now {change.after})")
        more = len(report.changes) - SUMMARY_PAPERS
        if more > 0:
            parts.append(f"{more} more changed")
        if report.unchanged:
            parts.append(f"{report.unchanged} no change")
        lines.append("Citations: " + " · ".join(parts))
    if report.h_index_changes:
        lines.append(
            "h-index: "
            + " · ".join(
                f"{registry().label(s)} {'–' if was is None else was} → {now}"
                for s, (was, now) in report.h_index_changes.items()
            )
        )
    unresolved = report.unresolved
    if unresolved:
        names = ", ".join(unresolved[:10]) + (" …" if len(unresolved) > 10 else "")
        lines.append(f"Unresolved (no id and no confident title match): {names}")
    for a, b, reason in report.duplicates:
        lines.append(f"Duplicate: {a} and {b} look like the same work ({reason}); not merged")
    held = report.held
    if held:
        shown = "; ".join(
            f"{registry().label(h.source)} {_short(h.title or h.key)} {h.before} → {h.after}"
            for h in held[:SUMMARY_PAPERS]
        )
        rest = f"; {len(held) - SUMMARY_PAPERS} more" if len(held) > SUMMARY_PAPERS else ""
        lines.append(
            f"Held: {_plural(len(held), 'sharp drop')} not published ({shown}{rest}); "
            "the last good values stay. `pubtrack sync --accept-drops` stores them if genuine."
        )
    for s in report.sources:
        for key, why in s.conflicts[:SUMMARY_PAPERS]:
            lines.append(
                f"Conflict: {s.name} answered about another work for {key} ({why}); "
                "nothing stored, earlier values kept"
            )
        if len(s.conflicts) > SUMMARY_PAPERS:
            lines.append(f"Conflict: {s.name}: {len(s.conflicts) - SUMMARY_PAPERS} more")
        for key, why in s.rejected[:SUMMARY_PAPERS]:
            lines.append(f"Rejected: {s.name} record for {key}: {why}; earlier values kept")
        if len(s.rejected) > SUMMARY_PAPERS:
            lines.append(f"Rejected: {s.name}: {len(s.rejected) - SUMMARY_PAPERS} more")
    for s in report.failed_sources:
        if not s.failed:
            continue  # only conflicts or rejected records: said above
        lines.append(
            f"Failed: {s.name}: {'; '.join(s.errors) or 'failed'} "
            f"({_plural(len(s.failed), 'work')} kept "
            f"{'its' if len(s.failed) == 1 else 'their'} earlier values)"
        )
    failures = len(report.failed_sources)
    lines.append(
        f"Done in {report.duration:.1f} s. {len(unresolved)} unresolved, "
        f"{_plural(failures, 'failure')}."
        + (" Some sources failed; what succeeded is stored." if failures else "")
    )
    return lines


def source_line(report: SourceReport) -> str:
    """A log line for one source (when stderr is not a terminal)."""
    if report.skipped:
        return f"{report.name}: skipped: {report.skipped}"
    text = (
        f"{report.name}: {_plural(report.due, 'work')}, {_plural(report.requests, 'request')}, "
        f"{report.found} found, {report.not_found} not found, "
        f"{len(report.unresolved)} unresolved, {len(report.failed)} failed "
        f"({report.seconds:.1f} s)"
    )
    if report.errors:
        text += f": {'; '.join(report.errors)}"
    return text
