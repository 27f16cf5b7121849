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
import dataclasses
import errno
import math
import os
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.db import Store, utcnow, utcnow_datetime
from pubtrack.errors import (
    BadInputError,
    DatabaseError,
    PubtrackError,
    SourceError,
    StorageError,
)
from pubtrack.identity import find_duplicate_works, id_keys, merged_ids
from pubtrack.lock import ProjectLock, lock_path_for
from pubtrack.models import (
    CitationCount,
    Identifiers,
    Work,
    plain,
)
from pubtrack.sources.base import Source, SourceResult, WorkRef, available_sources
from pubtrack.sources.registry import plugin_problems, registry
from pubtrack.verify import verify

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.models import Library
from pubtrack.sync.history_file import export_history, history_path, import_history
from pubtrack.sync.report import (
    HeldDrop,
    Progress,
    SourceReport,
    SyncEvent,
    SyncReport,
    _changes,
    _h_index_changes,
    scrub,
)

# Sources that teach ids run first (``Source.fetch_order``): arXiv reports
# `doi`/`journal_ref` of the published version, Semantic Scholar its
# externalIds; OpenAlex and Crossref then find the published version by DOI in
# the same run.
# After this many failed batches in a row (each already retried by the HTTP
# layer), the source is considered down: its remaining works are marked failed
# without sending more requests, so a dead API costs minutes, not hours.
MAX_CONSECUTIVE_FAILURES = 2


@dataclass
class SyncOptions:
    """The knobs of one run (the CLI flags)."""

    sources: list[str] | None = None  # None: [sync] sources
    all: bool = False  # ignore freshness
    max_age: float | None = None  # seconds; None: [sync] max_age
    dry_run: bool = False
    wait: float | None = None  # lock wait in seconds; None: [sync] lock_timeout
    # The citation history as a small CSV (for CI runners that start empty):
    # read to rebuild an empty database, rewritten after the run.
    history_file: str | None = None  # None: [sync] history_file, "" : none
    # Store sharp drops as the latest value instead of holding them (None: [sync] accept_drops).
    accept_drops: bool | None = None
    # --relearn [KEY...]: forget learned ids (of these keys; () = every work) and
    # fetch those works again, so ids are rebuilt from the bib. None: keep them.
    relearn: tuple[str, ...] | None = None


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
    problems += plugin_problems()
    for problem in problems:
        emit(SyncEvent("warning", message=problem))
    unknown = [k for k in options.relearn or () if k not in {w.key for w in library.works}]
    if unknown:
        raise BadInputError(f"--relearn: no publication with the key {unknown[0]!r} in the bib")
    max_age = config.sync.max_age if options.max_age is None else options.max_age

    own_http = False
    if http is None:
        from pubtrack.sources.http import HttpClient

        http = HttpClient(config)
        own_http = True
    try:
        sources = _instantiate(names, classes, config, http)
        run = SyncRun(library, sources, options, max_age, emit, http)
        if options.dry_run:
            return _dry_run(config, run, started, problems)
        wait = config.sync.lock_timeout if options.wait is None else options.wait
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
            run.options = dataclasses.replace(
                options, accept_drops=accept_drops_setting(config, options.accept_drops)
            )
            report = run.run(store)
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
    except StorageError as exc:  # the Store's words for SQLite's error, naming the file
        raise DatabaseError(f"{exc.message}; nothing more was written") from None
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
    known = list(dict.fromkeys([*registry().names, *classes]))
    wanted = list(dict.fromkeys(requested or config.sync.enabled()))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise BadInputError(f"unknown source {unknown[0]!r} (known: {', '.join(known)})")
    return sorted(wanted, key=_rank)


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
            known = registry().get(name)
            hint = f" ({known.install_hint})" if known is not None and known.install_hint else ""
            out.append(_Unavailable(name, f"not installed{hint}"))
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

    rank = {name: _rank(name) for name in registry().names}
    refs: dict[str, WorkRef] = {}
    dropped: list[dict[str, Any]] = []
    for work in library.works:
        bib = {k: v for k, v in work.ids.as_dict().items() if v}
        chosen, drop = choose_learned(bib, learned.get(work.key, []), rank)
        dropped += drop
        refs[work.key] = _ref(work, merged_ids(work.ids, chosen))
    return refs, dropped


