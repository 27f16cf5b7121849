"""Every SQL statement pubtrack runs.

The schema is documented in the README for users who query it. It changes only
through the migrations below (sqlite-utils ``Migrations``): an old database
opens and is upgraded in place, each migration in its own transaction.
Writes go through ``Store.transaction()`` so a crash never leaves half a sync.

The Store talks to SQLite through one small connection wrapper (``_Connection``)
that turns every ``sqlite3.Error`` into a ``DatabaseError`` naming the file, raised
while executing a statement or while stepping through its rows (``_Cursor``): no
code outside this module catches ``sqlite3`` errors. sqlite-utils is imported
only to migrate (``Store.open``): read commands open the database read-only
without it (it also pulls in numpy when that is installed: 0.1 s per command).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.errors import BadInputError, DatabaseError, StorageError
from pubtrack.models import CitationCount, Library, plain

if TYPE_CHECKING:
    import sqlite_utils


class _Migrations:
    """``@migrations()`` as with sqlite-utils' ``Migrations("pubtrack")`` (same name,
    same functions, so the record of applied migrations is unchanged), with
    sqlite-utils imported only when migrations are applied or listed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: list[Any] = []
        self._real: Any = None

    def __call__(self) -> Any:
        def register(fn: Any) -> Any:
            self.functions.append(fn)
            return fn

        return register

    def real(self) -> Any:
        if self._real is None:
            from sqlite_utils import Migrations

            real = Migrations(self.name)
            for fn in self.functions:
                real()(fn)
            self._real = real
        return self._real

    @staticmethod
    def _db(db: Any) -> Any:
        """A sqlite-utils Database for a Store's connection (or as given)."""
        if isinstance(db, _Connection):
            import sqlite_utils

            return sqlite_utils.Database(db._conn)
        return db

    def apply(self, db: Any, *, stop_before: str | None = None) -> None:
        self.real().apply(self._db(db), stop_before=stop_before)

    def applied(self, db: Any) -> Any:
        return self.real().applied(self._db(db))

    def pending(self, db: Any) -> Any:
        return self.real().pending(self._db(db))

    def pending_names(self, conn: sqlite3.Connection) -> list[str]:
        """The migrations a database still needs, read without sqlite-utils (the
        read-only commands check this on every open)."""
        names = [fn.__name__ for fn in self.functions]
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
        ).fetchone()
        if not exists:
            return names
        done = {
            row[0]
            for row in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [self.name]
            )
        }
        return [n for n in names if n not in done]


migrations = _Migrations("pubtrack")


def utcnow_datetime() -> datetime:
    """The current UTC time, or ``PUBTRACK_NOW`` when set.

    ``PUBTRACK_NOW`` (ISO-8601, e.g. ``2026-11-20T03:00:00Z``; UTC when no
    offset is given) lets tests and demos simulate syncs on several days.
    """
    fixed = os.environ.get("PUBTRACK_NOW", "").strip()
    if not fixed:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(fixed)
    except ValueError:
        raise BadInputError(
            f"PUBTRACK_NOW={fixed!r}: not an ISO-8601 time (e.g. 2026-11-20T03:00:00Z)"
        ) from None
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        value = datetime.min.replace(tzinfo=UTC)
    if not 1970 <= value.year <= 2200:
        # A "now" centuries away overflows date arithmetic (max_age cut-offs) and
        # would pin "latest" to a run that never happened.
        raise BadInputError(f"PUBTRACK_NOW={fixed!r}: out of range (years 1970 to 2200)")
    return value


def utcnow() -> str:
    """Timestamps are ISO-8601 UTC strings with a Z: sortable as text."""
    return utcnow_datetime().strftime("%Y-%m-%dT%H:%M:%SZ")


def explain(exc: BaseException) -> str:
    """SQLite's error in words a user can act on (locked, read-only, disk full)."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "locked by another process (waited as configured: [sync] lock_timeout, --wait)"
    if "readonly" in text or "read-only" in text:
        return "read-only: sync writes the database (check the file and folder permissions)"
    if "full" in text:
        return "the disk is full (or a file-size limit was hit)"
    return str(exc)


# --------------------------------------------------------------------------
# Migrations. Never edit one that has shipped; add a new one.
# --------------------------------------------------------------------------


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS publications (
            key TEXT PRIMARY KEY,
            entry_type TEXT,
            kind TEXT,
            title TEXT,
            authors TEXT,            -- JSON list of display names
            year INTEGER,
            month INTEGER,
            day INTEGER,
            venue TEXT,
            award TEXT,
            arxiv TEXT,
            doi TEXT,
            semantic_scholar TEXT,
            openalex TEXT,
            selected INTEGER NOT NULL DEFAULT 0,
            source_file TEXT,
            line INTEGER,
            in_bib INTEGER NOT NULL DEFAULT 1,   -- 0: removed from the bib, history kept
            first_seen TEXT,
            updated_at TEXT
        );
        CREATE TABLE IF NOT EXISTS talks (
            key TEXT PRIMARY KEY,
            title TEXT,
            event TEXT,
            date TEXT,
            location TEXT,
            publication_key TEXT,
            source_file TEXT,
            line INTEGER,
            in_bib INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT,
            updated_at TEXT
        );
        CREATE TABLE IF NOT EXISTS citations (
            id INTEGER PRIMARY KEY,
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            count INTEGER NOT NULL,
            influential INTEGER,
            retrieved_at TEXT NOT NULL,
            sync_run_id INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_citations_pub_source
            ON citations (publication_key, source, retrieved_at);
        -- Append-only: the history is never rewritten.
        CREATE TRIGGER IF NOT EXISTS citations_no_update BEFORE UPDATE ON citations
            BEGIN SELECT RAISE(ABORT, 'citations is append-only'); END;
        CREATE TABLE IF NOT EXISTS source_records (
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            external_id TEXT,        -- the id this source knows the work by
            status TEXT NOT NULL,    -- 'found' | 'not_found' | 'unresolved'
            data TEXT,               -- JSON: metadata this source returned
            fetched_at TEXT,         -- last successful fetch
            last_error TEXT,
            last_attempt_at TEXT,
            PRIMARY KEY (publication_key, source)
        );
        CREATE TABLE IF NOT EXISTS counts_by_year (
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            year INTEGER NOT NULL,
            count INTEGER NOT NULL,
            retrieved_at TEXT NOT NULL,
            PRIMARY KEY (publication_key, source, year)
        );
        CREATE TABLE IF NOT EXISTS sync_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,    -- 'running' | 'ok' | 'partial' | 'failed' | 'dry-run'
            sources TEXT,            -- JSON list
            works INTEGER,
            updated INTEGER,
            requests TEXT,           -- JSON {source: count}
            errors TEXT,             -- JSON {source: message}
            duration_seconds REAL
        );
        CREATE VIEW IF NOT EXISTS latest_citations AS
            SELECT c.publication_key, c.source, c.count, c.influential, c.retrieved_at
            FROM citations c
            WHERE c.id = (
                SELECT c2.id FROM citations c2
                WHERE c2.publication_key = c.publication_key AND c2.source = c.source
                ORDER BY c2.retrieved_at DESC, c2.id DESC LIMIT 1
            );
        CREATE VIEW IF NOT EXISTS publication_metrics AS
            SELECT p.key, p.title, p.year, p.in_bib,
                MAX(CASE WHEN l.source = 'semantic_scholar' THEN l.count END) AS semantic_scholar,
                MAX(CASE WHEN l.source = 'openalex' THEN l.count END) AS openalex,
                MAX(CASE WHEN l.source = 'crossref' THEN l.count END) AS crossref,
                MAX(CASE WHEN l.source = 'google_scholar' THEN l.count END) AS google_scholar,
                MAX(l.count) AS max_citations,
                MAX(l.retrieved_at) AS last_retrieved_at
            FROM publications p
            LEFT JOIN latest_citations l ON l.publication_key = p.key
            GROUP BY p.key;
        """
    )


