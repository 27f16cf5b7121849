import json
import re
import sqlite3
from pathlib import Path

import pytest

from conftest import installed_plugin
from pubtrack.db import Store, migrations
from pubtrack.errors import DatabaseError
from pubtrack.models import CitationCount, Library, Work


def test_open_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data" / "p.db")
    assert store.db.journal_mode == "wal"
    assert {"publications", "talks", "citations", "sync_runs"} <= set(store.db.table_names())
    assert {"latest_citations", "publication_metrics"} <= set(store.db.view_names())
    assert not migrations.pending(store.db)


def test_latest_citations_and_removed_entries_keep_history() -> None:
    store = Store.memory()
    store.sync_library(Library(works=[Work("a", "article", "A"), Work("b", "article", "B")]))
    store.record_citations(
        [
            CitationCount("a", "semantic_scholar", 3, "2026-11-01T00:00:00Z"),
            CitationCount("a", "semantic_scholar", 5, "2026-11-02T00:00:00Z"),
            CitationCount("a", "openalex", 4, "2026-11-02T00:00:00Z"),
        ]
    )
    latest = store.latest_citations()
    assert latest["a"]["semantic_scholar"].count == 5
    assert latest["a"]["openalex"].count == 4
    store.sync_library(Library(works=[Work("b", "article", "B")]))
    rows = {r["key"]: r["in_bib"] for r in store.db.query("select key, in_bib from publications")}
    assert rows == {"a": 0, "b": 1}
    assert len(store.citation_history("a")) == 3


def test_citations_are_append_only() -> None:
    store = Store.memory()
    store.record_citations([CitationCount("a", "crossref", 1, "2026-11-01T00:00:00Z")])
    # The Store's connection translates SQLite's errors (the cause stays attached).
    with pytest.raises(DatabaseError, match="append-only") as err:
        store.db.execute("UPDATE citations SET count = 0")
    assert isinstance(err.value.__cause__, sqlite3.IntegrityError)


def test_failed_transaction_leaves_nothing() -> None:
    store = Store.memory()
    with pytest.raises(RuntimeError), store.transaction():
        store.record_citations([CitationCount("a", "crossref", 1, "2026-11-01T00:00:00Z")])
        raise RuntimeError("killed")
    assert store.citation_history() == []


def test_a_database_from_the_first_release_opens_and_upgrades(tmp_path: Path) -> None:
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m010_meta")  # the schema as first shipped
    old.execute(
        "INSERT INTO citations (publication_key, source, count, retrieved_at)"
        " VALUES ('a', 'semantic_scholar', 7, '2026-10-01T00:00:00Z')"
    )
    old.execute("INSERT INTO publications (key, title, in_bib) VALUES ('a', 'A', 1)")
    old.conn.commit()
    assert "meta" not in old.table_names()
    old.close()

    store = Store.open(path)
    assert not migrations.pending(store.db)
    assert {"meta", "profile_metrics"} <= set(store.db.table_names())
    assert store.latest_citations()["a"]["semantic_scholar"].count == 7  # history kept
    totals = list(store.db.query("SELECT * FROM source_totals"))
    assert totals and totals[0]["source"] == "semantic_scholar"
    store.set_meta("k", "v")
    assert store.get_meta("k") == "v"
    store.close()
    applied = [m.name for m in migrations.applied(sqlite_utils.Database(path))]
    assert applied[:3] == ["m001_initial", "m010_meta", "m030_stats"]
    assert {
        "m040_change_only_history",
        "m044_daily_totals_by_day",
        "m050_learned_ids",
        "m060_key_renames",
    } <= set(applied)


def test_only_the_store_talks_to_sqlite3() -> None:
    """Every sqlite3 error becomes a StorageError in db.py; no other module catches them."""
    src = Path(__file__).resolve().parent.parent / "src" / "pubtrack"
    others = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if p.name != "db.py"
        and re.search(r"^\s*(import sqlite3|from sqlite3)", p.read_text(), re.M)
    ]
    assert others == []