def _rank(source: str) -> int:
    """Position in a sync run (``Source.fetch_order``); unknown names last."""
    return registry().fetch_rank(source)


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
    previous = record.get("bib_ids")
    return previous is not None and previous != fingerprint


@dataclass
class SourcePlan:
    """What one source is due for in this run: works it can look up by an id, and
    works without one (asked by title where the source can). ``--dry-run`` prints
    exactly the plan the real run then fetches."""

    source: Source
    with_id: list[tuple[WorkRef, str]]
    without: list[WorkRef]

    @property
    def resolves(self) -> bool:
        return _resolves(self.source)

    @property
    def due(self) -> list[WorkRef]:
        return [ref for ref, _ in self.with_id] + (list(self.without) if self.resolves else [])

    @property
    def requests(self) -> int:
        return _estimate(self.source, len(self.with_id), len(self.without))


def _resolves(source: Source) -> bool:
    return type(source).resolve_unidentified is not Source.resolve_unidentified


def _estimate(source: Source, with_id: int, without: int) -> int:
    batch = max(1, source.batch_size)
    return math.ceil(with_id / batch) + (without if _resolves(source) else 0)


def _cutoff(max_age: float) -> str:
    # The same clock as the stored timestamps, so PUBTRACK_NOW simulates days.
    moment = utcnow_datetime() - timedelta(seconds=max(0.0, max_age))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _dry_run(config: Config, run: SyncRun, started: float, problems: list[str]) -> SyncReport:
    """What a sync would fetch; sends nothing and writes nothing (not even sync_runs)."""
    records: dict[str, dict[str, dict[str, Any]]] = {}
    learned: dict[str, list[dict[str, Any]]] = {}
    if config.database_path.exists():
        store = Store.open_readonly(config.database_path)
        try:
            records = store.all_source_records()
            learned = store.learned_ids()  # (an older database is read upgraded in memory)
        finally:
            store.close()
    run.load(records, learned)
    return SyncReport(
        run_id=None,
        works=len(run.library.works),
        sources=run.dry_run(),
        dry_run=True,
        problems=problems,
        duration=time.monotonic() - started,
    )


