"""One `pubtrack sync` run: bib -> works -> ids -> batched fetch -> history.

The run, in order:

1. take the project lock (``lock.py``): two syncs never interleave;
2. load the bib files and mirror them to the database;
3. for each source, in an order where earlier sources teach later ones ids
   (arXiv reports the journal DOI of a preprint, Semantic Scholar its external
   ids), pick the works that are due (never fetched, older than ``max_age``,
   last attempt failed, or ids changed in the bib), fetch them in batches of
   ``source.batch_size``, and store the source's answers in ONE transaction;
   then a catch-up pass for ids a later source taught an earlier one;
4. write a ``sync_runs`` row (and the optional history file) and return a
   ``SyncReport`` the CLI prints.

Never losing data is the point of most of the code: a failed batch marks only
its works as failed (``save_source_error`` keeps their data and fetched_at),
a failure is never stored as a count, and a source's results are committed
together or not at all, so a sync killed at any moment leaves a consistent
database whose next run picks up where this one stopped.

The library never prints: progress reaches the CLI as ``SyncEvent``s.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import errno
import io
import math
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack import metrics
from pubtrack.db import Store, utcnow, utcnow_datetime
from pubtrack.errors import (
    EXIT_OK,
    EXIT_PARTIAL,
    BadInputError,
    DatabaseError,
    PubtrackError,
    SourceError,
)
from pubtrack.identity import find_duplicate_works, id_keys, merged_ids
from pubtrack.lock import ProjectLock, lock_path_for
from pubtrack.models import (
    SOURCE_LABELS,
    SOURCE_NAMES,
    CitationCount,
    Identifiers,
    Problem,
    Work,
    plain,
)
from pubtrack.sources.base import Source, SourceResult, WorkRef, available_sources
from pubtrack.util import write_atomic
from pubtrack.verify import verify

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.models import Library

# Sources that teach ids run first: arXiv reports `doi`/`journal_ref` of the
# published version, Semantic Scholar its externalIds; OpenAlex and Crossref
# then find the published version by DOI in the same run.
SOURCE_ORDER = ("arxiv", "semantic_scholar", "openalex", "crossref", "google_scholar")
# Which source's count the summary quotes for a paper (the first one present).
SUMMARY_PREFERENCE = ("semantic_scholar", "openalex", "crossref", "google_scholar")
# After this many failed batches in a row (each already retried by the HTTP
# layer), the source is considered down: its remaining works are marked failed
# without sending more requests, so a dead API costs minutes, not hours.
MAX_CONSECUTIVE_FAILURES = 2
# The summary lists at most this many papers by name.
SUMMARY_PAPERS = 8
SECRET_ENV = ("S2_API_KEY", "OPENALEX_API_KEY")


# --------------------------------------------------------------------------
# What the run reports
# --------------------------------------------------------------------------


@dataclass
class SyncOptions:
    """The knobs of one run (the CLI flags)."""

    sources: list[str] | None = None  # None: config.sources
    all: bool = False  # ignore freshness
    max_age: float | None = None  # seconds; None: config.max_age
    dry_run: bool = False
    wait: float | None = None  # lock wait in seconds; None: config.lock_timeout
    # The citation history as a small CSV (for CI runners that start empty):
    # read to rebuild an empty database, rewritten after the run.
    history_file: str | None = None  # None: [sync] history_file, "" : none
    # Store sharp drops as the latest value instead of holding them (None: [sync] accept_drops).
    accept_drops: bool | None = None
    # --relearn [KEY...]: forget learned ids (of these keys; () = every work) and
    # fetch those works again, so ids are rebuilt from the bib. None: keep them.
    relearn: tuple[str, ...] | None = None


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
        return SOURCE_LABELS.get(self.name, self.name)

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


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------

Progress = Callable[[SyncEvent], None]


def run_sync(
    config: Config,
    options: SyncOptions | None = None,
    *,
    progress: Progress | None = None,
    library: Library | None = None,
    source_classes: dict[str, type[Source]] | None = None,
    http: Any = None,
) -> SyncReport:
    """Sync the project's works; return the report (the caller maps it to an exit code).

    ``library``, ``source_classes`` and ``http`` are for tests and embedding;
    by default the bib files, the registered sources and one ``HttpClient``.
    """
    options = options or SyncOptions()
    emit = progress or (lambda event: None)
    started = time.monotonic()
    classes = source_classes if source_classes is not None else available_sources()
    names = select_sources(config, options.sources, classes)
    if library is None:
        from pubtrack.bibtex import load_library

        library = load_library(config)
    problems = [str(p) for p in library.problems]
    for problem in problems:
        emit(SyncEvent("warning", message=problem))
    unknown = [k for k in options.relearn or () if k not in {w.key for w in library.works}]
    if unknown:
        raise BadInputError(f"--relearn: no publication with the key {unknown[0]!r} in the bib")
    max_age = config.max_age if options.max_age is None else options.max_age

    own_http = False
    if http is None:
        from pubtrack.sources.http import HttpClient

        http = HttpClient(config)
        own_http = True
    try:
        sources = _instantiate(names, classes, config, http)
        if options.dry_run:
            return _dry_run(config, library, sources, max_age, options, emit, started, problems)
        wait = config.lock_timeout if options.wait is None else options.wait
        lock = ProjectLock(
            lock_path_for(config.database_path),
            timeout=wait,
            on_wait=lambda msg: emit(SyncEvent("wait", message=msg)),
        )
        history = history_path(config, options.history_file)
        with (
            _storage_errors(config.database_path),
            lock,
            Store.open(config.database_path, timeout=max(1.0, wait)) as store,
        ):
            if history is not None and history.exists() and store.citation_rows() == 0:
                rows = import_history(store, history)
                emit(
                    SyncEvent("notice", message=f"Rebuilt the history from {history} ({rows} rows)")
                )
            options = dataclasses.replace(
                options, accept_drops=accept_drops_setting(config, options.accept_drops)
            )
            report = _run(store, library, sources, max_age, options, emit, http)
            report.problems = problems
            report.duration = time.monotonic() - started
            store.finish_run(
                report.run_id or 0,
                status=report.status,
                updated=len(report.updated),
                requests=report.requests,
                errors={s.name: "; ".join(s.errors) for s in report.sources if s.errors},
                duration_seconds=report.duration,
            )
            conflicts = sum(len(s.conflicts) for s in report.sources)
            if conflicts and report.run_id:
                store.set_run_conflicts(report.run_id, conflicts)
            if history is not None:
                export_history(store, history)
            return report
    finally:
        if own_http:
            http.close()


@contextlib.contextmanager
def _storage_errors(path: Path) -> Any:
    """SQLite and file-system failures during a sync as one clear error line.

    The transaction of the source being stored is rolled back by then; what
    earlier sources committed stays (each source is one transaction).
    """
    try:
        yield
    except sqlite3.Error as exc:
        from pubtrack.db import explain

        raise DatabaseError(f"{path}: {explain(exc)}; nothing more was written") from None
    except OverflowError as exc:
        raise DatabaseError(f"{path}: a value too large for the database: {exc}") from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            why = "the disk is full (or a file-size limit was hit)"
        else:
            why = exc.strerror or str(exc)
        where = exc.filename or path
        raise DatabaseError(f"{where}: {why}; nothing more was written") from None


def select_sources(
    config: Config, requested: list[str] | None, classes: dict[str, type[Source]]
) -> list[str]:
    """The sources to run, in id-teaching order; unknown names are a usage error."""
    known = list(dict.fromkeys([*SOURCE_NAMES, *classes]))
    wanted = list(dict.fromkeys(requested or config.sources))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise BadInputError(f"unknown source {unknown[0]!r} (known: {', '.join(known)})")
    rank = {name: i for i, name in enumerate(SOURCE_ORDER)}
    return sorted(wanted, key=lambda n: rank.get(n, len(SOURCE_ORDER)))


class _Unavailable(Source):
    """Stands in for a source whose module is missing (an extra not installed)."""

    name = "unavailable"
    label = "unavailable"

    def __init__(self, name: str, reason: str) -> None:
        self.name = name  # type: ignore[misc]
        self.reason = reason
        self.batch_size = 1
        self.min_interval = 0.0

    def skip_reason(self) -> str | None:
        return self.reason

    def lookup_id(self, work: WorkRef) -> str | None:  # pragma: no cover - never called
        return None

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:  # pragma: no cover
        return []


def _instantiate(
    names: list[str], classes: dict[str, type[Source]], config: Config, http: Any
) -> list[Source]:
    out: list[Source] = []
    for name in names:
        cls = classes.get(name)
        if cls is None:
            extra = " (pip install 'pubtrack[scholar]')" if name == "google_scholar" else ""
            out.append(_Unavailable(name, f"not installed{extra}"))
            continue
        try:
            out.append(cls(config, http))
        except PubtrackError as exc:
            out.append(_Unavailable(name, exc.message))
    return out


def _refs(
    library: Library, learned: dict[str, list[dict[str, Any]]]
) -> tuple[dict[str, WorkRef], list[dict[str, Any]]]:
    """WorkRefs with the bib's ids plus the learned ids worth using (bib wins), and
    the learned rows to drop (contradicted by the bib or by two other sources)."""
    from pubtrack.verify import choose_learned

    rank = {name: i for i, name in enumerate(SOURCE_ORDER)}
    refs: dict[str, WorkRef] = {}
    dropped: list[dict[str, Any]] = []
    for work in library.works:
        bib = {k: v for k, v in work.ids.as_dict().items() if v}
        chosen, drop = choose_learned(bib, learned.get(work.key, []), rank)
        dropped += drop
        refs[work.key] = _ref(work, merged_ids(work.ids, chosen))
    return refs, dropped


def _rank(source: str) -> int:
    return SOURCE_ORDER.index(source) if source in SOURCE_ORDER else len(SOURCE_ORDER)


def _ref(work: Work, ids: dict[str, str]) -> WorkRef:
    identifiers = Identifiers(
        arxiv=ids.get("arxiv"),
        doi=ids.get("doi"),
        semantic_scholar=ids.get("semantic_scholar") or work.ids.semantic_scholar,
        openalex=ids.get("openalex") or work.ids.openalex,
        corpus_id=ids.get("corpus_id") or work.ids.corpus_id,
        acl=work.ids.acl,
    )
    return WorkRef(
        key=work.key,
        ids=identifiers,
        title=plain(work.title),
        authors=[a.display for a in work.authors if not a.is_others],
        year=work.year,
    )


def _learn(ref: WorkRef, result: SourceResult) -> None:
    """Ids a source reported fill the gaps of the ref (for the sources after it)."""
    ids = merged_ids(ref.ids, result.external_ids)
    for kind, value in ids.items():
        if getattr(ref.ids, kind, None) is None:
            setattr(ref.ids, kind, value)


def bib_fingerprint(ids: Any) -> str:
    """The ids the bib gives a work, as one string: a change means 'look it up again'."""
    return " ".join(sorted(f"{kind}:{value}" for kind, value in id_keys(ids)))


def _is_due(
    record: dict[str, Any] | None,
    fingerprint: str,
    cutoff: str,
    everything: bool,
    now: str | None = None,
) -> bool:
    if everything or not record or not record.get("fetched_at"):
        return True
    if record["fetched_at"] <= cutoff or record.get("last_error"):
        return True  # stale, or the last attempt failed: try again
    if now is not None and record["fetched_at"] > now:
        return True  # "fetched" in the future (clock skew, a bad PUBTRACK_NOW): never fresh
    # The user added or changed an id in the bib since: look the work up again.
    previous = (record.get("data") or {}).get("bib_ids")
    return previous is not None and previous != fingerprint


def _plan(
    source: Source,
    refs: dict[str, WorkRef],
    records: dict[str, dict[str, Any]],
    cutoff: str,
    everything: bool,
    fingerprints: dict[str, str],
) -> tuple[list[tuple[WorkRef, str]], list[WorkRef]]:
    """(works to fetch by id, works without an id this source can use), all due."""
    now = utcnow()
    with_id: list[tuple[WorkRef, str]] = []
    without: list[WorkRef] = []
    for ref in refs.values():
        if not _is_due(
            records.get(ref.key), fingerprints.get(ref.key, ""), cutoff, everything, now
        ):
            continue
        lookup = source.lookup_id(ref)
        if lookup is None:
            without.append(ref)
        else:
            with_id.append((ref, lookup))
    return with_id, without


def _resolves(source: Source) -> bool:
    return type(source).resolve_unidentified is not Source.resolve_unidentified


def _estimate(source: Source, with_id: int, without: int) -> int:
    batch = max(1, source.batch_size)
    return math.ceil(with_id / batch) + (without if _resolves(source) else 0)


def _cutoff(max_age: float) -> str:
    # The same clock as the stored timestamps, so PUBTRACK_NOW simulates days.
    moment = utcnow_datetime() - timedelta(seconds=max(0.0, max_age))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dry_run(
    config: Config,
    library: Library,
    sources: list[Source],
    max_age: float,
    options: SyncOptions,
    emit: Progress,
    started: float,
    problems: list[str],
) -> SyncReport:
    """What a sync would fetch; sends nothing and writes nothing (not even sync_runs)."""
    records: dict[str, dict[str, dict[str, Any]]] = {}
    learned: dict[str, list[dict[str, Any]]] = {}
    if config.database_path.exists():
        store = Store.open_readonly(config.database_path)
        try:
            records = store.all_source_records()
            with contextlib.suppress(Exception):  # a database from before learned_ids
                learned = store.learned_ids()
        finally:
            store.close()
    refs, _ = _refs(library, learned)
    cutoff = _cutoff(max_age)
    reports = []
    for source in sources:
        report = SourceReport(source.name)
        reports.append(report)
        reason = source.skip_reason()
        if reason:
            report.skipped = reason
            continue
        per_source = {k: v[source.name] for k, v in records.items() if source.name in v}
        fingerprints = {w.key: bib_fingerprint(w.ids) for w in library.works}
        with_id, without = _plan(source, refs, per_source, cutoff, options.all, fingerprints)
        resolves = _resolves(source)
        report.due_keys = [r.key for r, _ in with_id] + (
            [r.key for r in without] if resolves else []
        )
        report.due = len(report.due_keys)
        report.planned_requests = _estimate(source, len(with_id), len(without))
    return SyncReport(
        run_id=None,
        works=len(library.works),
        sources=reports,
        dry_run=True,
        problems=problems,
        duration=time.monotonic() - started,
    )


def _run(
    store: Store,
    library: Library,
    sources: list[Source],
    max_age: float,
    options: SyncOptions,
    emit: Progress,
    http: Any,
) -> SyncReport:
    store.mark_interrupted_runs()
    store.sync_library(library)
    run_id = store.start_run([s.name for s in sources], len(library.works))
    before = store.latest_citations()
    if options.relearn is not None:
        forget = list(options.relearn) or None
        with store.transaction():
            store.forget_learned_ids(forget)
    records = store.all_source_records()
    if options.relearn is not None:
        # Fetch those works again: their ids are rebuilt from the bib by the answers.
        again = set(options.relearn) or {w.key for w in library.works}
        records = {k: v for k, v in records.items() if k not in again}
    learned_rows = store.learned_ids()
    refs, dropped = _refs(library, learned_rows)
    if dropped:
        with store.transaction():
            for row in dropped:
                store.drop_learned_id(row["publication_key"], row["kind"], row["source"])
        for row in dropped:
            emit(
                SyncEvent(
                    "notice",
                    message=f"{row['publication_key']}: dropped the {row['kind']} "
                    f"{row['value']} {row['source']} taught (the bib or two other sources "
                    "say otherwise)",
                )
            )
    cutoff = _cutoff(max_age)
    titles = {w.key: plain(w.title) for w in library.works}
    bib_keys = {w.key: id_keys(w.ids) for w in library.works}
    fingerprints = {w.key: bib_fingerprint(w.ids) for w in library.works}
    accept_drops = options.accept_drops

    reports: list[SourceReport] = []
    reasons = {s.name: s.skip_reason() for s in sources}
    skipped = [f"{name} skipped: {why}" for name, why in reasons.items() if why]
    running = [name for name, why in reasons.items() if not why]
    head = f"Syncing {len(library.works)} works from {', '.join(running) or 'no source'}"
    if skipped:
        head += f" ({'; '.join(skipped)})"
    emit(SyncEvent("start", message=head))

    updated: set[str] = set()
    new_counts: dict[tuple[str, str], int] = {}
    learned: dict[str, list[dict[str, str]]] = {}
    for rec_key, rows in learned_rows.items():
        for row in rows:
            learned.setdefault(rec_key, []).append({row["kind"]: row["value"]})

    def sync_source(
        source: Source, report: SourceReport, subset: dict[str, WorkRef], emit: Progress
    ) -> list[str]:
        """Fetch, then store in one transaction; the keys this source had no id for."""
        results, failures, no_id = _fetch_source(
            source, subset, records, cutoff, options.all, fingerprints, report, emit, http
        )
        fetched_at = utcnow()
        counts: list[CitationCount] = []
        with store.transaction():
            for result in results.values():
                if result.status in ("conflict", "rejected"):
                    message = str(result.data.get("verdict", result.status))
                    store.save_source_error(result.key, source.name, f"{result.status}: {message}")
                    if result.status == "conflict":
                        store.record_conflict(
                            result.key,
                            source.name,
                            asked=result.data.get("lookup_id"),
                            message=message,
                            detected_at=fetched_at,
                            run_id=run_id,
                        )
                        # Asked with an id a source taught (not the bib's)? That id
                        # led to another paper: drop it, the bib's ids are used next.
                        ref = subset.get(result.key)
                        blamed = ref is not None and result.data.get("blames_id")
                        asked = (
                            source.asked_ids(ref, result.data.get("lookup_id")) if blamed else set()
                        )
                        for kind, value in asked - bib_keys.get(result.key, set()):
                            store.forget_learned_value(result.key, kind, value)
                    continue
                _store_result(store, source, result, fetched_at, counts)
                if result.status == "found":
                    updated.add(result.key)
                    store.clear_conflict(result.key, source.name)
                    if result.external_ids:
                        learned.setdefault(result.key, []).append(result.external_ids)
                        store.learn_ids(
                            result.key,
                            source.name,
                            {k: v for k, v in result.external_ids.items() if isinstance(v, str)},
                            learned_at=fetched_at,
                            run_id=run_id,
                            request=result.data.get("lookup_id"),
                            verified=result.data.get("matched_by") != "title",
                        )
            for key, message in failures.items():
                store.save_source_error(key, source.name, message)
            if not accept_drops:
                counts, held = hold_sharp_drops(counts, store.latest_counts(source.name))
                store.record_held(held, run_id)
                report.held += [
                    HeldDrop(
                        c.publication_key,
                        titles.get(c.publication_key, ""),
                        c.source,
                        before or 0,
                        c.count,
                        reason,
                    )
                    for c, before, reason in held
                ]
            store.record_citations(counts, run_id)
            _store_profile(store, source, fetched_at, run_id)
        for count in counts:
            new_counts[(count.publication_key, count.source)] = count.count
        return no_id

    try:
        no_ids: dict[str, list[str]] = {}
        for source in sources:
            report = SourceReport(source.name)
            reports.append(report)
            reason = reasons[source.name]
            if reason:
                report.skipped = reason  # told once, in the 'start' line
                continue
            no_ids[source.name] = sync_source(source, report, refs, emit)
            emit(
                SyncEvent(
                    "source_end",
                    source=source.name,
                    report=report,
                    done=report.due,
                    total=report.due,
                    requests=report.requests,
                )
            )
        # Catch-up: a later source may have taught an id an earlier one can use
        # (S2's title match finds the arXiv id of an entry that had none). Fetch
        # those now, so that the next sync has nothing left to do.
        for source, report in zip(sources, reports, strict=True):
            if report.skipped or report.status == "failed":
                continue
            late = {k: refs[k] for k in no_ids.get(source.name, []) if source.lookup_id(refs[k])}
            if late:
                sync_source(source, report, late, lambda event: None)
    except BaseException:
        with contextlib.suppress(Exception):
            store.finish_run(
                run_id,
                status="interrupted",
                updated=len(updated),
                requests={r.name: r.requests for r in reports if not r.skipped},
                errors={r.name: "; ".join(r.errors) for r in reports if r.errors},
                duration_seconds=0.0,
            )
        raise

    changes, unchanged = _changes(before, new_counts, titles)
    duplicates = find_duplicate_works(library.works, learned)
    return SyncReport(
        run_id=run_id,
        works=len(library.works),
        sources=reports,
        updated=sorted(updated),
        changes=changes,
        unchanged=unchanged,
        duplicates=duplicates,
        h_index_changes=_h_index_changes(before, new_counts, {w.key for w in library.works}),
    )


def _fetch_source(
    source: Source,
    refs: dict[str, WorkRef],
    records: dict[str, dict[str, dict[str, Any]]],
    cutoff: str,
    everything: bool,
    fingerprints: dict[str, str],
    report: SourceReport,
    emit: Progress,
    http: Any,
) -> tuple[dict[str, SourceResult], dict[str, str], list[str]]:
    """All answers of one source (in memory until its transaction), the failures, and
    the due works it had no id for and could not resolve."""
    started = time.monotonic()
    per_source = {k: v[source.name] for k, v in records.items() if source.name in v}
    with_id, without = _plan(source, refs, per_source, cutoff, everything, fingerprints)
    resolves = _resolves(source)
    total = len(with_id) + (len(without) if resolves else 0)
    report.due += total
    report.due_keys += [r.key for r, _ in with_id] + ([r.key for r in without] if resolves else [])
    report.planned_requests += _estimate(source, len(with_id), len(without))
    emit(SyncEvent("source_start", source=source.name, total=total))

    sent_before = _requests_sent(http, source.name)
    calls = 0
    results: dict[str, SourceResult] = {}
    failures: dict[str, str] = {}
    lookups = {ref.key: lookup for ref, lookup in with_id}
    batch_size = max(1, source.batch_size)
    batches: list[tuple[str, list[WorkRef]]] = [
        ("ids", [ref for ref, _ in with_id[i : i + batch_size]])
        for i in range(0, len(with_id), batch_size)
    ]
    if resolves:
        # One work per call: progress moves, and a failure costs one work, not all.
        batches += [("titles", [ref]) for ref in without]
    done = 0
    consecutive = 0
    for kind, batch in batches:
        if consecutive >= MAX_CONSECUTIVE_FAILURES:
            message = f"{source.name} gave up after {consecutive} failed requests in a row"
            for ref in batch:
                failures[ref.key] = message
            _note_error(report, message)
            done += len(batch)
            continue
        failure: str | None = None
        try:
            calls += 1
            answers = (
                source.fetch_batch(batch) if kind == "ids" else source.resolve_unidentified(batch)
            )
            consecutive = 0
        except SourceError as exc:
            failure = exc.message
        except Exception as exc:  # a bug in a (plugin) source must not stop the run
            if os.environ.get("PUBTRACK_DEBUG", "") not in ("", "0"):
                raise
            failure = f"{source.name} failed: {type(exc).__name__}: {exc}"
        message = ""
        if failure is not None:
            consecutive += 1
            message = scrub(failure)
            for ref in batch:
                failures[ref.key] = message
            _note_error(report, message)
        else:
            by_key = {r.key: r for r in answers if isinstance(r, SourceResult)}
            for ref in batch:
                result = by_key.get(ref.key)
                if result is None:
                    if kind == "titles":
                        continue  # the source could not even try: not its kind of work
                    result = SourceResult(ref.key, "not_found")
                result.data = {**(result.data or {}), "bib_ids": fingerprints.get(ref.key, "")}
                if kind == "ids":
                    result.data["lookup_id"] = lookups.get(ref.key)
                asked = source.asked_ids(ref, lookups.get(ref.key)) if kind == "ids" else set()
                verdict = verify(source.name, ref, asked, result)
                if verdict.status != "ok":
                    # Nothing of it is stored or learned; the work keeps its values.
                    result = SourceResult(
                        ref.key,
                        verdict.status,
                        data={
                            "verdict": verdict.message,
                            "lookup_id": lookups.get(ref.key),
                            "blames_id": verdict.blames_id,
                        },
                    )
                    results[ref.key] = result
                    entry = (ref.key, verdict.message)
                    if verdict.status == "conflict":
                        report.conflicts.append(entry)
                    else:
                        report.rejected.append(entry)
                    continue
                results[ref.key] = result
                if result.status == "found":
                    report.found += 1
                    _learn(ref, result)
                elif result.status == "unresolved":
                    report.unresolved.append(ref.key)
                else:
                    report.not_found += 1
        done += len(batch)
        emit(
            SyncEvent(
                "batch",
                source=source.name,
                done=done,
                total=total,
                requests=_sent(http, source.name, sent_before, calls),
                message=message,
            )
        )
    report.failed = sorted(set(report.failed) | set(failures))
    report.requests += _sent(http, source.name, sent_before, calls)
    report.seconds += time.monotonic() - started
    no_id = [r.key for r in without if r.key not in results and r.key not in failures]
    return results, failures, no_id


def _requests_sent(http: Any, name: str) -> int | None:
    counts = getattr(http, "requests_sent", None)
    if isinstance(counts, dict):
        return int(counts.get(name, 0))
    return None


def _sent(http: Any, name: str, before: int | None, calls: int) -> int:
    """Requests this source sent in this run (the HTTP layer counts retries too)."""
    now = _requests_sent(http, name)
    if now is None or before is None:
        return calls
    return now - before


def _note_error(report: SourceReport, message: str) -> None:
    prefix = f"{report.name}: "
    if message.startswith(prefix):  # the summary names the source already
        message = message[len(prefix) :]
    if message not in report.errors:
        report.errors.append(message)


def _store_result(
    store: Store,
    source: Source,
    result: SourceResult,
    fetched_at: str,
    counts: list[CitationCount],
) -> None:
    """One answer: the record (status, id, metadata), a history row, per-year counts.

    A count is stored only when the source actually gave one: 'not found' or a
    missing count leaves the history (and the last good value) alone.
    """
    # The ids it taught go to learned_ids (with provenance), not into this JSON.
    data = dict(result.data or {})
    store.save_source_record(
        result.key,
        source.name,
        status=result.status,
        external_id=result.external_id,
        # 'not found' / 'unresolved' keep the metadata an earlier 'found' stored.
        data=data if result.status == "found" else None,
        fetched_at=fetched_at,
    )
    if result.status != "found" or not getattr(source, "provides_citations", True):
        return
    count = result.citation_count
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return
    counts.append(
        CitationCount(result.key, source.name, count, fetched_at, influential=result.influential)
    )
    by_year = {
        int(y): int(c)
        for y, c in (result.counts_by_year or {}).items()
        if isinstance(c, int) and not isinstance(c, bool) and c >= 0
    }
    if by_year:
        store.save_counts_by_year(result.key, source.name, by_year, fetched_at)


# A drop is "sharp" (held, not published) when a work loses more than half of its
# count and at least DROP_MIN_LOSS citations, or when every count a source gave
# in one run that was positive before is 0 (the source answered with zeros:
# blocked, broken, or describing nothing). Smaller decreases are normal (sources
# merge duplicates and correct counts) and are stored as usual.
DROP_MIN_LOSS = 5
DROP_MAX_KEPT = 0.5
ZEROED_MIN_WORKS = 2


def hold_sharp_drops(
    counts: list[CitationCount], previous: dict[str, int]
) -> tuple[list[CitationCount], list[tuple[CitationCount, int | None, str]]]:
    """Split one source's new counts into (to store, held as (count, last good, reason))."""
    had = [c for c in counts if previous.get(c.publication_key, 0) > 0]
    zeroed = len(had) >= ZEROED_MIN_WORKS and all(c.count == 0 for c in had)
    keep: list[CitationCount] = []
    held: list[tuple[CitationCount, int | None, str]] = []
    for c in counts:
        before = previous.get(c.publication_key)
        if before is None or c.count >= before:
            keep.append(c)
        elif zeroed and c.count == 0:
            held.append((c, before, "every count of the source dropped to 0"))
        elif before - c.count >= DROP_MIN_LOSS and c.count < before * DROP_MAX_KEPT:
            held.append((c, before, f"lost {before - c.count} of {before} citations"))
        else:
            keep.append(c)
    return keep, held