def test_a_statement_that_fails_is_a_storage_error_naming_the_file(tmp_path: Path) -> None:
    from pubtrack.errors import StorageError

    path = tmp_path / "p.db"
    with Store.open(path) as store:
        with pytest.raises(StorageError) as err:
            list(store.db.query("SELECT * FROM no_such_table"))
        assert str(err.value).startswith(f"{path}: no such table")
        with pytest.raises(StorageError), store.transaction():
            store.db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            store.db.execute("INSERT INTO no_such_table VALUES (1)")
        assert store.get_meta("k") is None  # the transaction was rolled back


def test_sync_bookkeeping_moves_from_the_record_json_to_columns(tmp_path: Path) -> None:
    """m070: bib_ids and lookup_id leave source_records.data for their own columns."""
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m070_record_bookkeeping")
    old.execute(
        "INSERT INTO source_records (publication_key, source, status, data, fetched_at)"
        " VALUES ('a', 'crossref', 'found', ?, '2026-10-01T00:00:00Z')",
        ['{"bib_ids": "doi:10.1/x", "lookup_id": "10.1/x", "title": "A"}'],
    )
    old.conn.commit()
    old.close()
    with Store.open(path) as store:
        [row] = list(store.db.query("SELECT bib_ids, lookup_id, data FROM source_records"))
        assert (row["bib_ids"], row["lookup_id"]) == ("doi:10.1/x", "10.1/x")
        assert json.loads(row["data"]) == {"title": "A"}
        store.save_source_record(
            "a", "crossref", status="not_found", bib_ids="doi:10.1/y", lookup_id="10.1/y"
        )
        record = store.all_source_records()["a"]["crossref"]
        assert (record["bib_ids"], record["lookup_id"]) == ("doi:10.1/y", "10.1/y")
        assert record["data"] == {"title": "A"}  # a 'not found' keeps what was found


# -- publication_metrics: built from the source registry from the start ---------------

_FIXED = ["key", "title", "year", "in_bib", "max_citations", "last_retrieved_at"]

PLUGIN_SOURCE = """
from pubtrack.sources.base import Source, SourceResult


class Zbmath(Source):
    name = "zbmath"
    label = "zbMATH"
    order = 70

    def lookup_id(self, work):
        return None

    def fetch_batch(self, works):
        return [SourceResult(w.key, "not_found") for w in works]
"""


def _columns(store: Store) -> list[str]:
    return [r[1] for r in store.db.execute("PRAGMA table_info(publication_metrics)")]