class SyncRun:
    """One sync: plan (which works each source is due for) -> fetch (a source's
    answers, in memory) -> store (one transaction per source).

    What the run learns as it goes (ids, new counts, updated works) lives on the
    object, so each step is a method with its inputs and outputs in view.
    """

    def __init__(
        self,
        library: Library,
        sources: list[Source],
        options: SyncOptions,
        max_age: float,
        emit: Progress,
        http: Any,
    ) -> None:
        self.library = library
        self.sources = sources
        self.options = options
        self.emit = emit
        self.http = http
        self.cutoff = _cutoff(max_age)
        self.titles = {w.key: plain(w.title) for w in library.works}
        self.bib_keys = {w.key: id_keys(w.ids) for w in library.works}
        self.fingerprints = {w.key: bib_fingerprint(w.ids) for w in library.works}
        # Filled by load(): what earlier runs stored and learned.
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.refs: dict[str, WorkRef] = {}
        # Filled as the run goes.
        self.run_id = 0
        self.updated: set[str] = set()
        self.new_counts: dict[tuple[str, str], int] = {}
        self.learned: dict[str, list[dict[str, str]]] = {}
        # (source, key) -> the id the source was asked with (None: a title search)
        self.asked: dict[tuple[str, str], str | None] = {}

    # -- plan ---------------------------------------------------------------
    def load(
        self,
        records: dict[str, dict[str, dict[str, Any]]],
        learned: dict[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Take what earlier runs stored; the learned rows to drop (contradicted)."""
        self.records = records
        self.refs, dropped = _refs(self.library, learned)
        for key, rows in learned.items():
            for row in rows:
                self.learned.setdefault(key, []).append({row["kind"]: row["value"]})
        return dropped

    def plan(self, source: Source, refs: dict[str, WorkRef] | None = None) -> SourcePlan:
        """The due works of ``refs`` (default: every work) for one source."""
        records = {k: v[source.name] for k, v in self.records.items() if source.name in v}
        now = utcnow()
        with_id: list[tuple[WorkRef, str]] = []
        without: list[WorkRef] = []
        for ref in (self.refs if refs is None else refs).values():
            record = records.get(ref.key)
            fingerprint = self.fingerprints.get(ref.key, "")
            if not _is_due(record, fingerprint, self.cutoff, self.options.all, now):
                continue
            lookup = source.lookup_id(ref)
            if lookup is None:
                without.append(ref)
            else:
                with_id.append((ref, lookup))
        return SourcePlan(source, with_id, without)

    def dry_run(self) -> list[SourceReport]:
        """What each source would be asked; sends nothing and writes nothing."""
        reports = []
        for source in self.sources:
            report = SourceReport(source.name)
            reports.append(report)
            reason = source.skip_reason()
            if reason:
                report.skipped = reason
                continue
            plan = self.plan(source)
            report.due_keys = [r.key for r in plan.due]
            report.due = len(report.due_keys)
            report.planned_requests = plan.requests
        return reports

    # -- run ----------------------------------------------------------------
    def run(self, store: Store) -> SyncReport:
        """Plan, fetch and store every source, then a catch-up pass; the run's report."""
        library, options, emit = self.library, self.options, self.emit
        store.mark_interrupted_runs()
        store.use_citation_sources(registry().citation_sources)
        store.sync_library(library)
        self.run_id = store.start_run([s.name for s in self.sources], len(library.works))
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
        dropped = self.load(records, store.learned_ids())
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

        reports: list[SourceReport] = []
        reasons = {s.name: s.skip_reason() for s in self.sources}
        skipped = [f"{name} skipped: {why}" for name, why in reasons.items() if why]
        running = [name for name, why in reasons.items() if not why]
        head = f"Syncing {len(library.works)} works from {', '.join(running) or 'no source'}"
        if skipped:
            head += f" ({'; '.join(skipped)})"
        emit(SyncEvent("start", message=head))
        try:
            no_ids: dict[str, list[str]] = {}
            for source in self.sources:
                report = SourceReport(source.name)
                reports.append(report)
                reason = reasons[source.name]
                if reason:
                    report.skipped = reason  # told once, in the 'start' line
                    continue
                no_ids[source.name] = self.sync_source(store, source, report, self.refs, emit)
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
            for source, report in zip(self.sources, reports, strict=True):
                if report.skipped or report.status == "failed":
                    continue
                late = {
                    k: self.refs[k]
                    for k in no_ids.get(source.name, [])
                    if source.lookup_id(self.refs[k])
                }
                if late:
                    self.sync_source(store, source, report, late, lambda event: None)
        except BaseException:
            with contextlib.suppress(Exception):
                store.finish_run(
                    self.run_id,
                    status="interrupted",
                    updated=len(self.updated),
                    requests={r.name: r.requests for r in reports if not r.skipped},
                    errors={r.name: "; ".join(r.errors) for r in reports if r.errors},
                    duration_seconds=0.0,
                )
            raise

        changes, unchanged = _changes(before, self.new_counts, self.titles)
        keys = {w.key for w in library.works}
        return SyncReport(
            run_id=self.run_id,
            works=len(library.works),
            sources=reports,
            updated=sorted(self.updated),
            changes=changes,
            unchanged=unchanged,
            duplicates=find_duplicate_works(library.works, self.learned),
            h_index_changes=_h_index_changes(store, before, self.new_counts, keys),
        )

    def sync_source(
        self,
        store: Store,
        source: Source,
        report: SourceReport,
        refs: dict[str, WorkRef],
        emit: Progress,
    ) -> list[str]:
        """Plan, fetch, then store in one transaction; the due keys it had no id for."""
        plan = self.plan(source, refs)
        results, failures, no_id = self.fetch(plan, report, emit)
        self.store(store, source, report, refs, results, failures)
        return no_id

    # -- store --------------------------------------------------------------
    def store(
        self,
        store: Store,
        source: Source,
        report: SourceReport,
        refs: dict[str, WorkRef],
        results: dict[str, SourceResult],
        failures: dict[str, str],
    ) -> None:
        """One source's answers in one transaction (all or nothing)."""
        run_id = self.run_id
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
                            asked=self.asked.get((source.name, result.key)),
                            message=message,
                            detected_at=fetched_at,
                            run_id=run_id,
                        )
                        # Asked with an id a source taught (not the bib's)? That id
                        # led to another paper: drop it, the bib's ids are used next.
                        ref = refs.get(result.key)
                        blamed = ref is not None and result.data.get("blames_id")
                        asked = (
                            source.asked_ids(ref, self.asked.get((source.name, result.key)))
                            if ref is not None and blamed
                            else set()
                        )
                        for kind, value in asked - self.bib_keys.get(result.key, set()):
                            store.forget_learned_value(result.key, kind, value)
                    continue
                _store_result(
                    store,
                    source,
                    result,
                    fetched_at,
                    counts,
                    bib_ids=self.fingerprints.get(result.key, ""),
                    lookup_id=self.asked.get((source.name, result.key)),
                )
                if result.status == "found":
                    self.updated.add(result.key)
                    store.clear_conflict(result.key, source.name)
                    if result.external_ids:
                        self.learned.setdefault(result.key, []).append(result.external_ids)
                        store.learn_ids(
                            result.key,
                            source.name,
                            {k: v for k, v in result.external_ids.items() if isinstance(v, str)},
                            learned_at=fetched_at,
                            run_id=run_id,
                            request=self.asked.get((source.name, result.key)),
                            verified=result.data.get("matched_by") != "title",
                        )
            for key, message in failures.items():
                store.save_source_error(key, source.name, message)
            if not self.options.accept_drops:
                counts, held = hold_sharp_drops(counts, store.latest_counts(source.name))
                store.record_held(held, run_id)
                report.held += [
                    HeldDrop(
                        c.publication_key,
                        self.titles.get(c.publication_key, ""),
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
            self.new_counts[(count.publication_key, count.source)] = count.count

    # -- fetch --------------------------------------------------------------
    def fetch(
        self, plan: SourcePlan, report: SourceReport, emit: Progress
    ) -> tuple[dict[str, SourceResult], dict[str, str], list[str]]:
        """All answers of one source (in memory until its transaction), the failures, and
        the due works it had no id for and could not resolve."""
        source, with_id, without = plan.source, plan.with_id, plan.without
        http = self.http
        started = time.monotonic()
        resolves = plan.resolves
        due = plan.due
        total = len(due)
        report.due += total
        report.due_keys += [r.key for r in due]
        report.planned_requests += plan.requests
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
                    source.fetch_batch(batch)
                    if kind == "ids"
                    else source.resolve_unidentified(batch)
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
                    # The run's bookkeeping (stored in source_records columns, not in
                    # the source's data): the id asked with.
                    self.asked[(source.name, ref.key)] = (
                        lookups.get(ref.key) if kind == "ids" else None
                    )
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
    *,
    bib_ids: str = "",
    lookup_id: str | None = None,
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
        bib_ids=bib_ids,
        lookup_id=lookup_id,
    )
    if result.status != "found" or not source.provides_citations:
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
    return option if option is not None else config.sync.accept_drops


def _store_profile(store: Store, source: Source, fetched_at: str, run_id: int) -> None:
    """A profile source (Google Scholar) also reports the profile's own figures."""
    figures = source.profile_figures()
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