@migrations()
def m010_meta(db: sqlite_utils.Database) -> None:
    """Small key/value state, e.g. the fingerprint of the bib files last mirrored."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")


@migrations()
def m030_stats(db: sqlite_utils.Database) -> None:
    """Profile-level figures (Google Scholar) and the views behind `pubtrack stats`.

    The views compute what ``metrics.py`` computes, for users who query the
    database with sqlite3, sqlite-utils or Datasette; tests keep them in step.
    Only works still in the bib (``publications.in_bib = 1``) count.
    """
    db.executescript(
        """
        -- One row per profile fetch (append-only, like citations).
        CREATE TABLE IF NOT EXISTS profile_metrics (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            name TEXT,
            total_citations INTEGER,
            h_index INTEGER,
            i10_index INTEGER,
            retrieved_at TEXT NOT NULL,
            sync_run_id INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_profile_metrics
            ON profile_metrics (source, retrieved_at);
        CREATE TABLE IF NOT EXISTS profile_cites_per_year (
            source TEXT NOT NULL,
            profile_id TEXT NOT NULL,
            year INTEGER NOT NULL,
            count INTEGER NOT NULL,
            retrieved_at TEXT NOT NULL,
            PRIMARY KEY (source, profile_id, year)
        );
        -- The profile each source reported last (a changed profile id replaces the old).
        CREATE VIEW IF NOT EXISTS latest_profile_metrics AS
            SELECT m.source, m.profile_id, m.name, m.total_citations, m.h_index,
                m.i10_index, m.retrieved_at
            FROM profile_metrics m
            WHERE m.id = (
                SELECT m2.id FROM profile_metrics m2 WHERE m2.source = m.source
                ORDER BY m2.retrieved_at DESC, m2.id DESC LIMIT 1
            );
        -- Per source: works, total, h-, g- and i10-index over the latest counts.
        CREATE VIEW IF NOT EXISTS source_totals AS
            WITH ranked AS (
                SELECT l.source, l.count, l.influential, l.retrieved_at,
                    ROW_NUMBER() OVER w AS rk,
                    SUM(l.count) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                        AS running
                FROM latest_citations l
                JOIN publications p ON p.key = l.publication_key AND p.in_bib = 1
                WINDOW w AS (PARTITION BY l.source ORDER BY l.count DESC)
            )
            SELECT source,
                COUNT(*) AS works,
                SUM(count) AS total_citations,
                COALESCE(MAX(CASE WHEN count >= rk THEN rk END), 0) AS h_index,
                COALESCE(MAX(CASE WHEN running >= rk * rk THEN rk END), 0) AS g_index,
                SUM(CASE WHEN count >= 10 THEN 1 ELSE 0 END) AS i10_index,
                SUM(influential) AS influential_citations,
                MAX(retrieved_at) AS last_retrieved_at
            FROM ranked GROUP BY source;
        -- Per paper, source and year: citations gained that year. basis
        -- 'counts_by_year' = the source's own per-year counts (OpenAlex), else
        -- 'history' = last count of the year minus last count of the previous
        -- recorded year (first year tracked: minus its first count).
        CREATE VIEW IF NOT EXISTS paper_citations_per_year AS
            WITH ordered AS (
                SELECT publication_key, source, count,
                    CAST(substr(retrieved_at, 1, 4) AS INTEGER) AS year,
                    ROW_NUMBER() OVER (
                        PARTITION BY publication_key, source, substr(retrieved_at, 1, 4)
                        ORDER BY retrieved_at DESC, id DESC) AS rn_last,
                    ROW_NUMBER() OVER (
                        PARTITION BY publication_key, source, substr(retrieved_at, 1, 4)
                        ORDER BY retrieved_at, id) AS rn_first
                FROM citations
            ),
            per_year AS (
                SELECT publication_key, source, year,
                    MAX(CASE WHEN rn_last = 1 THEN count END) AS last_count,
                    MAX(CASE WHEN rn_first = 1 THEN count END) AS first_count
                FROM ordered GROUP BY publication_key, source, year
            ),
            history AS (
                SELECT publication_key, source, year,
                    last_count - COALESCE(LAG(last_count) OVER (
                        PARTITION BY publication_key, source ORDER BY year), first_count)
                        AS citations
                FROM per_year
            )
            SELECT h.publication_key, h.source, h.year, h.citations, 'history' AS basis
            FROM history h
            WHERE NOT EXISTS (
                SELECT 1 FROM counts_by_year y
                WHERE y.publication_key = h.publication_key AND y.source = h.source
            )
            UNION ALL
            SELECT publication_key, source, year, count AS citations, 'counts_by_year' AS basis
            FROM counts_by_year;
        -- Per source and year over the works in the bib; a source with a profile
        -- (Google Scholar cites_per_year) uses the profile's figures, basis 'profile'.
        CREATE VIEW IF NOT EXISTS citations_per_year AS
            SELECT c.source, c.year, SUM(c.citations) AS citations,
                CASE WHEN MIN(c.basis) = MAX(c.basis) THEN MIN(c.basis)
                    ELSE MIN(c.basis) || '+' || MAX(c.basis) END AS basis
            FROM paper_citations_per_year c
            JOIN publications p ON p.key = c.publication_key AND p.in_bib = 1
            WHERE c.source NOT IN (
                SELECT g.source FROM profile_cites_per_year g
                JOIN latest_profile_metrics l
                    ON l.source = g.source AND l.profile_id = g.profile_id
            )
            GROUP BY c.source, c.year
            UNION ALL
            SELECT g.source, g.year, g.count AS citations, 'profile' AS basis
            FROM profile_cites_per_year g
            JOIN latest_profile_metrics l ON l.source = g.source AND l.profile_id = g.profile_id;
        -- The last count of each day per paper and source.
        CREATE VIEW IF NOT EXISTS daily_citations AS
            SELECT publication_key, source, day, count FROM (
                SELECT publication_key, source, count, substr(retrieved_at, 1, 10) AS day,
                    ROW_NUMBER() OVER (
                        PARTITION BY publication_key, source, substr(retrieved_at, 1, 10)
                        ORDER BY retrieved_at DESC, id DESC) AS rn
                FROM citations
            ) WHERE rn = 1;
        -- Per source and day: the total over the works in the bib, each with its
        -- latest count on or before that day (carried forward).
        CREATE VIEW IF NOT EXISTS daily_totals AS
            WITH days AS (
                SELECT DISTINCT source, substr(retrieved_at, 1, 10) AS day FROM citations
            ),
            vals AS (
                SELECT d.source, d.day, (
                    SELECT c.count FROM citations c
                    WHERE c.publication_key = p.key AND c.source = d.source
                        AND c.retrieved_at < date(d.day, '+1 day')
                    ORDER BY c.retrieved_at DESC, c.id DESC LIMIT 1
                ) AS count
                FROM days d JOIN publications p ON p.in_bib = 1
            )
            SELECT source, day, COUNT(count) AS works, SUM(count) AS total_citations
            FROM vals WHERE count IS NOT NULL GROUP BY source, day;
        """
    )


# The views over the change-only history (m040). A citations row is a *span*:
# one value seen at every check of its source from ``first_check`` to
# ``last_check`` (ids in ``citation_checks``); the open span of each work and
# source has ``last_check`` NULL and lives on in ``citations_latest``.
HISTORY_VIEWS = """
    -- Every row of citations with its span closed (the open one from citations_latest).
    CREATE VIEW IF NOT EXISTS citation_spans AS
        SELECT c.id, c.publication_key, c.source, c.count, c.influential, c.retrieved_at,
            c.sync_run_id, c.first_check,
            COALESCE(c.last_check, l.last_check) AS last_check,
            COALESCE(c.checked_until, l.checked_until) AS checked_until
        FROM citations c
        LEFT JOIN citations_latest l
            ON c.last_check IS NULL AND l.publication_key = c.publication_key
            AND l.source = c.source;
    -- One row per check (what the citations table held before m040).
    CREATE VIEW IF NOT EXISTS citation_observations AS
        SELECT s.publication_key, s.source, s.count, s.influential, e.retrieved_at,
            e.sync_run_id, e.id AS check_id
        FROM citation_spans s
        JOIN citation_checks e ON e.source = s.source
            AND e.id BETWEEN s.first_check AND s.last_check;
    CREATE VIEW IF NOT EXISTS latest_citations AS
        SELECT publication_key, source, count, influential, checked_until AS retrieved_at
        FROM citations_latest;
    -- Per paper, source and year: citations gained that year. basis
    -- 'counts_by_year' = the source's own per-year counts (OpenAlex), else
    -- 'history' = last count of the year minus last count of the previous
    -- checked year (first year tracked: minus its first count).
    CREATE VIEW IF NOT EXISTS paper_citations_per_year AS
        WITH check_years AS (
            SELECT DISTINCT source, substr(retrieved_at, 1, 4) AS year FROM citation_checks
        ),
        span_years AS (
            SELECT s.id, s.publication_key, s.source, y.year
            FROM citation_spans s
            JOIN check_years y ON y.source = s.source
                AND y.year BETWEEN substr(s.retrieved_at, 1, 4) AND substr(s.checked_until, 1, 4)
            WHERE y.year = substr(s.retrieved_at, 1, 4)
                OR y.year = substr(s.checked_until, 1, 4)
                OR EXISTS (
                    SELECT 1 FROM citation_checks e
                    WHERE e.source = s.source AND e.retrieved_at >= y.year
                        AND e.retrieved_at < printf('%04d', y.year + 1)
                        AND +e.id BETWEEN s.first_check AND s.last_check)
        ),
        per_year AS (
            SELECT publication_key, source, CAST(year AS INTEGER) AS year,
                MAX(id) AS last_id, MIN(id) AS first_id
            FROM span_years GROUP BY publication_key, source, year
        ),
        history AS (
            SELECT p.publication_key, p.source, p.year,
                l.count - COALESCE(LAG(l.count) OVER (
                    PARTITION BY p.publication_key, p.source ORDER BY p.year), f.count)
                    AS citations
            FROM per_year p
            JOIN citations l ON l.id = p.last_id
            JOIN citations f ON f.id = p.first_id
        )
        SELECT h.publication_key, h.source, h.year, h.citations, 'history' AS basis
        FROM history h
        WHERE NOT EXISTS (
            SELECT 1 FROM counts_by_year y
            WHERE y.publication_key = h.publication_key AND y.source = h.source
        )
        UNION ALL
        SELECT publication_key, source, year, count AS citations, 'counts_by_year' AS basis
        FROM counts_by_year;
    -- The last count of each day per paper and source (every day it was checked).
    CREATE VIEW IF NOT EXISTS daily_citations AS
        WITH check_days AS (
            SELECT DISTINCT source, substr(retrieved_at, 1, 10) AS day FROM citation_checks
        )
        SELECT s.publication_key, s.source, d.day, s.count
        FROM citation_spans s
        JOIN check_days d ON d.source = s.source
            AND d.day BETWEEN substr(s.retrieved_at, 1, 10) AND substr(s.checked_until, 1, 10)
        WHERE EXISTS (
                SELECT 1 FROM citation_checks e
                WHERE e.source = s.source AND e.retrieved_at >= d.day
                    AND e.retrieved_at < date(d.day, '+1 day')
                    AND +e.id BETWEEN s.first_check AND s.last_check)
            AND NOT EXISTS (
                SELECT 1 FROM citations n
                WHERE n.publication_key = s.publication_key AND n.source = s.source
                    AND n.id > s.id AND n.retrieved_at < date(d.day, '+1 day'));
    -- Per source and day: the total over the works in the bib, each with its
    -- latest count on or before that day (carried forward). Summed from the
    -- changes: each span adds its difference to the span before it.
    CREATE VIEW IF NOT EXISTS daily_totals AS
        WITH days AS (
            SELECT DISTINCT source, substr(retrieved_at, 1, 10) AS day FROM citation_checks
        ),
        steps AS (
            SELECT c.source, substr(c.retrieved_at, 1, 10) AS day,
                c.count - COALESCE(LAG(c.count) OVER w, 0) AS delta,
                CASE WHEN LAG(c.count) OVER w IS NULL THEN 1 ELSE 0 END AS new_work
            FROM citations c
            JOIN publications p ON p.key = c.publication_key AND p.in_bib = 1
            WINDOW w AS (PARTITION BY c.publication_key, c.source ORDER BY c.id)
        ),
        per_day AS (
            SELECT source, day, SUM(delta) AS delta, SUM(new_work) AS new_works
            FROM steps GROUP BY source, day
        ),
        running AS (
            SELECT d.source, d.day,
                SUM(COALESCE(p.new_works, 0)) OVER w AS works,
                SUM(COALESCE(p.delta, 0)) OVER w AS total_citations
            FROM days d LEFT JOIN per_day p ON p.source = d.source AND p.day = d.day
            WINDOW w AS (PARTITION BY d.source ORDER BY d.day)
        )
        SELECT source, day, works, total_citations FROM running WHERE works > 0;
"""

HISTORY_VIEW_NAMES = (
    "publication_metrics",
    "source_totals",
    "citations_per_year",
    "paper_citations_per_year",
    "daily_citations",
    "daily_totals",
    "latest_citations",
    "citation_observations",
    "citation_spans",
)


def _create_dependent_views(db: sqlite_utils.Database) -> None:
    """The m001/m030 views that read latest_citations/paper_citations_per_year,
    unchanged (recreated after the views under them were replaced)."""
    db.executescript(
        """
        CREATE VIEW IF NOT EXISTS publication_metrics AS
            SELECT p.key, p.title, p.year, p.in_bib,
                MAX(CASE WHEN l.source = 'semantic_scholar' THEN l.count END) AS semantic_scholar,
                MAX(CASE WHEN l.source = 'openalex' THEN l.count END) AS openalex,
                MAX(CASE WHEN l.source = 'crossref' THEN l.count END) AS crossref,
                MAX(CASE WHEN l.source = 'google_scholar' THEN l.count END) AS google_scholar,
                MAX(l.count) AS max_citations,
                MAX(l.retrieved_at) AS last_retrieved_at
            FROM publications p
            LEFT JOIN latest_citations l ON l.publication_key = p.key
            GROUP BY p.key;
        CREATE VIEW IF NOT EXISTS source_totals AS
            WITH ranked AS (
                SELECT l.source, l.count, l.influential, l.retrieved_at,
                    ROW_NUMBER() OVER w AS rk,
                    SUM(l.count) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                        AS running
                FROM latest_citations l
                JOIN publications p ON p.key = l.publication_key AND p.in_bib = 1
                WINDOW w AS (PARTITION BY l.source ORDER BY l.count DESC)
            )
            SELECT source,
                COUNT(*) AS works,
                SUM(count) AS total_citations,
                COALESCE(MAX(CASE WHEN count >= rk THEN rk END), 0) AS h_index,
                COALESCE(MAX(CASE WHEN running >= rk * rk THEN rk END), 0) AS g_index,
                SUM(CASE WHEN count >= 10 THEN 1 ELSE 0 END) AS i10_index,
                SUM(influential) AS influential_citations,
                MAX(retrieved_at) AS last_retrieved_at
            FROM ranked GROUP BY source;
        CREATE VIEW IF NOT EXISTS citations_per_year AS
            SELECT c.source, c.year, SUM(c.citations) AS citations,
                CASE WHEN MIN(c.basis) = MAX(c.basis) THEN MIN(c.basis)
                    ELSE MIN(c.basis) || '+' || MAX(c.basis) END AS basis
            FROM paper_citations_per_year c
            JOIN publications p ON p.key = c.publication_key AND p.in_bib = 1
            WHERE c.source NOT IN (
                SELECT g.source FROM profile_cites_per_year g
                JOIN latest_profile_metrics l
                    ON l.source = g.source AND l.profile_id = g.profile_id
            )
            GROUP BY c.source, c.year
            UNION ALL
            SELECT g.source, g.year, g.count AS citations, 'profile' AS basis
            FROM profile_cites_per_year g
            JOIN latest_profile_metrics l ON l.source = g.source AND l.profile_id = g.profile_id;
        """
    )


@migrations()
def m040_change_only_history(db: sqlite_utils.Database) -> None:
    """Store a count when it changed, plus the fact that it was checked.

    Before: one citations row per fetch, changed or not. After: one row per
    *span* of checks that saw the same value (``retrieved_at`` = the first
    check, ``checked_until`` = the last), the checks themselves in
    ``citation_checks`` (one row per source and sync), and the open span of
    each work and source in ``citations_latest`` (an O(works) lookup). Every
    fetch the old table held is still there (view ``citation_observations``),
    so "as of" dates, per-day series and every report read the same.
    """
    for view in HISTORY_VIEW_NAMES:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS citation_checks (
            id INTEGER PRIMARY KEY,          -- order of the checks (sync order)
            source TEXT NOT NULL,
            retrieved_at TEXT NOT NULL,
            sync_run_id INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_citation_checks_source
            ON citation_checks (source, retrieved_at, id);
        CREATE TABLE citations_spans_new (
            id INTEGER PRIMARY KEY,
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            count INTEGER NOT NULL,
            influential INTEGER,
            retrieved_at TEXT NOT NULL,      -- the first check that saw this value
            sync_run_id INTEGER,             -- the run of that first check
            first_check INTEGER NOT NULL,    -- citation_checks.id
            last_check INTEGER,              -- NULL while the span is open
            checked_until TEXT               -- retrieved_at of last_check
        );
        CREATE TABLE IF NOT EXISTS citations_latest (
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            citation_id INTEGER NOT NULL,    -- the open span in citations
            count INTEGER NOT NULL,
            influential INTEGER,
            first_check INTEGER NOT NULL,
            last_check INTEGER NOT NULL,
            checked_until TEXT NOT NULL,     -- the last check: the "as of" date
            PRIMARY KEY (publication_key, source)
        ) WITHOUT ROWID;
        """
    )
    conn = db.conn
    conn.execute(
        "INSERT INTO citation_checks (source, retrieved_at, sync_run_id)"
        " SELECT source, retrieved_at, MIN(sync_run_id) FROM citations"
        " GROUP BY source, retrieved_at ORDER BY retrieved_at, source"
    )
    check_of: dict[tuple[str, str], int] = {}
    previous: dict[int, int | None] = {}
    last_of_source: dict[str, int] = {}
    for check_id, source, retrieved_at in conn.execute(
        "SELECT id, source, retrieved_at FROM citation_checks ORDER BY id"
    ):
        check_of[(source, retrieved_at)] = check_id
        previous[check_id] = last_of_source.get(source)
        last_of_source[source] = check_id
    ts_of = {cid: ts for (_src, ts), cid in check_of.items()}

    spans: list[list[Any]] = []
    open_span: list[Any] | None = None

    def flush() -> None:
        """Write the spans gathered so far (in chunks: memory stays bounded)."""
        conn.executemany(
            "INSERT INTO citations_spans_new (publication_key, source, count, influential,"
            " retrieved_at, sync_run_id, first_check, last_check, checked_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            spans,
        )
        spans.clear()

    rows = conn.execute(
        "SELECT publication_key, source, count, influential, retrieved_at, sync_run_id"
        " FROM citations ORDER BY publication_key, source, retrieved_at, id"
    )
    for key, source, count, influential, retrieved_at, run_id in rows:
        check = check_of[(source, retrieved_at)]
        if (
            open_span is not None
            and open_span[0] == key
            and open_span[1] == source
            and open_span[2] == count
            and open_span[3] == influential
            and open_span[7] == previous[check]
        ):
            open_span[7] = check
            open_span[8] = ts_of[check]
            continue
        if open_span is not None:
            spans.append(open_span)
            if len(spans) >= 10_000:
                flush()
        open_span = [
            key,
            source,
            count,
            influential,
            retrieved_at,
            run_id,
            check,
            check,
            ts_of[check],
        ]
    if open_span is not None:
        spans.append(open_span)
    flush()
    db.executescript(
        """
        DROP TABLE citations;
        ALTER TABLE citations_spans_new RENAME TO citations;
        CREATE INDEX idx_citations_pub_source ON citations (publication_key, source, first_check);
        CREATE INDEX idx_citations_pub_source_time
            ON citations (publication_key, source, retrieved_at);
        INSERT INTO citations_latest (publication_key, source, citation_id, count, influential,
                first_check, last_check, checked_until)
            SELECT c.publication_key, c.source, c.id, c.count, c.influential, c.first_check,
                c.last_check, c.checked_until
            FROM citations c
            WHERE c.id = (SELECT c2.id FROM citations c2
                WHERE c2.publication_key = c.publication_key AND c2.source = c.source
                ORDER BY c2.first_check DESC, c2.id DESC LIMIT 1);
        UPDATE citations SET last_check = NULL, checked_until = NULL
            WHERE id IN (SELECT citation_id FROM citations_latest);
        -- Append-only: a span's value and first check never change; a span is
        -- closed once (last_check set from NULL) and never reopened. Nothing is deleted.
        CREATE TRIGGER citations_no_update
            BEFORE UPDATE OF id, publication_key, source, count, influential, retrieved_at,
                sync_run_id, first_check ON citations
            BEGIN SELECT RAISE(ABORT, 'citations is append-only'); END;
        CREATE TRIGGER citations_close_once
            BEFORE UPDATE OF last_check, checked_until ON citations
            WHEN OLD.last_check IS NOT NULL
            BEGIN SELECT RAISE(ABORT, 'citations is append-only'); END;
        CREATE TRIGGER citations_no_delete BEFORE DELETE ON citations
            BEGIN SELECT RAISE(ABORT, 'citations is append-only'); END;
        CREATE TRIGGER citation_checks_no_change BEFORE UPDATE ON citation_checks
            BEGIN SELECT RAISE(ABORT, 'citation_checks is append-only'); END;
        """
    )
    db.executescript(HISTORY_VIEWS)
    _create_dependent_views(db)