@pytest.fixture
def zbmath(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A citation source installed as a plugin (module + entry point on sys.path)."""
    with installed_plugin(
        tmp_path / "plugin",
        "pubtrack-zbmath-test",
        "[pubtrack.sources]\nzbmath = pubtrack_zbmath_test:Zbmath\n",
        {"pubtrack_zbmath_test": PLUGIN_SOURCE},
    ):
        yield


def test_a_new_database_has_the_registry_built_view() -> None:
    from pubtrack.db import publication_metrics_view
    from pubtrack.sources.registry import registry

    store = Store.memory()
    sources = list(registry().citation_sources)
    assert _columns(store) == _FIXED[:4] + sources + _FIXED[4:]
    # the view is the builder's query (the one sync's use_citation_sources makes)
    (sql,) = store.db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'publication_metrics'"
    ).fetchone()
    assert " ".join(sql.replace("IF NOT EXISTS ", "").split()) == " ".join(
        publication_metrics_view(sources).split()
    )
    store.use_citation_sources(sources)  # nothing to rebuild
    assert store.db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = 'publication_metrics'"
    ).fetchone() == (sql,)


def test_a_plugin_column_is_there_before_the_first_sync(zbmath: None, tmp_path: Path) -> None:
    from pubtrack.sources.registry import registry

    assert "zbmath" in registry().citation_sources
    store = Store.open(tmp_path / "new.db")
    assert "zbmath" in _columns(store)
    store.sync_library(Library(works=[Work("a", "article", "A")]))
    store.record_citations([CitationCount("a", "zbmath", 4, "2026-11-01T00:00:00Z")])
    row = next(store.db.query("SELECT zbmath, max_citations FROM publication_metrics"))
    assert row == {"zbmath": 4, "max_citations": 4}


def test_an_upgraded_database_ends_with_the_registry_built_view(
    zbmath: None, tmp_path: Path
) -> None:
    import sqlite_utils

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m010_meta")  # the schema as first shipped
    first = [r[1] for r in old.execute("PRAGMA table_info(publication_metrics)").fetchall()]
    old.close()
    # the frozen first migration still makes the built-in columns of its day
    builtins = ["semantic_scholar", "openalex", "crossref", "google_scholar"]
    assert first == _FIXED[:4] + builtins + _FIXED[4:]
    with Store.open(path) as store:
        assert not migrations.pending(store.db)
        assert _columns(store) == _FIXED[:4] + [*builtins, "zbmath"] + _FIXED[4:]


def test_opening_a_current_database_leaves_the_view_to_sync(tmp_path: Path) -> None:
    """No migration pending: opening does not rebuild (sync keeps the view current)."""
    path = tmp_path / "p.db"
    with Store.open(path) as store:
        store.use_citation_sources(["crossref"])
    with Store.open(path) as store:
        assert _columns(store) == _FIXED[:4] + ["crossref"] + _FIXED[4:]


def test_a_damaged_page_read_while_iterating_is_a_storage_error(tmp_path: Path) -> None:
    """SQLite reads pages as the rows are stepped through: a damaged page met after
    the statement ran (the caller iterating a Store generator, or a Store method's
    own loop) is a StorageError naming the file, never a bare sqlite3 error."""
    from conftest import history_with_a_damaged_tail
    from pubtrack.errors import StorageError

    path = tmp_path / "damaged.db"
    keys = history_with_a_damaged_tail(path)
    with Store.open_readonly(path) as store:
        seen: list[str] = []
        with pytest.raises(StorageError) as err:
            for span in store.iter_spans(in_bib_only=False):
                seen.append(span[0])
        assert str(err.value).startswith(f"{path}: ") and "malformed" in str(err.value)
        assert set(seen) == set(keys)  # the works before z were read: it failed while iterating
        with pytest.raises(StorageError) as err:
            store.check_times()
        assert str(err.value).startswith(f"{path}: ")
        with pytest.raises(StorageError):
            list(store.iter_observations(in_bib_only=False))
        assert len(store.latest_citations()) == len(keys) + 1  # its own table: still readable


KEYWORD_PLUGIN = PLUGIN_SOURCE.replace("class Zbmath", "class Order").replace(
    'name = "zbmath"', 'name = "order"'
)


def test_a_source_named_like_an_sql_keyword_gets_its_column(tmp_path: Path) -> None:
    with installed_plugin(
        tmp_path / "plugin",
        "pubtrack-order-test",
        "[pubtrack.sources]\norder = pubtrack_order_test:Order\n",
        {"pubtrack_order_test": KEYWORD_PLUGIN},
    ):
        store = Store.open(tmp_path / "k.db")
        assert "order" in _columns(store)
        store.sync_library(Library(works=[Work("a", "article", "A")]))
        store.record_citations([CitationCount("a", "order", 3, "2026-11-01T00:00:00Z")])
        row = next(store.db.query('SELECT "order", max_citations FROM publication_metrics'))
        assert row == {"order": 3, "max_citations": 3}
        store.close()


def test_a_source_may_not_take_a_column_every_work_has(tmp_path: Path) -> None:
    from pubtrack.db import METRICS_FIXED_COLUMNS
    from pubtrack.sources.registry import registry

    clash = PLUGIN_SOURCE.replace('name = "zbmath"', 'name = "title"')
    with installed_plugin(
        tmp_path / "plugin",
        "pubtrack-title-test",
        "[pubtrack.sources]\ntitle = pubtrack_title_test:Zbmath\n",
        {"pubtrack_title_test": clash},
    ):
        assert "title" not in registry()
        assert "a column every work has" in registry().broken["title"]
        store = Store.open(tmp_path / "t.db")
        assert _columns(store).count("title") == 1
        assert _columns(store)[:4] == list(METRICS_FIXED_COLUMNS[:4])
        store.close()
