"""Every SQL statement pubtrack runs.

The schema is documented in the README for users who query it. It changes only
through the migrations below (sqlite-utils ``Migrations``): an old database
opens and is upgraded in place, each migration in its own transaction.
Writes go through ``Store.transaction()`` so a crash never leaves half a sync.

The Store talks to SQLite through one small connection wrapper (``_Connection``)
that turns every ``sqlite3.Error`` into a ``DatabaseError`` naming the file: no
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


# --------------------------------------------------------------------------
# Store
# --------------------------------------------------------------------------


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


class _Connection:
    """The Store's SQLite connection: plain ``sqlite3`` (autocommit, explicit
    transactions), rows as dicts from ``query``, and every ``sqlite3.Error``
    raised as a ``DatabaseError`` that names the file."""

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

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params or ())
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        try:
            return self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def executescript(self, sql: str) -> sqlite3.Cursor:
        try:
            return self._conn.executescript(sql)
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

    def query(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        """The rows as dicts (fetched as the caller iterates)."""
        cursor = self.execute(sql, params)
        if cursor.description is None:
            raise ValueError(f"query() is for statements that return rows: {sql[:60]!r}")
        names = [d[0] for d in cursor.description]
        return self._rows(cursor, names)

    def _rows(self, cursor: sqlite3.Cursor, names: list[str]) -> Iterator[dict[str, Any]]:
        try:
            for row in cursor:
                yield dict(zip(names, row, strict=True))
        except sqlite3.Error as exc:
            raise self.error(exc) from exc

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
        return self._conn.iterdump()

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
        self._conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations (the one place sqlite-utils is used)."""
    import sqlite_utils

    migrations.apply(sqlite_utils.Database(conn))