@migrations()
def m041_held_citations(db: sqlite_utils.Database) -> None:
    """Counts held back as implausible (a sharp drop): kept, never the latest value."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS held_citations (
            id INTEGER PRIMARY KEY,
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            count INTEGER NOT NULL,
            influential INTEGER,
            previous_count INTEGER,          -- the last good value, still published
            reason TEXT NOT NULL,
            retrieved_at TEXT NOT NULL,
            sync_run_id INTEGER
        );
        CREATE INDEX IF NOT EXISTS idx_held_citations
            ON held_citations (publication_key, source, id);
        CREATE TRIGGER IF NOT EXISTS held_citations_no_update BEFORE UPDATE ON held_citations
            BEGIN SELECT RAISE(ABORT, 'held_citations is append-only'); END;
        """
    )


@migrations()
def m042_citation_years(db: sqlite_utils.Database) -> None:
    """The first and last count of each calendar year a work was checked in, kept
    up to date by each sync (one upsert when a count changes or a year begins),
    so that citations per year read O(works x years) rows, not the history."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS citation_years (
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            year INTEGER NOT NULL,
            first_count INTEGER NOT NULL,    -- at the year's first check
            last_count INTEGER NOT NULL,     -- at its last check
            PRIMARY KEY (publication_key, source, year)
        ) WITHOUT ROWID;
        INSERT OR REPLACE INTO citation_years
            WITH check_years AS (
                SELECT DISTINCT source, substr(retrieved_at, 1, 4) AS year FROM citation_checks
            ),
            span_years AS (
                SELECT s.id, s.publication_key, s.source, y.year
                FROM citation_spans s
                JOIN check_years y ON y.source = s.source
                    AND y.year BETWEEN substr(s.retrieved_at, 1, 4)
                        AND substr(s.checked_until, 1, 4)
                WHERE y.year = substr(s.retrieved_at, 1, 4)
                    OR y.year = substr(s.checked_until, 1, 4)
                    OR EXISTS (
                        SELECT 1 FROM citation_checks e
                        WHERE e.source = s.source AND e.retrieved_at >= y.year
                            AND e.retrieved_at < printf('%04d', y.year + 1)
                            AND +e.id BETWEEN s.first_check AND s.last_check)
            ),
            per_year AS (
                SELECT publication_key, source, CAST(year AS INTEGER) AS year,
                    MAX(id) AS last_id, MIN(id) AS first_id
                FROM span_years GROUP BY publication_key, source, year
            )
            SELECT p.publication_key, p.source, p.year, f.count, l.count
            FROM per_year p
            JOIN citations l ON l.id = p.last_id
            JOIN citations f ON f.id = p.first_id;
        DROP VIEW IF EXISTS citations_per_year;
        DROP VIEW IF EXISTS paper_citations_per_year;
        -- Per paper, source and year: citations gained that year. basis
        -- 'counts_by_year' = the source's own per-year counts (OpenAlex), else
        -- 'history' = last count of the year minus last count of the previous
        -- checked year (first year tracked: minus its first count).
        CREATE VIEW paper_citations_per_year AS
            WITH history AS (
                SELECT publication_key, source, year,
                    last_count - COALESCE(LAG(last_count) OVER (
                        PARTITION BY publication_key, source ORDER BY year), first_count)
                        AS citations
                FROM citation_years
            )
            SELECT h.publication_key, h.source, h.year, h.citations, 'history' AS basis
            FROM history h
            WHERE NOT EXISTS (
                SELECT 1 FROM counts_by_year y
                WHERE y.publication_key = h.publication_key AND y.source = h.source
            )
            UNION ALL
            SELECT publication_key, source, year, count AS citations, 'counts_by_year' AS basis
            FROM counts_by_year;
        """
    )
    _create_dependent_views(db)


def daily_citations_sql(works: str | None = None, *, days: str | None = None) -> str:
    """Per work, source and day the source checked the work: the day's last count.
    Closed spans are read through an index on their last check, the open ones from
    citations_latest, so one day's rows do not scan the history.

    The one implementation of each work's daily counts: the ``daily_citations``
    view is this over every work; with ``works`` (a SELECT of publication keys) it
    reads only those works' spans, an index range each (`pubtrack plot`'s top
    papers: ``Store.daily_counts``); with ``days`` (a SELECT of ``publication_key,
    source, day`` rows) only those rows, each through its work's own spans (the
    page's sparklines: ``Store.recent_change_points``)."""
    check_days = """SELECT DISTINCT source, substr(retrieved_at, 1, 10) AS day
                FROM citation_checks"""
    closed, only_c, only_l = "c.checked_until", "", ""
    if works is not None:
        closed = "+c.checked_until"  # walk the works' own spans, not every span of a day
        only_c = f"\n                AND c.publication_key IN ({works})"
        only_l = f"\n                AND l.publication_key IN ({works})"
    if days is not None:
        check_days = f"SELECT publication_key, source, day FROM ({days})"
        closed = "+c.checked_until"
        only_c += "\n                AND c.publication_key = d.publication_key"
        only_l += "\n                AND l.publication_key = d.publication_key"
    return f"""WITH check_days AS (
                {check_days}
            )
            SELECT c.publication_key, c.source, d.day, c.count
            FROM check_days d
            JOIN citations c ON c.source = d.source AND {closed} >= d.day
                AND c.retrieved_at < date(d.day, '+1 day'){only_c}
            WHERE EXISTS (
                    SELECT 1 FROM citation_checks e
                    WHERE e.source = c.source AND e.retrieved_at >= d.day
                        AND e.retrieved_at < date(d.day, '+1 day')
                        AND +e.id BETWEEN c.first_check AND c.last_check)
                AND NOT EXISTS (
                    SELECT 1 FROM citations n
                    WHERE n.publication_key = c.publication_key AND n.source = c.source
                        AND n.id > c.id AND n.retrieved_at < date(d.day, '+1 day'))
            UNION ALL
            SELECT l.publication_key, l.source, d.day, l.count
            FROM check_days d
            JOIN citations_latest l ON l.source = d.source AND l.checked_until >= d.day{only_l}
            JOIN citations o ON o.id = l.citation_id
                AND o.retrieved_at < date(d.day, '+1 day')
            WHERE EXISTS (
                SELECT 1 FROM citation_checks e
                WHERE e.source = l.source AND e.retrieved_at >= d.day
                    AND e.retrieved_at < date(d.day, '+1 day')
                    AND +e.id BETWEEN l.first_check AND l.last_check)"""


# The daily_citations view (m043): daily_citations_sql over every work.
DAILY_CITATIONS_VIEW = "CREATE VIEW daily_citations AS " + daily_citations_sql()


@migrations()
def m043_daily_citations_by_day(db: sqlite_utils.Database) -> None:
    """daily_citations reads closed spans through an index on their last check and
    the open ones from citations_latest, so one day's rows do not scan the history."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS idx_citations_checked_until
            ON citations (source, checked_until);
        DROP VIEW IF EXISTS daily_citations;
        """
    )
    db.executescript(DAILY_CITATIONS_VIEW)


# --------------------------------------------------------------------------
# Store
# --------------------------------------------------------------------------


def daily_totals_sql(in_bib: str) -> str:
    """Per source and day the source was checked: how many of the works ``in_bib``
    (SQL over ``publications p``) selects had a count by then, and their total,
    each work with its latest count on or before that day (carried forward).

    The one implementation of the daily totals: the ``daily_totals`` view is this
    with the bib of the last sync (``p.in_bib = 1``); `pubtrack plot` runs it with
    the parsed bib's works (``Store.daily_totals``). It reads the per-day sums each
    sync keeps (``citation_day_totals``, m044: every work), minus what the works not
    selected contributed (read from their own spans, through citations_latest's
    keys: few rows), so it reads O(days) rows plus those few works."""
    return f"""WITH days AS (
            SELECT DISTINCT source, substr(retrieved_at, 1, 10) AS day FROM citation_checks
        ),
        outside AS (
            SELECT DISTINCT l.publication_key FROM citations_latest l
            WHERE NOT EXISTS (
                SELECT 1 FROM publications p WHERE p.key = l.publication_key AND {in_bib})
        ),
        outside_steps AS (
            SELECT c.source, substr(c.retrieved_at, 1, 10) AS day,
                c.count - COALESCE(LAG(c.count) OVER w, 0) AS delta,
                CASE WHEN LAG(c.count) OVER w IS NULL THEN 1 ELSE 0 END AS new_work
            FROM outside o JOIN citations c ON c.publication_key = o.publication_key
            WINDOW w AS (PARTITION BY c.publication_key, c.source ORDER BY c.id)
        ),
        outside_days AS (
            SELECT source, day, SUM(delta) AS delta, SUM(new_work) AS new_works
            FROM outside_steps GROUP BY source, day
        ),
        running AS (
            SELECT d.source, d.day,
                SUM(COALESCE(t.new_works, 0) - COALESCE(x.new_works, 0)) OVER w AS works,
                SUM(COALESCE(t.delta, 0) - COALESCE(x.delta, 0)) OVER w AS total_citations
            FROM days d
            LEFT JOIN citation_day_totals t ON t.source = d.source AND t.day = d.day
            LEFT JOIN outside_days x ON x.source = d.source AND x.day = d.day
            WINDOW w AS (PARTITION BY d.source ORDER BY d.day)
        )
        SELECT source, day, works, total_citations FROM running WHERE works > 0"""