def accept_drops_setting(config: Config, option: bool | None) -> bool:
    """``--accept-drops``, else ``[sync] accept_drops`` (default false)."""
    if option is not None:
        return option
    section = config.raw.get("sync", {}) if isinstance(config.raw, dict) else {}
    value = section.get("accept_drops", False) if isinstance(section, dict) else False
    if not isinstance(value, bool):
        raise BadInputError(f"[sync] accept_drops = {value!r}: expected true or false")
    return value


def _store_profile(store: Store, source: Source, fetched_at: str, run_id: int) -> None:
    """A profile source (Google Scholar) also reports the profile's own figures."""
    figures_of = getattr(source, "profile_figures", None)
    figures = figures_of() if callable(figures_of) else None
    if figures is None:
        return
    store.record_profile_metrics(
        source.name,
        figures.profile_id,
        retrieved_at=fetched_at,
        name=figures.name,
        total_citations=figures.total_citations,
        h_index=figures.h_index,
        i10_index=figures.i10_index,
        cites_per_year=figures.cites_per_year or None,
        run_id=run_id,
    )


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
        source = next((s for s in SUMMARY_PREFERENCE if s in counts), sorted(counts)[0])
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
    before: dict[str, dict[str, CitationCount]],
    new_counts: dict[tuple[str, str], int],
    in_bib: set[str],
) -> dict[str, tuple[int | None, int]]:
    """Per source, the h-index of the works in the bib before and after this run."""
    old: dict[str, dict[str, int]] = {}
    for key, per_source in before.items():
        if key in in_bib:
            for source, count in per_source.items():
                old.setdefault(source, {})[key] = count.count
    moved: dict[str, tuple[int | None, int]] = {}
    for source in sorted({s for _, s in new_counts}):
        new = dict(old.get(source, {}))
        new.update({k: n for (k, s), n in new_counts.items() if s == source and k in in_bib})
        was = metrics.h_index(list(old[source].values())) if source in old else None
        now = metrics.h_index(list(new.values()))
        if was != now:
            moved[source] = (was, now)
    return moved