class Store:
    """The project's SQLite database (WAL mode, migrated on open)."""

    def __init__(self, db: _Connection, path: Path | None) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, timeout: float = 30.0) -> Store:
        """Open (and migrate) the database; ``timeout`` bounds the wait for a lock."""
        path = Path(path)
        if not create and not path.exists():
            raise DatabaseError(f"{path}: no database yet (run `pubtrack sync` first)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            _migrate(conn)
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path}: cannot open database: {explain(exc)}") from None
        except OSError as exc:
            raise DatabaseError(f"{path}: cannot create database: {exc.strerror}") from None
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
        names = [s for s in dict.fromkeys(sources) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s)]
        fixed = ["key", "title", "year", "in_bib", "max_citations", "last_retrieved_at"]
        current = [r[1] for r in self.db.execute("PRAGMA table_info(publication_metrics)")]
        if current == fixed[:4] + names + fixed[4:]:
            return
        columns = "".join(
            f"\n                MAX(CASE WHEN l.source = '{n}' THEN l.count END) AS {n},"
            for n in names
        )
        with self.transaction():
            self.db.execute("DROP VIEW IF EXISTS publication_metrics")
            self.db.execute(
                f"""CREATE VIEW publication_metrics AS
            SELECT p.key, p.title, p.year, p.in_bib,{columns}
                MAX(l.count) AS max_citations,
                MAX(l.retrieved_at) AS last_retrieved_at
            FROM publications p
            LEFT JOIN latest_citations l ON l.publication_key = p.key
            GROUP BY p.key"""
            )

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
        """Append to the history. Callers never pass a failure as a count."""
        rows = [
            (c.publication_key, c.source, int(c.count), c.influential, c.retrieved_at, run_id)
            for c in counts
        ]
        self.db.conn.executemany(
            "INSERT INTO citations (publication_key, source, count, influential, retrieved_at,"
            " sync_run_id) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def latest_citations(self) -> dict[str, dict[str, CitationCount]]:
        """{publication_key: {source: latest good count}}."""
        result: dict[str, dict[str, CitationCount]] = {}
        for row in self.db.query(
            "SELECT publication_key, source, count, influential, retrieved_at FROM latest_citations"
        ):
            result.setdefault(row["publication_key"], {})[row["source"]] = CitationCount(**row)
        return result

    def citation_history(self, key: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT publication_key, source, count, influential, retrieved_at FROM citations"
        params: list[Any] = []
        if key is not None:
            sql += " WHERE publication_key = ?"
            params.append(key)
        sql += " ORDER BY publication_key, source, retrieved_at, id"
        return list(self.db.query(sql, params))

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

    def external_ids(self, sources: Iterable[str]) -> dict[str, dict[str, str]]:
        """{publication_key: {source: external id}}: the ids render shows, without the
        cost of decoding every record's JSON data."""
        names = list(sources)
        out: dict[str, dict[str, str]] = {}
        rows = self.db.execute(
            "SELECT publication_key, source, external_id FROM source_records"
            f" WHERE external_id IS NOT NULL AND source IN ({', '.join('?' for _ in names)})",
            names,
        )
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
        if not include_removed:
            sql += " WHERE in_bib = 1"
        return list(self.db.query(sql + " ORDER BY key"))

    def citation_series(
        self, *, key: str | None = None, source: str | None = None, in_bib_only: bool = True
    ) -> list[dict[str, Any]]:
        """Recorded counts, oldest first per (publication_key, source)."""
        sql = (
            "SELECT c.publication_key, c.source, c.count, c.influential, c.retrieved_at"
            " FROM citations c"
        )
        where: list[str] = []
        params: list[Any] = []
        if in_bib_only:
            sql += " JOIN publications p ON p.key = c.publication_key AND p.in_bib = 1"
        if key is not None:
            where.append("c.publication_key = ?")
            params.append(key)
        if source is not None:
            where.append("c.source = ?")
            params.append(source)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.publication_key, c.source, c.retrieved_at, c.id"
        cursor = self.db.execute(sql, params)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor]  # the history can be long

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

        Render calls this on every run; the fingerprint check keeps an unchanged
        bib from costing a write. True when the tables were written. A read-only
        or locked database raises DatabaseError (the caller warns and goes on).
        """
        try:
            if self.get_meta("library_fingerprint") == fingerprint:
                return False
            with self.transaction():
                self.sync_library(library)
                self.set_meta("library_fingerprint", fingerprint)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{self.path}: publications and talks not updated: {exc}") from None
        return True

    # -- the citation history as a small diffable file (sync --history-file) ----

    def citation_rows(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM citations").fetchone()[0])

    def compact_history(self) -> list[dict[str, Any]]:
        """Every row where a count (or influential count) changed, plus each first row.

        This is what the history file holds: unchanged nights add nothing, so a
        scheduled job commits it only when a number moved.
        """
        return list(
            self.db.query(
                "SELECT publication_key, source, count, influential, retrieved_at FROM ("
                " SELECT *, LAG(count) OVER w AS prev_count,"
                " LAG(influential) OVER w AS prev_influential,"
                " ROW_NUMBER() OVER w AS n FROM citations"
                " WINDOW w AS (PARTITION BY publication_key, source ORDER BY retrieved_at, id))"
                " WHERE n = 1 OR count != prev_count OR influential IS NOT prev_influential"
                " ORDER BY publication_key, source, retrieved_at"
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

    def open_access_pdfs(self) -> dict[str, str]:
        """{publication_key: open-access PDF URL} a source reported (arXiv first)."""
        out: dict[str, str] = {}
        rows = self.db.execute(
            "SELECT publication_key, source, json_extract(data, '$.pdf_url') FROM source_records"
            " WHERE status = 'found' AND json_extract(data, '$.pdf_url') IS NOT NULL"
            " ORDER BY CASE source WHEN 'arxiv' THEN 0 WHEN 'semantic_scholar' THEN 1 ELSE 2 END"
        ).fetchall()
        for key, _source, url in rows:
            if isinstance(url, str) and url.startswith(("https://", "http://")):
                out.setdefault(key, url)
        return out

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
                self.db.execute(
                    "INSERT INTO citations (publication_key, source, count, influential,"
                    " retrieved_at, sync_run_id) SELECT ?, source, count, influential,"
                    " retrieved_at, sync_run_id FROM citations WHERE publication_key = ?"
                    " ORDER BY id",
                    [new, old],
                )
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