# The daily_totals view (m044): daily_totals_sql over the bib of the last sync.
DAILY_TOTALS_VIEW = "CREATE VIEW daily_totals AS " + daily_totals_sql("p.in_bib = 1")


@migrations()
def m044_daily_totals_by_day(db: sqlite_utils.Database) -> None:
    """Per source and day, what the counts of every work changed by (kept by each
    sync), so daily_totals reads O(days) rows plus the few works not in the bib."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS citation_day_totals (
            source TEXT NOT NULL,
            day TEXT NOT NULL,
            delta INTEGER NOT NULL,      -- sum of (new count - previous count)
            new_works INTEGER NOT NULL,  -- works counted for the first time
            PRIMARY KEY (source, day)
        ) WITHOUT ROWID;
        INSERT OR REPLACE INTO citation_day_totals (source, day, delta, new_works)
            SELECT source, day, SUM(delta), SUM(new_work) FROM (
                SELECT c.source, substr(c.retrieved_at, 1, 10) AS day,
                    c.count - COALESCE(LAG(c.count) OVER w, 0) AS delta,
                    CASE WHEN LAG(c.count) OVER w IS NULL THEN 1 ELSE 0 END AS new_work
                FROM citations c
                WINDOW w AS (PARTITION BY c.publication_key, c.source ORDER BY c.id)
            ) GROUP BY source, day;
        DROP VIEW IF EXISTS daily_totals;
        """
    )
    db.executescript(DAILY_TOTALS_VIEW)


@migrations()
def m045_quiet_years(db: sqlite_utils.Database) -> None:
    """citation_years gets a row only when a count changes (or a work is first
    counted), so the first sync of a year adds no row per work; the years a work
    was checked without a change read as 0 here, as before."""
    db.executescript(
        """
        DROP VIEW IF EXISTS paper_citations_per_year;
        CREATE VIEW paper_citations_per_year AS
            WITH history AS (
                SELECT publication_key, source, year,
                    last_count - COALESCE(LAG(last_count) OVER (
                        PARTITION BY publication_key, source ORDER BY year), first_count)
                        AS citations
                FROM citation_years
            ),
            check_years AS (
                SELECT DISTINCT source, CAST(substr(retrieved_at, 1, 4) AS INTEGER) AS year
                FROM citation_checks
            ),
            tracked AS (
                SELECT publication_key, source, MIN(year) AS first_year
                FROM citation_years GROUP BY publication_key, source
            ),
            quiet AS (
                SELECT t.publication_key, t.source, c.year, 0 AS citations
                FROM tracked t
                JOIN citations_latest l
                    ON l.publication_key = t.publication_key AND l.source = t.source
                JOIN check_years c ON c.source = t.source AND c.year > t.first_year
                    AND c.year <= CAST(substr(l.checked_until, 1, 4) AS INTEGER)
                WHERE NOT EXISTS (
                    SELECT 1 FROM citation_years y
                    WHERE y.publication_key = t.publication_key AND y.source = t.source
                        AND y.year = c.year)
            ),
            all_years AS (
                SELECT * FROM history UNION ALL SELECT * FROM quiet
            )
            SELECT h.publication_key, h.source, h.year, h.citations, 'history' AS basis
            FROM all_years h
            WHERE NOT EXISTS (
                SELECT 1 FROM counts_by_year y
                WHERE y.publication_key = h.publication_key AND y.source = h.source
            )
            UNION ALL
            SELECT publication_key, source, year, count AS citations, 'counts_by_year' AS basis
            FROM counts_by_year;
        """
    )