def scrub(text: str) -> str:
    """API keys never reach a message, a log line or the database (in any spelling)."""
    from pubtrack.sources.http import redact

    return redact(text)


# --------------------------------------------------------------------------
# The summary (plain text; the CLI prints it)
# --------------------------------------------------------------------------


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
                f"{SOURCE_LABELS.get(s, s)} {'–' if was is None else was} → {now}"
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
            f"{SOURCE_LABELS.get(h.source, h.source)} {_short(h.title or h.key)} "
            f"{h.before} → {h.after}"
            for h in held[:SUMMARY_PAPERS]
        )
        more = f"; {len(held) - SUMMARY_PAPERS} more" if len(held) > SUMMARY_PAPERS else ""
        lines.append(
            f"Held: {_plural(len(held), 'sharp drop')} not published ({shown}{more}); "
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


# --------------------------------------------------------------------------
# The history file: carries the citation history across CI runs that start
# with no database (DESIGN.md). Small, sorted, diffable; only changes land in it.
# --------------------------------------------------------------------------

HISTORY_COLUMNS = ("publication_key", "source", "count", "influential", "retrieved_at")


def history_path(config: Config, option: str | None) -> Path | None:
    value = option
    if value is None:
        section = config.raw.get("sync", {}) if isinstance(config.raw, dict) else {}
        value = section.get("history_file") if isinstance(section, dict) else None
    if not value:
        return None
    path = Path(str(value))
    path = path if path.is_absolute() else config.root / path
    if path.exists() and not path.is_file():
        raise BadInputError(f"{path}: the history file is a directory (or not a regular file)")
    return path


def export_history(store: Store, path: Path) -> int:
    """Write the compact history (first count + every change) atomically; rows written.

    The file is rewritten only when its content changes, so an unchanged night
    leaves nothing to commit.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    rows = store.compact_history()
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in HISTORY_COLUMNS])
    text = buffer.getvalue()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return len(rows)
    write_atomic(path, text, make_parents=True)
    return len(rows)


FUTURE_SLACK = timedelta(days=1)  # a history row later than now + this is refused


_HISTORY_TIME = "%Y-%m-%dT%H:%M:%SZ"


def _history_row(row: dict[str, Any]) -> CitationCount:
    """One CSV row, checked: counts whole numbers in range, a real UTC timestamp."""

    from pubtrack.verify import MAX_COUNT

    key, source = row["publication_key"], row["source"]
    if not key or not source or len(key) > 500 or len(source) > 100:
        raise ValueError("empty or overlong key or source")
    text = (row["count"] or "").strip()
    if not text.isdigit() or len(text) > 12 or int(text) > MAX_COUNT:
        raise ValueError(f"count {text[:20]!r} is not a whole number from 0 to {MAX_COUNT:,}")
    influential = (row["influential"] or "").strip()
    if influential and (not influential.isdigit() or len(influential) > 12):
        raise ValueError(f"influential {influential[:20]!r} is not a whole number")
    stamp = (row["retrieved_at"] or "").strip()
    moment = datetime.strptime(stamp, _HISTORY_TIME)  # ValueError names the format
    if not 1970 <= moment.year <= 2200:
        raise ValueError(f"retrieved_at {stamp!r} is out of range")
    return CitationCount(
        publication_key=key,
        source=source,
        count=int(text),
        retrieved_at=stamp,
        influential=int(influential) if influential else None,
    )


def import_history(store: Store, path: Path) -> int:
    """Load a history file into an empty database, in one transaction; rows read.

    Every row is checked (count a non-negative integer, retrieved_at a time not in
    the future): a bad row names FILE:LINE and nothing is imported. Rows are
    recorded in time order, as the syncs that made them ran.
    """
    counts: list[tuple[str, int, CitationCount]] = []
    latest_ok = (utcnow_datetime() + FUTURE_SLACK).strftime(_HISTORY_TIME)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = set(HISTORY_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise BadInputError(
                    f"{path}:1: not a pubtrack history file (missing {', '.join(sorted(missing))})"
                )
            for row in reader:
                try:
                    count = _history_row(row)
                    if count.retrieved_at > latest_ok:
                        raise ValueError(f"retrieved_at {count.retrieved_at!r} is in the future")
                    counts.append((count.retrieved_at, len(counts), count))
                except (TypeError, ValueError, KeyError, AttributeError) as exc:
                    raise BadInputError(
                        f"{path}:{reader.line_num}: bad row in the history file ({exc})"[:300]
                    ) from None
    except csv.Error as exc:
        raise BadInputError(f"{path}: not a CSV history file: {exc}") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the history file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: the history file is not UTF-8 text") from None
    counts.sort(key=lambda item: (item[0], item[1]))
    with store.transaction():
        store.record_citations(c for _, _, c in counts)
    return len(counts)


# --------------------------------------------------------------------------
# Duplicate works for `pubtrack check` (one call; reads the database, never writes)
# --------------------------------------------------------------------------


def learned_ids(config: Config) -> dict[str, list[dict[str, str]]]:
    """{key: [ids a source reported]} from the database; empty when there is none."""
    rows, _ = _read_learned(config)
    out: dict[str, list[dict[str, str]]] = {}
    for key, learned in rows.items():
        for row in sorted(learned, key=lambda r: _rank(r["source"])):
            out.setdefault(key, []).append({row["kind"]: row["value"]})
    return out


def _read_learned(
    config: Config,
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """(learned ids, open conflicts) from the database, read-only; empty without one."""
    if not config.database_path.exists():
        return {}, []
    try:
        store = Store.open_readonly(config.database_path)
    except PubtrackError:
        return {}, []
    try:
        return store.learned_ids(), store.conflicts()
    except Exception:  # a database from before learned_ids (sync upgrades it)
        return {}, []
    finally:
        store.close()


def conflict_problems(config: Config, library: Library) -> list[Problem]:
    """Works a source last answered with another paper, as warnings at their FILE:LINE."""
    _, conflicts = _read_learned(config)
    by_key = {w.key: w for w in library.works}
    problems = []
    for row in conflicts:
        work = by_key.get(row["publication_key"])
        if work is None:
            continue
        problems.append(
            Problem(
                work.location.file if work.location else "",
                work.location.line if work.location else 0,
                f"{work.key}: {row['source']} answered about another work "
                f"({row['message']}) on {str(row['detected_at'])[:10]}; nothing of it is "
                "stored. Check the entry's ids; `pubtrack sync --relearn "
                f"{work.key}` forgets what sources taught",
                severity="warning",
            )
        )
    return problems


def duplicate_problems(
    config: Config, library: Library, *, linked_only: bool = False
) -> list[Problem]:
    """Bib entries that are the same work, as warnings at the second entry's FILE:LINE.

    Uses the bib's ids and the ids sources reported in earlier syncs (so an
    entry with an arXiv id and another with the journal DOI arXiv reports for
    it are caught). Nothing is merged: the user decides. ``linked_only`` leaves
    out pairs that share an id in the bib itself, which the reader reports.
    """
    by_key = {w.key: w for w in library.works}
    problems = []
    for a, b, reason in find_duplicate_works(library.works, learned_ids(config)):
        work = by_key[b]
        other = by_key[a]
        if linked_only and id_keys(work.ids) & id_keys(other.ids):
            continue
        where = f" ({other.location})" if other.location else ""
        problems.append(
            Problem(
                work.location.file if work.location else "",
                work.location.line if work.location else 0,
                f"{b} and {a}{where} look like the same work ({reason}); "
                "keep one entry with all its ids",
                severity="warning",
            )
        )
    return problems