@migrations()
def m060_key_renames(db: sqlite_utils.Database) -> None:
    """Renamed bib keys (same work, same ids): the history follows the work (issue 10)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS key_renames ("
        " old_key TEXT NOT NULL, new_key TEXT NOT NULL, renamed_at TEXT NOT NULL,"
        " PRIMARY KEY (old_key, new_key))"
    )


class _Table:
    """``db[name]``: what the Store and tests ask of a table."""

    def __init__(self, db: _Connection, name: str) -> None:
        self.db, self.name = db, name

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    @property
    def count(self) -> int:
        return int(self.db.execute(f'SELECT count(*) FROM "{self.name}"').fetchone()[0])


class _Cursor:
    """The rows of one statement, with the errors of reading them translated too:
    SQLite reads a table's pages as the rows are stepped through, so a damaged page
    (or a lock, a vanished file) fails after ``execute`` returned, while the caller
    iterates. Those errors are ``StorageError`` naming the file, as ``execute``'s."""

    __slots__ = ("_cursor", "_db")

    def __init__(self, cursor: sqlite3.Cursor, db: _Connection) -> None:
        self._cursor = cursor
        self._db = db

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._cursor
        except sqlite3.Error as exc:
            raise self._db.error(exc) from exc

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except sqlite3.Error as exc:
            raise self._db.error(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()
        except sqlite3.Error as exc:
            raise self._db.error(exc) from exc


class _Connection:
    """The Store's SQLite connection: plain ``sqlite3`` (autocommit, explicit
    transactions), rows as dicts from ``query``, and every ``sqlite3.Error``
    raised as a ``DatabaseError`` that names the file, whether it comes while
    executing a statement or while fetching its rows (``_Cursor``)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self.path = path
        self._savepoints = 0

    def error(self, exc: sqlite3.Error) -> StorageError:
        where = str(self.path) if self.path else "database"
        return StorageError(f"{where}: {explain(exc)}")

    @property
    def conn(self) -> _Connection:
        return self  # ``db.conn.executemany(...)`` reads as before, errors translated

    def execute(self, sql: str, params: Any = ()) -> _Cursor:
        try:
            return _Cursor(self._conn.execute(sql, params or ()), self)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Any]) -> _Cursor:
        try:
            return _Cursor(self._conn.executemany(sql, rows), self)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def executescript(self, sql: str) -> _Cursor:
        try:
            return _Cursor(self._conn.executescript(sql), self)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def query(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        """The rows as dicts (fetched as the caller iterates)."""
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError(f"query() is for statements that return rows: {sql[:60]!r}")
        names = [d[0] for d in cursor.description]
        return (dict(zip(names, row, strict=True)) for row in cursor)

    def table_names(self) -> list[str]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [r[0] for r in rows.fetchall()]

    def view_names(self) -> list[str]:
        rows = self.execute("SELECT name FROM sqlite_master WHERE type = 'view'")
        return [r[0] for r in rows.fetchall()]

    def __getitem__(self, name: str) -> _Table:
        return _Table(self, name)

    @property
    def journal_mode(self) -> str:
        return str(self.execute("PRAGMA journal_mode").fetchone()[0])

    def iterdump(self) -> Iterator[str]:
        try:
            yield from self._conn.iterdump()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    @contextmanager
    def atomic(self) -> Iterator[_Connection]:
        """A transaction; nested blocks are savepoints (as sqlite-utils' ``atomic``)."""
        try:
            if self._conn.in_transaction:
                self._savepoints += 1
                name = f"pubtrack_{self._savepoints}"
                self._conn.execute(f"SAVEPOINT {name}")
                try:
                    yield self
                except BaseException:
                    if self._conn.in_transaction:  # a fatal error may have ended it
                        self._conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
                        self._conn.execute(f"RELEASE SAVEPOINT {name}")
                    raise
                else:
                    self._conn.execute(f"RELEASE SAVEPOINT {name}")
            else:
                self._conn.execute("BEGIN")
                try:
                    yield self
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                else:
                    try:
                        self._conn.execute("COMMIT")
                    except BaseException:
                        if self._conn.in_transaction:
                            self._conn.execute("ROLLBACK")
                        raise
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def close(self) -> None:
        try:
            self._conn.close()
        except sqlite3.Error as exc:
            raise self.error(exc) from exc


def _migrate(conn: sqlite3.Connection, path: Path | None = None) -> None:
    """Apply the migrations (the one place sqlite-utils is used). A database that
    was created or upgraded ends with ``publication_metrics`` built from the source
    registry, as sync keeps it: the migrations' own view names the built-in sources
    of their day, frozen; a plugin's column is there before the first sync."""
    if not migrations.pending_names(conn):
        return
    import sqlite_utils

    migrations.apply(sqlite_utils.Database(conn))
    _use_citation_sources(_Connection(conn, path), _registry_citation_sources())


def _registry_citation_sources() -> tuple[str, ...]:
    """The installed sources that count citations, in column order (the registry,
    read here only when a database was just migrated)."""
    from pubtrack.sources.registry import registry

    return registry().citation_sources


# The columns publication_metrics gives every work besides one per source: no
# source may take these names (the registry refuses them).
METRICS_FIXED_COLUMNS = ("key", "title", "year", "in_bib", "max_citations", "last_retrieved_at")


def publication_metrics_view(sources: Iterable[str]) -> str:
    """``CREATE VIEW publication_metrics``: per work, the latest count of each of
    ``sources`` (one column each, in that order), the largest and the last fetch."""
    columns = "".join(
        f"\n                MAX(CASE WHEN l.source = '{n}' THEN l.count END) AS \"{n}\","
        for n in _column_names(sources)
    )
    return f"""CREATE VIEW publication_metrics AS
            SELECT p.key, p.title, p.year, p.in_bib,{columns}
                MAX(l.count) AS max_citations,
                MAX(l.retrieved_at) AS last_retrieved_at
            FROM publications p
            LEFT JOIN latest_citations l ON l.publication_key = p.key
            GROUP BY p.key"""


def _column_names(sources: Iterable[str]) -> list[str]:
    """The source names usable as column names, once each, in order (quoted in the
    view: a source may be called ``order``)."""
    return [
        s
        for s in dict.fromkeys(sources)
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) and s.lower() not in METRICS_FIXED_COLUMNS
    ]


def _use_citation_sources(db: _Connection, sources: Iterable[str]) -> None:
    """Rebuild ``publication_metrics`` for ``sources`` when its columns differ (one
    transaction); the one place the view is made from the registry's list."""
    wanted = publication_metrics_view(sources)
    (current,) = db.execute(
        "SELECT coalesce(max(sql), '') FROM sqlite_master"
        " WHERE type = 'view' AND name = 'publication_metrics'"
    ).fetchone()
    if " ".join(current.replace("IF NOT EXISTS ", "").split()) == " ".join(wanted.split()):
        return
    with db.atomic():
        db.execute("DROP VIEW IF EXISTS publication_metrics")
        db.execute(wanted)


class Store:
    """The project's SQLite database (WAL mode, migrated on open)."""

    def __init__(self, db: _Connection, path: Path | None) -> None:
        self.db = db
        self.path = path
        # Which works count, as SQL over ``publications p``: those in the bib at
        # the last sync, until ``count_only`` names the parsed bib's works.
        self._in_bib = "p.in_bib = 1"

    def count_only(self, keys: Iterable[str]) -> None:
        """Reads count the works ``keys`` (the parsed bib's, as render does) instead
        of ``publications.in_bib``: an entry removed from the bib stops counting
        without a sync. Written into the SQL as a JSON literal, so a read-only
        connection needs no table; the views keep reading ``in_bib``."""
        literal = json.dumps(sorted(set(keys))).replace("'", "''")  # ASCII: json escapes
        self._in_bib = f"p.key IN (SELECT value FROM json_each('{literal}'))"

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, timeout: float = 30.0) -> Store:
        """Open (and migrate) the database; ``timeout`` bounds the wait for a lock."""
        path = Path(path)
        if not create and not path.exists():
            raise DatabaseError(f"{path}: no database yet (run `pubtrack sync` first)")
        conn: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            _migrate(conn, path)
        except (sqlite3.DatabaseError, StorageError, OSError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StorageError):
                raise  # (it names the file)
            if isinstance(exc, OSError):
                raise DatabaseError(f"{path}: cannot create database: {exc.strerror}") from None
            raise DatabaseError(f"{path}: cannot open database: {explain(exc)}") from None
        return cls(_Connection(conn, path), path)

    @classmethod
    def open_readonly(cls, path: str | Path, *, timeout: float = 5.0) -> Store:
        """Read-only access (no migration, no WAL switch, nothing created): the read
        commands work on a read-only file or directory and never change the database.

        ``mode=ro`` first (sees a running sync's committed data); where SQLite cannot
        even create its shared-memory file (a read-only directory holding a WAL
        database), ``immutable=1``: nobody can write there anyway.
        """
        path = Path(path)
        if not path.is_file():
            what = "is not a file" if path.exists() else "no database yet (run `pubtrack sync`)"
            raise DatabaseError(f"{path}: {what}")
        uri = path.resolve().as_uri()
        last: sqlite3.Error | None = None
        for query in ("mode=ro", "mode=ro&immutable=1"):
            conn = None
            try:
                conn = sqlite3.connect(
                    f"{uri}?{query}", uri=True, timeout=timeout, isolation_level=None
                )
                conn.execute("PRAGMA query_only = 1")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
                if migrations.pending_names(conn):
                    # An older layout we may not upgrade in place: read an upgraded
                    # copy in memory (the file is never written).
                    memory = sqlite3.connect(":memory:", isolation_level=None)
                    conn.backup(memory)
                    conn.close()
                    conn = memory
                    _migrate(conn, path)
                return cls(_Connection(conn, path), path)
            except sqlite3.Error as exc:
                last = exc
                if conn is not None:
                    conn.close()
                text = str(exc).lower()
                if "locked" in text or "not a database" in text or "malformed" in text:
                    break  # immutable would read a half-written or garbage file
        reason = str(last)
        if "locked" in reason:
            reason += " (another process holds it; try again when it is done)"
        raise DatabaseError(f"{path}: cannot read the database: {reason}")

    @classmethod
    def memory(cls) -> Store:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        _migrate(conn)
        return cls(_Connection(conn, None), None)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; nests as a savepoint."""
        with self.db.atomic():
            yield

    # -- per-source views ----------------------------------------------------

    def use_citation_sources(self, sources: Iterable[str]) -> None:
        """``publication_metrics`` has one column per source that counts citations,
        plugins included (the registry's list, given by sync): rebuilt when its
        columns differ, so a newly installed source shows up in the view."""
        _use_citation_sources(self.db, sources)

    # -- bib -> tables ----------------------------------------------------

    def sync_library(self, library: Library) -> None:
        """Mirror the bib files: upsert present entries, flag removed ones.

        Removed entries keep their rows (in_bib = 0) so their citation history
        survives; they disappear from rendered output.
        """
        now = utcnow()
        self.follow_renames(library)
        pub_rows = [
            {
                "key": w.key,
                "entry_type": w.entry_type,
                "kind": w.kind,
                "title": plain(w.title),
                "authors": json.dumps([a.display for a in w.authors], ensure_ascii=False),
                "year": w.year,
                "month": w.month,
                "day": w.day,
                "venue": plain(w.venue),
                "award": w.award,
                "arxiv": w.ids.arxiv,
                "doi": w.ids.doi,
                "semantic_scholar": w.ids.semantic_scholar,
                "openalex": w.ids.openalex,
                "selected": int(w.selected),
                "source_file": w.location.file if w.location else None,
                "line": w.location.line if w.location else None,
                "in_bib": 1,
                "first_seen": now,
                "updated_at": now,
            }
            for w in library.works
        ]
        talk_rows = [
            {
                "key": t.key,
                "title": plain(t.title),
                "event": plain(t.event),
                "date": t.date.isoformat() if t.date else (str(t.year) if t.year else None),
                "location": t.location_name,
                "publication_key": t.publication,
                "source_file": t.location.file if t.location else None,
                "line": t.location.line if t.location else None,
                "in_bib": 1,
                "first_seen": now,
                "updated_at": now,
            }
            for t in library.talks
        ]
        with self.transaction():
            self._mirror("publications", pub_rows)
            self._mirror("talks", talk_rows)

    def _mirror(self, table: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            columns = list(rows[0])
            updates = ", ".join(
                f"{c} = excluded.{c}" for c in columns if c not in ("key", "first_seen")
            )
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)}) "
                f"ON CONFLICT(key) DO UPDATE SET {updates}"
            )
            self.db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        # The upsert set in_bib = 1 on every present row; flag the others in one
        # statement (render mirrors a 10,000-entry bib: one UPDATE, not 10,000).
        keys = json.dumps([r["key"] for r in rows])
        self.db.execute(
            f"UPDATE {table} SET in_bib = 0"
            " WHERE in_bib = 1 AND key NOT IN (SELECT value FROM json_each(?))",
            [keys],
        )

    # -- citations -----------------------------------------------------------

    def record_citations(self, counts: Iterable[CitationCount], run_id: int | None = None) -> int:
        """Add fetched counts to the history. Callers never pass a failure as a count.

        Counts of one source fetched at one time are one *check* (a
        ``citation_checks`` row). A count equal to the work's open span, which
        was also seen at the source's previous check, extends that span (only
        ``citations_latest`` changes); anything else closes the open span and
        starts a new one. Call inside a transaction (sync holds one per source).
        """
        groups: dict[tuple[str, str], list[CitationCount]] = {}
        for c in counts:
            groups.setdefault((c.source, c.retrieved_at), []).append(c)
        with self.transaction():
            for (source, retrieved_at), group in groups.items():
                self._record_check(source, retrieved_at, group, run_id)
        return sum(len(g) for g in groups.values())

    def _record_check(
        self, source: str, retrieved_at: str, group: list[CitationCount], run_id: int | None
    ) -> None:
        conn = self.db.conn
        previous = conn.execute(
            "SELECT MAX(id) FROM citation_checks WHERE source = ?", [source]
        ).fetchone()[0]
        check = conn.execute(
            "INSERT INTO citation_checks (source, retrieved_at, sync_run_id) VALUES (?, ?, ?)",
            [source, retrieved_at, run_id],
        ).lastrowid
        latest = self._latest_spans(source, [c.publication_key for c in group])
        extend: list[tuple[Any, ...]] = []
        years: list[tuple[Any, ...]] = []  # (key, source, year, count, count) to upsert
        delta = new_works = 0  # this check's change to the day's totals
        for c in group:
            key, count = c.publication_key, int(c.count)
            open_span = latest.get(key)
            if (
                open_span is not None
                and open_span[1] == count
                and open_span[2] == c.influential
                and open_span[3] == previous
                and retrieved_at >= open_span[4]
            ):
                # Unchanged: no citation_years row either (a quiet year reads as 0 in
                # paper_citations_per_year), so a new year does not add a row per work.
                extend.append((check, retrieved_at, key, source))
                latest[key] = (open_span[0], count, c.influential, check, retrieved_at)
                continue
            if open_span is not None:
                conn.execute(
                    "UPDATE citations SET last_check = ?, checked_until = ? WHERE id = ?",
                    [open_span[3], open_span[4], open_span[0]],
                )
                delta += count - open_span[1]
            else:
                delta += count
                new_works += 1
            span_id = conn.execute(
                "INSERT INTO citations (publication_key, source, count, influential,"
                " retrieved_at, sync_run_id, first_check) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [key, source, count, c.influential, retrieved_at, run_id, check],
            ).lastrowid
            conn.execute(
                "INSERT INTO citations_latest (publication_key, source, citation_id, count,"
                " influential, first_check, last_check, checked_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(publication_key, source) DO UPDATE"
                " SET citation_id = excluded.citation_id, count = excluded.count,"
                " influential = excluded.influential, first_check = excluded.first_check,"
                " last_check = excluded.last_check, checked_until = excluded.checked_until",
                [key, source, span_id, count, c.influential, check, check, retrieved_at],
            )
            latest[key] = (span_id, count, c.influential, check, retrieved_at)
            # The year's first count: the old value if it was already checked this year.
            if open_span is not None and open_span[4][:4] == retrieved_at[:4]:
                first = open_span[1]  # the year's first count: already checked this year
            else:
                first = count
            years.append((key, source, int(retrieved_at[:4]), first, count))
        conn.executemany(
            "UPDATE citations_latest SET last_check = ?, checked_until = ?"
            " WHERE publication_key = ? AND source = ?",
            extend,
        )
        conn.executemany(
            "INSERT INTO citation_years (publication_key, source, year, first_count, last_count)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(publication_key, source, year)"
            " DO UPDATE SET last_count = excluded.last_count",
            years,
        )
        self._add_day_totals([(source, retrieved_at[:10], delta, new_works)])

    def _add_day_totals(self, rows: list[tuple[str, str, int, int]]) -> None:
        self.db.conn.executemany(
            "INSERT INTO citation_day_totals (source, day, delta, new_works) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(source, day) DO UPDATE SET delta = delta + excluded.delta,"
            " new_works = new_works + excluded.new_works",
            rows,
        )

    def _latest_spans(self, source: str, keys: list[str]) -> dict[str, tuple[Any, ...]]:
        """{key: (span id, count, influential, last_check, checked_until)} of open spans."""
        out: dict[str, tuple[Any, ...]] = {}
        wanted = set(keys)
        if len(wanted) > 500:  # most of the source: one pass over its latest rows
            rows = self.db.execute(
                "SELECT publication_key, citation_id, count, influential, last_check,"
                " checked_until FROM citations_latest WHERE source = ?",
                [source],
            )
        else:
            rows = self.db.execute(
                "SELECT publication_key, citation_id, count, influential, last_check,"
                " checked_until FROM citations_latest WHERE source = ?"
                " AND publication_key IN (SELECT value FROM json_each(?))",
                [source, json.dumps(sorted(wanted))],
            )
        for key, *rest in rows.fetchall():
            if key in wanted:
                out[key] = tuple(rest)
        return out

    def latest_citations(self) -> dict[str, dict[str, CitationCount]]:
        """{publication_key: {source: latest good count}}, "as of" its last check."""
        result: dict[str, dict[str, CitationCount]] = {}
        rows = self.db.execute(
            "SELECT publication_key, source, count, influential, checked_until"
            " FROM citations_latest"
        )
        for key, source, count, influential, retrieved_at in rows:
            result.setdefault(key, {})[source] = CitationCount(
                key, source, count, retrieved_at, influential=influential
            )
        return result

    def latest_counts(self, source: str) -> dict[str, int]:
        """{publication_key: latest good count} of one source (the drop check reads it)."""
        rows = self.db.execute(
            "SELECT publication_key, count FROM citations_latest WHERE source = ?", [source]
        )
        return dict(rows.fetchall())

    def citation_history(self, key: str | None = None) -> list[dict[str, Any]]:
        """Every check (one row per fetch, as before change-only storage)."""
        return list(self.iter_observations(key=key, in_bib_only=False))

    def iter_observations(
        self,
        *,
        key: str | None = None,
        source: str | None = None,
        in_bib_only: bool = True,
        source_order: Iterable[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every check of every count, streamed: per publication_key, then source (in
        ``source_order`` first, then by name), oldest check first. ``key`` reads only
        that work's rows (an index range)."""
        where: list[str] = []
        params: list[Any] = []
        sql = (
            "SELECT s.publication_key, s.source, s.count, s.influential, e.retrieved_at"
            " FROM citation_spans s"
        )
        if in_bib_only:
            sql += f" JOIN publications p ON p.key = s.publication_key AND {self._in_bib}"
        sql += (
            " JOIN citation_checks e ON e.source = s.source"
            " AND e.id BETWEEN s.first_check AND s.last_check"
        )
        if key is not None:
            where.append("s.publication_key = ?")
            params.append(key)
        if source is not None:
            where.append("s.source = ?")
            params.append(source)
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = list(source_order)
        rank = (
            "CASE s.source "
            + " ".join(f"WHEN ? THEN {i}" for i in range(len(order)))
            + f" ELSE {len(order)} END, "
            if order
            else ""
        )
        sql += f" ORDER BY s.publication_key, {rank}s.source, s.id, e.id"
        cursor = self.db.execute(sql, [*params, *order])
        columns = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    def iter_spans(
        self, *, key: str | None = None, source: str | None = None, in_bib_only: bool = True
    ) -> Iterator[tuple[Any, ...]]:
        """The change-only history, streamed: (publication_key, source, count, influential,
        retrieved_at, checked_until, first_check, last_check) per span, oldest first
        per (publication_key, source)."""
        sql = (
            "SELECT s.publication_key, s.source, s.count, s.influential, s.retrieved_at,"
            " s.checked_until, s.first_check, s.last_check FROM citation_spans s"
        )
        where: list[str] = []
        params: list[Any] = []
        if in_bib_only:
            sql += f" JOIN publications p ON p.key = s.publication_key AND {self._in_bib}"
        if key is not None:
            where.append("s.publication_key = ?")
            params.append(key)
        if source is not None:
            where.append("s.source = ?")
            params.append(source)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY s.publication_key, s.source, s.id"
        yield from self.db.execute(sql, params)

    def check_times(self) -> dict[str, tuple[list[int], list[str]]]:
        """{source: ([check ids], [retrieved_at])} in check order: one entry per source
        and sync, so small; expands a span into the checks it stands for."""
        out: dict[str, tuple[list[int], list[str]]] = {}
        for check_id, source, retrieved_at in self.db.execute(
            "SELECT id, source, retrieved_at FROM citation_checks ORDER BY id"
        ):
            ids, times = out.setdefault(source, ([], []))
            ids.append(check_id)
            times.append(retrieved_at)
        return out

    def counts_at(self, when: str) -> Iterator[tuple[Any, ...]]:
        """Per (publication_key, source) in the bib: (key, source, latest count, its "as of",
        count as recorded at or before ``when`` or None, first check after ``when``)."""
        yield from self.db.execute(
            "SELECT l.publication_key, l.source, l.count, l.checked_until,"
            " (SELECT c.count FROM citations c WHERE c.publication_key = l.publication_key"
            "  AND c.source = l.source AND c.retrieved_at <= :when"
            "  ORDER BY c.retrieved_at DESC, c.id DESC LIMIT 1),"
            " (SELECT MIN(c.retrieved_at) FROM citations c"
            "  WHERE c.publication_key = l.publication_key AND c.source = l.source"
            "  AND c.retrieved_at > :when)"
            " FROM citations_latest l"
            f" JOIN publications p ON p.key = l.publication_key AND {self._in_bib}"
            " ORDER BY l.publication_key, l.source",
            {"when": when},
        )

    def figures_of(self, counts: Iterable[tuple[str, int]]) -> dict[str, dict[str, Any]]:
        """{source: works, total_citations, h_index, g_index, i10_index, ...} of a
        snapshot given as ``(source, count)`` pairs (one per work): ``figures_sql``,
        the view's query, over counts the database holds no view of (a sync's
        before and after, the counts at the `changes` cutoff)."""
        pairs = json.dumps([[source, int(count)] for source, count in counts])
        sql = figures_sql(
            "SELECT json_extract(value, '$[0]') AS source,"
            " json_extract(value, '$[1]') AS count, 0 AS influential,"
            " NULL AS retrieved_at FROM json_each(?)"
        )
        return {row["source"]: row for row in self.db.query(sql, [pairs])}

    def source_totals(self, source: str | None = None) -> dict[str, dict[str, Any]]:
        """{source: works, total_citations, h_index, g_index, i10_index,
        influential_citations, last_retrieved_at}: the ``source_totals`` view, the
        one implementation of these figures (``pubtrack stats`` reads it too)."""
        sql = "SELECT * FROM source_totals"
        if self._in_bib != "p.in_bib = 1":  # the parsed bib's works: the view's query
            sql = "SELECT * FROM (" + figures_sql(_latest_counts(self._in_bib)) + ")"
        params: list[Any] = []
        if source is not None:
            sql += " WHERE source = ?"
            params.append(source)
        return {row["source"]: row for row in self.db.query(sql, params)}

    def recent_daily_counts(self, source: str, points: int) -> dict[str, list[int]]:
        """{key: [count, ...]}: each work's last count on each of the last ``points``
        days it was checked, oldest first (works in the bib): the sparklines, in one
        query over ``daily_citations``."""
        out: dict[str, list[int]] = {}
        rows = self.db.execute(
            "SELECT publication_key, count FROM ("
            " SELECT d.publication_key, d.day, d.count, ROW_NUMBER() OVER"
            "  (PARTITION BY d.publication_key ORDER BY d.day DESC) AS recent"
            " FROM daily_citations d"
            f" JOIN publications p ON p.key = d.publication_key AND {self._in_bib}"
            " WHERE d.source = ?)"
            " WHERE recent <= ? ORDER BY publication_key, day",
            [source, points],
        )
        for key, count in rows:
            out.setdefault(key, []).append(count)
        return out

    def recent_change_points(self, points: int) -> dict[str, dict[str, list[tuple[str, int]]]]:
        """{key: {source: [(day, count), ...]}}: per work (in the bib) and source, the
        last ``points`` days on which its daily count (``daily_citations``) differed
        from the day checked before, oldest first; its first day counts as a change.
        The page's sparklines, in one query.

        A count can only change on a day one of the work's spans starts, and on such
        a day the previous checked day's count is the previous such day's, so the
        view's query (``daily_citations_sql``) is read on those days only: O(spans),
        not one row per work and checked day."""
        starts = (
            "SELECT DISTINCT c.publication_key, c.source, substr(c.retrieved_at, 1, 10) AS day"
            " FROM citations c"
            f" JOIN publications p ON p.key = c.publication_key AND {self._in_bib}"
        )
        sql = f"""WITH daily AS ({daily_citations_sql(days=starts)}),
            moves AS (
                SELECT publication_key, source, day, count,
                    LAG(count) OVER (PARTITION BY publication_key, source ORDER BY day)
                        AS before
                FROM daily
            ),
            changes AS (
                SELECT publication_key, source, day, count, ROW_NUMBER() OVER
                    (PARTITION BY publication_key, source ORDER BY day DESC) AS recent
                FROM moves WHERE before IS NULL OR before != count
            )
            SELECT publication_key, source, day, count FROM changes WHERE recent <= ?
            ORDER BY publication_key, source, day"""
        out: dict[str, dict[str, list[tuple[str, int]]]] = {}
        for key, source, day, count in self.db.execute(sql, [points]):
            out.setdefault(key, {}).setdefault(source, []).append((day, count))
        return out

    def daily_totals(self, source: str | None = None) -> dict[str, list[tuple[str, int, int]]]:
        """{source: [(day, works, total_citations), ...]} oldest first: the
        ``daily_totals`` view, or its query (``daily_totals_sql``) over the parsed
        bib's works once ``count_only`` named them. `pubtrack plot` draws these."""
        sql = "SELECT source, day, works, total_citations FROM daily_totals"
        if self._in_bib != "p.in_bib = 1":  # the parsed bib's works: the view's query
            sql = f"SELECT * FROM ({daily_totals_sql(self._in_bib)})"
        params: list[Any] = []
        if source is not None:
            sql += " WHERE source = ?"
            params.append(source)
        out: dict[str, list[tuple[str, int, int]]] = {}
        for src, day, works, total in self.db.execute(sql + " ORDER BY source, day", params):
            out.setdefault(src, []).append((day, works, total))
        return out

    def daily_counts(self, source: str, keys: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        """{key: [(day, count), ...]} oldest first: the ``daily_citations`` view's query
        (each work's last count of every day its source checked it) over the works
        ``keys`` only (``daily_citations_sql``: their own spans, not the whole history)."""
        out: dict[str, list[tuple[str, int]]] = {key: [] for key in keys}
        works = daily_citations_sql("SELECT value FROM json_each(:keys)")
        rows = self.db.execute(
            f"SELECT publication_key, day, count FROM ({works}) WHERE source = :source"
            " ORDER BY publication_key, day",
            {"source": source, "keys": json.dumps(sorted(out))},
        )
        for key, day, count in rows:
            out[key].append((day, count))
        return out

    def sources_with_counts(self) -> set[str]:
        """Sources holding a count for some work in the bib."""
        return {
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT l.source FROM citations_latest l"
                f" JOIN publications p ON p.key = l.publication_key AND {self._in_bib}"
            )
        }

    def paper_counts(
        self, week_ago: str, month_ago: str, *, source: str | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Per work in the bib and source: (key, source, count, influential, as of,
        count at ``week_ago``, count at ``month_ago``): O(works) index lookups."""
        at = (
            "(SELECT c.count FROM citations c WHERE c.publication_key = l.publication_key"
            " AND c.source = l.source AND c.retrieved_at <= {}"
            " ORDER BY c.retrieved_at DESC, c.id DESC LIMIT 1)"
        )
        sql = (
            "SELECT l.publication_key, l.source, l.count, l.influential, l.checked_until, "
            + at.format(":week")
            + ", "
            + at.format(":month")
            + " FROM citations_latest l"
            f" JOIN publications p ON p.key = l.publication_key AND {self._in_bib}"
        )
        params: dict[str, Any] = {"week": week_ago, "month": month_ago}
        if source is not None:
            sql += " WHERE l.source = :source"
            params["source"] = source
        yield from self.db.execute(sql + " ORDER BY l.source, l.publication_key", params)

    def citations_per_year(self, source: str | None = None) -> list[dict[str, Any]]:
        """The ``citations_per_year`` view (per source and year, works in the bib)."""
        sql = "SELECT source, year, citations, basis FROM citations_per_year"
        if self._in_bib != "p.in_bib = 1" and "citations_per_year" in self.db.view_names():
            # The parsed bib's works: the view's own query (citations_per_year_sql).
            sql = f"SELECT * FROM ({citations_per_year_sql(self._in_bib)})"
        elif "citations_per_year" not in self.db.view_names():  # no profile tables (read-only)
            sql = (
                "SELECT c.source, c.year, SUM(c.citations) AS citations,"
                " CASE WHEN MIN(c.basis) = MAX(c.basis) THEN MIN(c.basis)"
                " ELSE MIN(c.basis) || '+' || MAX(c.basis) END AS basis"
                " FROM paper_citations_per_year c"
                f" JOIN publications p ON p.key = c.publication_key AND {self._in_bib}"
                " GROUP BY c.source, c.year"
            )
            sql = f"SELECT * FROM ({sql})"
        params: list[Any] = []
        if source is not None:
            sql += " WHERE source = ?"
            params.append(source)
        return list(self.db.query(sql + " ORDER BY source, year", params))

    def record_held(
        self,
        held: Iterable[tuple[CitationCount, int | None, str]],
        run_id: int | None = None,
    ) -> int:
        """Counts held back as implausible: (count, last good value, reason)."""
        rows = [
            (
                c.publication_key,
                c.source,
                int(c.count),
                c.influential,
                previous,
                reason,
                c.retrieved_at,
                run_id,
            )
            for c, previous, reason in held
        ]
        self.db.conn.executemany(
            "INSERT INTO held_citations (publication_key, source, count, influential,"
            " previous_count, reason, retrieved_at, sync_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def held_citations(self, run_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM held_citations"
        params: list[Any] = []
        if run_id is not None:
            sql += " WHERE sync_run_id = ?"
            params.append(run_id)
        return list(self.db.query(sql + " ORDER BY id", params))

    # -- per-source state (freshness, metadata) -------------------------------

    def source_records(self, source: str) -> dict[str, dict[str, Any]]:
        rows = self.db.query("SELECT * FROM source_records WHERE source = ?", [source])
        out = {}
        for row in rows:
            row["data"] = json.loads(row["data"]) if row["data"] else {}
            out[row["publication_key"]] = row
        return out

    def all_source_records(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{publication_key: {source: record}}, for render and identity checks."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.db.query("SELECT * FROM source_records"):
            row["data"] = json.loads(row["data"]) if row["data"] else {}
            out.setdefault(row["publication_key"], {})[row["source"]] = row
        return out

    def external_ids(self, sources: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
        """{publication_key: {source: external id}} (of ``sources``, else every source):
        the ids render shows, without the cost of decoding every record's JSON data."""
        sql = "SELECT publication_key, source, external_id FROM source_records"
        sql += " WHERE external_id IS NOT NULL"
        names = [] if sources is None else list(sources)
        if sources is not None:
            sql += f" AND source IN ({', '.join('?' for _ in names)})"
        out: dict[str, dict[str, str]] = {}
        rows = self.db.execute(sql, names)
        for key, source, external_id in rows.fetchall():
            out.setdefault(key, {})[source] = external_id
        return out

    def save_source_record(
        self,
        publication_key: str,
        source: str,
        *,
        status: str,
        external_id: str | None = None,
        data: dict[str, Any] | None = None,
        fetched_at: str | None = None,
        bib_ids: str | None = None,
        lookup_id: str | None = None,
    ) -> None:
        """A successful answer (found / not found / unresolved) for one work, with the
        sync's bookkeeping beside it: the bib's ids at the time (a change means "look
        it up again") and the id the source was asked with."""
        now = fetched_at or utcnow()
        self.db.execute(
            "INSERT INTO source_records (publication_key, source, external_id, status, data,"
            " fetched_at, last_error, last_attempt_at, bib_ids, lookup_id)"
            " VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"
            " ON CONFLICT(publication_key, source) DO UPDATE SET"
            " external_id = COALESCE(excluded.external_id, source_records.external_id),"
            " status = excluded.status,"
            " data = COALESCE(excluded.data, source_records.data),"
            " fetched_at = excluded.fetched_at, last_error = NULL,"
            " last_attempt_at = excluded.last_attempt_at,"
            " bib_ids = COALESCE(excluded.bib_ids, source_records.bib_ids),"
            " lookup_id = excluded.lookup_id",
            [
                publication_key,
                source,
                external_id,
                status,
                json.dumps(data, ensure_ascii=False, sort_keys=True) if data is not None else None,
                now,
                now,
                bib_ids,
                lookup_id,
            ],
        )

    def save_source_error(self, publication_key: str, source: str, error: str) -> None:
        """A failed attempt: keep the earlier data and fetched_at untouched."""
        now = utcnow()
        self.db.execute(
            "INSERT INTO source_records (publication_key, source, status, last_error,"
            " last_attempt_at) VALUES (?, ?, 'error', ?, ?)"
            " ON CONFLICT(publication_key, source) DO UPDATE SET"
            " last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at",
            [publication_key, source, error, now],
        )

    # -- learned ids and conflicts (issue 9) ---------------------------------
    def learned_ids(self) -> dict[str, list[dict[str, Any]]]:
        """{publication_key: [rows of learned_ids]} (kind, value, source, verified, ...)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.db.query(
            "SELECT publication_key, kind, value, source, learned_at, run_id, request, verified"
            " FROM learned_ids ORDER BY publication_key, kind, source"
        ):
            out.setdefault(row["publication_key"], []).append(row)
        return out

    def learn_ids(
        self,
        publication_key: str,
        source: str,
        ids: dict[str, str],
        *,
        learned_at: str,
        run_id: int | None,
        request: str | None,
        verified: bool,
    ) -> None:
        """What ``source`` taught about a work, with its provenance (one row per kind)."""
        self.db.conn.executemany(
            "INSERT INTO learned_ids (publication_key, kind, value, source, learned_at, run_id,"
            " request, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(publication_key, kind, source) DO UPDATE SET"
            " value = excluded.value, learned_at = excluded.learned_at,"
            " run_id = excluded.run_id, request = excluded.request, verified = excluded.verified",
            [
                (publication_key, kind, value, source, learned_at, run_id, request, int(verified))
                for kind, value in sorted(ids.items())
                if value
            ],
        )

    def forget_learned_ids(self, keys: Iterable[str] | None = None) -> int:
        """``sync --relearn``: drop learned ids (of ``keys``, or all); rows removed."""
        if keys is None:
            cursor = self.db.execute("DELETE FROM learned_ids")
        else:
            cursor = self.db.execute(
                "DELETE FROM learned_ids WHERE publication_key IN (SELECT value FROM json_each(?))",
                [json.dumps(list(keys))],
            )
        return int(cursor.rowcount or 0)

    def drop_learned_id(self, publication_key: str, kind: str, source: str) -> None:
        """A learned id the bib or two other sources contradict."""
        self.db.execute(
            "DELETE FROM learned_ids WHERE publication_key = ? AND kind = ? AND source = ?",
            [publication_key, kind, source],
        )

    def forget_learned_value(self, publication_key: str, kind: str, value: str) -> None:
        """An id that led a source to another paper: forgotten, whoever taught it."""
        self.db.execute(
            "DELETE FROM learned_ids WHERE publication_key = ? AND kind = ? AND lower(value) = ?",
            [publication_key, kind, value.lower()],
        )

    def record_conflict(
        self,
        publication_key: str,
        source: str,
        *,
        asked: str | None,
        message: str,
        detected_at: str,
        run_id: int | None,
    ) -> None:
        """A source answered about another work: kept (latest per work and source)
        until a later answer is verified."""
        self.db.execute(
            "INSERT INTO source_conflicts (publication_key, source, asked, message, detected_at,"
            " run_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(publication_key, source) DO UPDATE"
            " SET asked = excluded.asked, message = excluded.message,"
            " detected_at = excluded.detected_at, run_id = excluded.run_id",
            [publication_key, source, asked, message, detected_at, run_id],
        )

    def clear_conflict(self, publication_key: str, source: str) -> None:
        self.db.execute(
            "DELETE FROM source_conflicts WHERE publication_key = ? AND source = ?",
            [publication_key, source],
        )

    def conflicts(self) -> list[dict[str, Any]]:
        """Every open conflict, oldest work key first."""
        return list(
            self.db.query(
                "SELECT publication_key, source, asked, message, detected_at, run_id"
                " FROM source_conflicts ORDER BY publication_key, source"
            )
        )

    def set_run_conflicts(self, run_id: int, conflicts: int) -> None:
        self.db.execute("UPDATE sync_runs SET conflicts = ? WHERE id = ?", [conflicts, run_id])

    def save_counts_by_year(
        self, publication_key: str, source: str, counts: dict[int, int], retrieved_at: str
    ) -> None:
        self.db.conn.executemany(
            "INSERT INTO counts_by_year (publication_key, source, year, count, retrieved_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(publication_key, source, year) DO UPDATE SET"
            " count = excluded.count, retrieved_at = excluded.retrieved_at",
            [(publication_key, source, y, c, retrieved_at) for y, c in counts.items()],
        )

    # -- stats, history, profiles (read by stats.py and plot.py) ----------------

    def publication_list(self, *, include_removed: bool = False) -> list[dict[str, Any]]:
        """key, title, year, in_bib of each work, in bib order of keys."""
        sql = "SELECT key, title, year, in_bib FROM publications"
        if not include_removed:  # p: the alias self._in_bib names
            sql += f" p WHERE {self._in_bib}"
        return list(self.db.query(sql + " ORDER BY key"))

    def citation_series(
        self, *, key: str | None = None, source: str | None = None, in_bib_only: bool = True
    ) -> list[dict[str, Any]]:
        """Every check, oldest first per (publication_key, source) (a list: small
        projects and tests; reports stream ``iter_spans``/``iter_observations``)."""
        return list(self.iter_observations(key=key, source=source, in_bib_only=in_bib_only))

    def counts_by_year_all(self) -> dict[tuple[str, str], dict[int, int]]:
        """{(publication_key, source): {year: count}} as the sources reported them."""
        out: dict[tuple[str, str], dict[int, int]] = {}
        for row in self.db.query(
            "SELECT publication_key, source, year, count FROM counts_by_year ORDER BY year"
        ):
            out.setdefault((row["publication_key"], row["source"]), {})[row["year"]] = row["count"]
        return out

    def record_profile_metrics(
        self,
        source: str,
        profile_id: str,
        *,
        retrieved_at: str,
        name: str | None = None,
        total_citations: int | None = None,
        h_index: int | None = None,
        i10_index: int | None = None,
        cites_per_year: dict[int, int] | None = None,
        run_id: int | None = None,
    ) -> None:
        """Append a profile's own figures (e.g. Google Scholar's h-index of the whole
        profile); ``cites_per_year`` replaces the per-year rows of that profile."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO profile_metrics (source, profile_id, name, total_citations,"
                " h_index, i10_index, retrieved_at, sync_run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    source,
                    profile_id,
                    name,
                    total_citations,
                    h_index,
                    i10_index,
                    retrieved_at,
                    run_id,
                ],
            )
            if cites_per_year:
                self.db.conn.executemany(
                    "INSERT INTO profile_cites_per_year (source, profile_id, year, count,"
                    " retrieved_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT(source, profile_id, year) DO UPDATE SET"
                    " count = excluded.count, retrieved_at = excluded.retrieved_at",
                    [
                        (source, profile_id, int(y), int(c), retrieved_at)
                        for y, c in cites_per_year.items()
                    ],
                )

    def latest_profiles(self) -> dict[str, dict[str, Any]]:
        """{source: latest profile row + cites_per_year {year: count}}."""
        out: dict[str, dict[str, Any]] = {}
        if not self.db["profile_metrics"].exists():
            return out  # a read-only database from before m030_stats
        for row in self.db.query("SELECT * FROM latest_profile_metrics"):
            row["cites_per_year"] = {
                r["year"]: r["count"]
                for r in self.db.query(
                    "SELECT year, count FROM profile_cites_per_year"
                    " WHERE source = ? AND profile_id = ? ORDER BY year",
                    [row["source"], row["profile_id"]],
                )
            }
            out[row["source"]] = row
        return out

    def publication_title(self, key: str) -> str | None:
        """The title of one work (removed ones too); None when the key is unknown."""
        row = self.db.execute("SELECT title FROM publications WHERE key = ?", [key]).fetchone()
        return None if row is None else (row[0] or "")

    def known_publication(self, key: str) -> bool:
        """Whether the key was ever mirrored from the bib (removed works keep history)."""
        return bool(list(self.db.query("SELECT 1 FROM publications WHERE key = ?", [key])))

    # -- sync runs ------------------------------------------------------------

    def start_run(self, sources: list[str], works: int, *, status: str = "running") -> int:
        cursor = self.db.execute(
            "INSERT INTO sync_runs (started_at, status, sources, works) VALUES (?, ?, ?, ?)",
            [utcnow(), status, json.dumps(sources), works],
        )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        updated: int,
        requests: dict[str, int],
        errors: dict[str, str],
        duration_seconds: float,
    ) -> None:
        self.db.execute(
            "UPDATE sync_runs SET finished_at = ?, status = ?, updated = ?, requests = ?,"
            " errors = ?, duration_seconds = ? WHERE id = ?",
            [
                utcnow(),
                status,
                updated,
                json.dumps(requests, sort_keys=True),
                json.dumps(errors, sort_keys=True),
                round(duration_seconds, 3),
                run_id,
            ],
        )

    def sync_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM sync_runs ORDER BY id DESC LIMIT ?", [limit]))

    def mark_interrupted_runs(self) -> int:
        """Runs still 'running' belong to a dead process (the caller holds the sync
        lock): say so, instead of leaving them looking alive forever."""
        cursor = self.db.execute(
            "UPDATE sync_runs SET status = 'interrupted' WHERE status = 'running'"
        )
        return int(cursor.rowcount or 0)

    def integrity_check(self) -> list[str]:
        """'ok' or SQLite's list of problems (used after a killed sync)."""
        return [row[0] for row in self.db.execute("PRAGMA integrity_check").fetchall()]

    # -- meta (small key/value state) -----------------------------------------

    def get_meta(self, key: str) -> str | None:
        """None when unset, or when a read-only database predates the meta table."""
        if not self.db["meta"].exists():
            return None
        rows = list(self.db.query("SELECT value FROM meta WHERE key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def sync_library_if_changed(self, library: Library, fingerprint: str) -> bool:
        """Mirror the bib files unless this fingerprint was the last one mirrored.

        `pubtrack check` calls this (sync mirrors on every run); the fingerprint
        check keeps an unchanged bib from costing a write. True when the tables
        were written. A read-only or locked database raises DatabaseError.
        """
        try:
            if self.get_meta("library_fingerprint") == fingerprint:
                return False
            with self.transaction():
                self.sync_library(library)
                self.set_meta("library_fingerprint", fingerprint)
        except StorageError as exc:
            why = exc.message.removeprefix(f"{self.path}: ")
            raise DatabaseError(f"{self.path}: publications and talks not updated: {why}") from None
        return True

    # -- the citation history as a small diffable file (sync --history-file) ----

    def citation_rows(self) -> int:
        """Spans in the history (0: an empty history)."""
        return int(self.db.execute("SELECT count(*) FROM citations").fetchone()[0])

    def observation_rows(self) -> int:
        """Checks in the history: one per fetched count (what citations held before m040)."""
        return int(
            self.db.execute(
                "SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(e.id) AS n FROM citation_spans s"
                " JOIN citation_checks e ON e.source = s.source"
                " AND e.id BETWEEN s.first_check AND s.last_check GROUP BY s.id)"
            ).fetchone()[0]
        )

    def compact_history(self) -> list[dict[str, Any]]:
        """Every span where a count (or influential count) changed, plus each first one.

        This is what the history file holds: unchanged nights add nothing, so a
        scheduled job commits it only when a number moved.
        """
        return list(
            self.db.query(
                "SELECT publication_key, source, count, influential, retrieved_at FROM ("
                " SELECT *, LAG(count) OVER w AS prev_count,"
                " LAG(influential) OVER w AS prev_influential,"
                " ROW_NUMBER() OVER w AS n FROM citations"
                " WINDOW w AS (PARTITION BY publication_key, source ORDER BY id))"
                " WHERE n = 1 OR count != prev_count OR influential IS NOT prev_influential"
                " ORDER BY publication_key, source, retrieved_at, id"
            )
        )

    # -- what sync learned, for add / discover / check / fix (issue 10) -------

    def learned_ids_by_source(self) -> dict[str, dict[str, dict[str, str]]]:
        """{publication_key: {source: {id kind: value}}}: the ids each source taught
        (the ``learned_ids`` table, with provenance), for add, discover, check and fix."""
        out: dict[str, dict[str, dict[str, str]]] = {}
        rows = self.db.execute(
            "SELECT publication_key, source, kind, value FROM learned_ids"
            " ORDER BY publication_key, source, kind"
        ).fetchall()
        for key, source, kind, value in rows:
            out.setdefault(key, {}).setdefault(source, {})[kind] = value
        return out

    def source_statuses(self) -> dict[str, dict[str, dict[str, Any]]]:
        """{publication_key: {source: {status, external_id, data}}} (for check and fix)."""
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for row in self.db.query(
            "SELECT publication_key, source, status, external_id, data FROM source_records"
        ):
            row["data"] = json.loads(row["data"]) if row["data"] else {}
            out.setdefault(row["publication_key"], {})[row["source"]] = row
        return out

    def open_access_pdfs(self) -> dict[str, dict[str, str]]:
        """{publication_key: {source: open-access PDF URL}} the sources reported (web
        links only); which one a work links is render's choice (the registry's order)."""
        out: dict[str, dict[str, str]] = {}
        rows = self.db.execute(
            "SELECT publication_key, source, json_extract(data, '$.pdf_url') FROM source_records"
            " WHERE status = 'found' AND json_extract(data, '$.pdf_url') IS NOT NULL"
        ).fetchall()
        for key, source, url in rows:
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                out.setdefault(key, {})[source] = url
        return out

    def _copy_history(self, old: str, new: str) -> None:
        """Copy one work's citation history (spans, open span, per-year counts) to a
        new key; the old rows stay (append-only)."""
        conn = self.db.conn
        ids: dict[int, int] = {}
        for span_id, *row in conn.execute(
            "SELECT id, source, count, influential, retrieved_at, sync_run_id, first_check,"
            " last_check, checked_until FROM citations WHERE publication_key = ? ORDER BY id",
            [old],
        ).fetchall():
            ids[span_id] = (
                conn.execute(
                    "INSERT INTO citations (publication_key, source, count, influential,"
                    " retrieved_at, sync_run_id, first_check, last_check, checked_until)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [new, *row],
                ).lastrowid
                or 0
            )
        for source, span_id, *row in conn.execute(
            "SELECT source, citation_id, count, influential, first_check, last_check,"
            " checked_until FROM citations_latest WHERE publication_key = ?",
            [old],
        ).fetchall():
            conn.execute(
                "INSERT OR IGNORE INTO citations_latest (publication_key, source, citation_id,"
                " count, influential, first_check, last_check, checked_until)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [new, source, ids[span_id], *row],
            )
        conn.execute(
            "INSERT OR IGNORE INTO citation_years (publication_key, source, year, first_count,"
            " last_count) SELECT ?, source, year, first_count, last_count FROM citation_years"
            " WHERE publication_key = ?",
            [new, old],
        )
        steps = conn.execute(
            "SELECT source, day, SUM(delta), SUM(new_work) FROM ("
            " SELECT source, substr(retrieved_at, 1, 10) AS day,"
            " count - COALESCE(LAG(count) OVER w, 0) AS delta,"
            " CASE WHEN LAG(count) OVER w IS NULL THEN 1 ELSE 0 END AS new_work"
            " FROM citations WHERE publication_key = ?"
            " WINDOW w AS (PARTITION BY source ORDER BY id)) GROUP BY source, day",
            [new],
        ).fetchall()
        self._add_day_totals(steps)

    def follow_renames(self, library: Library) -> list[tuple[str, str]]:
        """Keys renamed in the bib (a new key with the ids of a key that left): move the
        work's history to the new key, so counts, metrics and h-index do not jump.

        The citation history is append-only: the old rows are copied under the new
        key (and stay under the old one, which is no longer in the bib); per-source
        records and per-year counts move. Recorded in ``key_renames``.
        """
        from pubtrack.identity import id_keys

        rows = self.db.execute(
            "SELECT key, arxiv, doi, semantic_scholar, openalex FROM publications"
        ).fetchall()
        known = {row[0] for row in rows}
        present = {w.key for w in library.works}
        gone: dict[tuple[str, str], list[str]] = {}
        for key, arxiv, doi, s2, openalex in rows:
            if key in present:
                continue
            ids = {"arxiv": arxiv, "doi": doi, "semantic_scholar": s2, "openalex": openalex}
            for k in id_keys(ids):
                gone.setdefault(k, []).append(key)
        renames: list[tuple[str, str]] = []
        if not gone:
            return renames
        used: set[str] = set()
        for work in library.works:
            if work.key in known:
                continue
            olds = {old for k in id_keys(work.ids) for old in gone.get(k, [])}
            if len(olds) != 1:
                continue  # no match, or ambiguous: never guess
            old = olds.pop()
            if old in used:
                continue
            used.add(old)
            renames.append((old, work.key))
        now = utcnow()
        with self.transaction():
            for old, new in renames:
                self._copy_history(old, new)
                for table in (
                    "source_records",
                    "counts_by_year",
                    "learned_ids",
                    "source_conflicts",
                ):
                    self.db.execute(
                        f"UPDATE OR IGNORE {table} SET publication_key = ?"
                        " WHERE publication_key = ?",
                        [new, old],
                    )
                self.db.execute(
                    "INSERT OR IGNORE INTO key_renames (old_key, new_key, renamed_at)"
                    " VALUES (?, ?, ?)",
                    [old, new, now],
                )
        return renames


# --------------------------------------------------------------------------
# Migrations of issue 9 (defined last: sqlite-utils applies them in order)
# --------------------------------------------------------------------------


@migrations()
def m050_learned_ids(db: sqlite_utils.Database) -> None:
    """Learned ids get their own table with provenance; conflicts are kept.

    ``learned_ids``: what a source taught about a work (which source, when, in
    which run, from which request, verified against what was asked or not).
    Rows are backfilled from the ``external_ids`` the records' JSON held
    (unverified: nobody checked them). ``source_conflicts``: a source that
    answered about another work, until a later answer is verified.
    ``sync_runs.conflicts``: how many such answers a run saw.
    """
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS learned_ids (
            publication_key TEXT NOT NULL,
            kind TEXT NOT NULL,          -- arxiv, doi, semantic_scholar, openalex, ...
            value TEXT NOT NULL,
            source TEXT NOT NULL,        -- which source taught it
            learned_at TEXT NOT NULL,
            run_id INTEGER,              -- sync_runs.id
            request TEXT,                -- the id the source was asked with
            verified INTEGER NOT NULL DEFAULT 0,  -- 1: the answer carried what was asked
            PRIMARY KEY (publication_key, kind, source)
        );
        CREATE TABLE IF NOT EXISTS source_conflicts (
            publication_key TEXT NOT NULL,
            source TEXT NOT NULL,
            asked TEXT,
            message TEXT NOT NULL,
            detected_at TEXT NOT NULL,
            run_id INTEGER,
            PRIMARY KEY (publication_key, source)
        );
        """
    )
    columns = {row[1] for row in db.execute("PRAGMA table_info(sync_runs)").fetchall()}
    if "conflicts" not in columns:
        db.execute("ALTER TABLE sync_runs ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0")
    rows = db.execute(
        "SELECT publication_key, source, data, fetched_at FROM source_records"
        " WHERE data IS NOT NULL"
    ).fetchall()
    learned = []
    for key, source, data, fetched_at in rows:
        try:
            decoded = json.loads(data)
        except ValueError:
            continue
        ext = decoded.get("external_ids") if isinstance(decoded, dict) else None
        if not isinstance(ext, dict):
            continue
        request = decoded.get("lookup_id")
        for kind, value in ext.items():
            if isinstance(value, str) and value:
                learned.append((key, kind, value, source, fetched_at or "", None, request, 0))
    db.conn.executemany(
        "INSERT OR IGNORE INTO learned_ids (publication_key, kind, value, source, learned_at,"
        " run_id, request, verified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        learned,
    )


@migrations()
def m070_record_bookkeeping(db: sqlite_utils.Database) -> None:
    """The sync's own bookkeeping gets columns: ``bib_ids`` (the bib's ids at the last
    answer) and ``lookup_id`` (the id the source was asked with) leave the JSON of
    what the source said (``data``)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(source_records)").fetchall()}
    for column in ("bib_ids", "lookup_id"):
        if column not in columns:
            db.execute(f"ALTER TABLE source_records ADD COLUMN {column} TEXT")
    db.execute(
        "UPDATE source_records SET"
        " bib_ids = COALESCE(bib_ids, json_extract(data, '$.bib_ids')),"
        " lookup_id = COALESCE(lookup_id, json_extract(data, '$.lookup_id')),"
        " data = json_remove(data, '$.bib_ids', '$.lookup_id')"
        " WHERE data IS NOT NULL AND json_valid(data)"
    )


# --------------------------------------------------------------------------
# Per-source figures: the one implementation of totals, h-, g- and i10-index.
# --------------------------------------------------------------------------


def figures_sql(counts: str) -> str:
    """The query computing, per source, works, total, h-, g- and i10-index,
    influential citations and the last retrieval over ``counts`` (a SELECT of
    ``source, count, influential, retrieved_at``: one row per work and source).

    The one implementation of these figures: the ``source_totals`` view is this
    query over the latest counts of the works in the bib; `stats` runs it over
    the works of the parsed bib, a sync's summary and `changes` over the
    snapshots before and after (``Store.figures_of``)."""
    return f"""WITH counts AS ({counts}),
            ranked AS (
                SELECT source, count, influential, retrieved_at,
                    ROW_NUMBER() OVER w AS rk,
                    SUM(count) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                        AS running
                FROM counts
                WINDOW w AS (PARTITION BY source ORDER BY count DESC)
            )
            SELECT source,
                COUNT(*) AS works,
                SUM(count) AS total_citations,
                COALESCE(MAX(CASE WHEN count >= rk THEN rk END), 0) AS h_index,
                COALESCE(MAX(CASE WHEN running >= rk * rk THEN rk END), 0) AS g_index,
                SUM(CASE WHEN count >= 10 THEN 1 ELSE 0 END) AS i10_index,
                SUM(influential) AS influential_citations,
                MAX(retrieved_at) AS last_retrieved_at
            FROM ranked GROUP BY source"""


# The source_totals view: figures_sql over the latest counts of the works in the
# bib as of the last sync (publications.in_bib).
SOURCE_TOTALS_VIEW = "CREATE VIEW source_totals AS " + figures_sql(
    "SELECT l.source, l.count, l.influential, l.retrieved_at FROM latest_citations l"
    " JOIN publications p ON p.key = l.publication_key AND p.in_bib = 1"
)


def _latest_counts(in_bib: str) -> str:
    """The latest counts of the works ``in_bib`` (SQL over ``publications p``) selects."""
    return (
        "SELECT l.source, l.count, l.influential, l.retrieved_at FROM latest_citations l"
        f" JOIN publications p ON p.key = l.publication_key AND {in_bib}"
    )


@migrations()
def m080_source_totals_from_figures_sql(db: sqlite_utils.Database) -> None:
    """The ``source_totals`` view is rebuilt from ``figures_sql`` (same figures as
    before), so the view and every other caller share one implementation."""
    db.execute("DROP VIEW IF EXISTS source_totals")
    db.execute(SOURCE_TOTALS_VIEW)


def citations_per_year_sql(in_bib: str) -> str:
    """Per source and year, the citations gained by the works ``in_bib`` (SQL over
    ``publications p``) selects, or a Scholar profile's own per-year counts (all
    works on the profile). The ``citations_per_year`` view is this with the bib of
    the last sync (``p.in_bib = 1``); `stats` runs it with the parsed bib's works."""
    return f"""SELECT c.source, c.year, SUM(c.citations) AS citations,
                CASE WHEN MIN(c.basis) = MAX(c.basis) THEN MIN(c.basis)
                    ELSE MIN(c.basis) || '+' || MAX(c.basis) END AS basis
            FROM paper_citations_per_year c
            JOIN publications p ON p.key = c.publication_key AND {in_bib}
            WHERE c.source NOT IN (
                SELECT g.source FROM profile_cites_per_year g
                JOIN latest_profile_metrics l
                    ON l.source = g.source AND l.profile_id = g.profile_id
            )
            GROUP BY c.source, c.year
            UNION ALL
            SELECT g.source, g.year, g.count AS citations, 'profile' AS basis
            FROM profile_cites_per_year g
            JOIN latest_profile_metrics l ON l.source = g.source AND l.profile_id = g.profile_id"""


CITATIONS_PER_YEAR_VIEW = "CREATE VIEW citations_per_year AS " + citations_per_year_sql(
    "p.in_bib = 1"
)


@migrations()
def m081_citations_per_year_from_sql(db: sqlite_utils.Database) -> None:
    """The ``citations_per_year`` view is rebuilt from ``citations_per_year_sql`` (same
    rows as before), the query `stats` runs over the parsed bib's works."""
    db.execute("DROP VIEW IF EXISTS citations_per_year")
    db.execute(CITATIONS_PER_YEAR_VIEW)
