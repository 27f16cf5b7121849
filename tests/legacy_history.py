"""A many-day citation history, as the pre-change (one row per fetch) layout held it.

Used by tests/test_history_storage.py: the same history is built (a) in the old
layout and migrated (m040 compacts it) and (b) day by day through the store's
live path; every command and view must answer exactly what the pre-change code
answered on (a) before compaction. Those answers are in
tests/golden/history_compaction.json, written by this module run with the code
before m040: ``PYTHONPATH=<that src> python tests/legacy_history.py FILE``.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = "2026-01-25T15:00:00Z"
SOURCES = ("semantic_scholar", "openalex", "crossref")
KEYS = [f"w{i}" for i in range(9)]  # w8 is removed from the bib; w7 appears on day 10
REMOVED = "w8"
LATE = "w7"

# (name, argv) of the commands whose output must not change.
GOLDEN_COMMANDS: list[tuple[str, list[str]]] = [
    ("stats", ["stats"]),
    ("stats_json", ["stats", "--json"]),
    ("stats_crossref", ["stats", "--source", "crossref"]),
    ("history", ["history"]),
    ("history_json", ["history", "w5", "--json"]),
    ("history_key", ["history", "w3"]),
    ("history_removed", ["history", REMOVED]),
    ("history_openalex", ["history", "--source", "openalex"]),
    ("changes_30d", ["changes", "--since", "30d"]),
    ("changes_7d_json", ["changes", "--since", "7d", "--json"]),
    ("changes_date", ["changes", "--since", "2026-01-01"]),
    ("render_md", ["render", "--format", "md"]),
    ("render_json", ["render", "--format", "json"]),
    ("badge_citations", ["badge", "--metric", "citations"]),
    ("badge_h_openalex", ["badge", "--metric", "h-index", "--source", "openalex"]),
]
VIEWS = (
    "latest_citations",
    "publication_metrics",
    "source_totals",
    "paper_citations_per_year",
    "citations_per_year",
    "daily_citations",
    "daily_totals",
)


def observations(seed: int = 14) -> Iterator[tuple[str, str, int, int | None, str, int]]:
    """(key, source, count, influential, retrieved_at, run) in the order a sync wrote them.

    45 days across a year boundary; per source one timestamp per sync; works
    skipped some days, a source missing a day, two syncs on one day, a
    catch-up check in the same second, drops and influential-only changes.
    """
    rng = random.Random(seed)
    counts = {(k, s): rng.randint(0, 40) for k in KEYS for s in SOURCES}
    influential = {k: rng.randint(0, 5) for k in KEYS}
    start = datetime(2025, 12, 11, 3, 0, tzinfo=UTC)
    run = 0
    for day in range(45):
        syncs = [start + timedelta(days=day, minutes=rng.randint(0, 50))]
        if day == 20:
            syncs.append(syncs[0] + timedelta(hours=9))
        for moment in syncs:
            run += 1
            for n, source in enumerate(SOURCES):
                if source == "crossref" and day in (5, 6):
                    continue  # the source did not run these days
                ts = (moment + timedelta(seconds=7 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
                for key in KEYS:
                    if key == LATE and day < 10:
                        continue
                    if key == REMOVED and day > 30:
                        continue
                    if rng.random() < 0.08:
                        continue  # not due / failed this time
                    if rng.random() < 0.15:
                        counts[(key, source)] = max(0, counts[(key, source)] + rng.randint(-2, 6))
                    infl = None
                    if source == "semantic_scholar":
                        if rng.random() < 0.05:
                            influential[key] += 1
                        infl = influential[key]
                    yield key, source, counts[(key, source)], infl, ts, run
                if day == 12 and source == "openalex":
                    yield LATE, source, counts[(LATE, source)], None, ts, run  # catch-up


def bib_text() -> str:
    entries = []
    for i, key in enumerate(KEYS):
        if key == REMOVED:
            continue
        entries.append(
            f"@article{{{key},\n  title = {{Work number {i}}},\n"
            f"  author = {{Lovelace, Ada and Babbage, Charles}},\n"
            f"  journal = {{Journal {i % 3}}},\n  year = {{{2019 + i % 5}}},\n"
            f"  doi = {{10.1234/w{i}}}\n}}\n"
        )
    return "\n".join(entries)


def write_project(root: Path) -> Path:
    """pubtrack.toml + bib/publications.bib (sparklines on, so render reads the series)."""
    (root / "bib").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\nemail = "ada@example.org"\n\n'
        '[sync]\nsources = ["semantic_scholar", "openalex", "crossref"]\n\n'
        "[render]\nsparklines = true\n",
        encoding="utf-8",
    )
    (root / "bib" / "publications.bib").write_text(bib_text(), encoding="utf-8")
    return root / "data" / "pubtrack.db"


def publication_rows() -> list[tuple[str, str, int, int]]:
    return [
        (key, f"Work number {i}", 2019 + i % 5, 0 if key == REMOVED else 1)
        for i, key in enumerate(KEYS)
    ]


def counts_by_year_rows() -> list[tuple[str, str, int, int, str]]:
    return [
        ("w1", "openalex", 2024, 5, "2026-01-20T03:00:00Z"),
        ("w1", "openalex", 2025, 9, "2026-01-20T03:00:00Z"),
        ("w2", "openalex", 2025, 3, "2026-01-20T03:00:00Z"),
    ]


def build_legacy_db(path: Path) -> None:
    """The history in the pre-m040 layout (migrations up to m030, one row per fetch)."""
    import sqlite_utils

    from pubtrack.db import migrations

    conn = sqlite3.connect(str(path), isolation_level=None)
    db = sqlite_utils.Database(conn)
    migrations.apply(db, stop_before="m040_change_only_history")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO publications (key, title, year, in_bib, entry_type, kind)"
        " VALUES (?, ?, ?, ?, 'article', 'journal')",
        publication_rows(),
    )
    conn.executemany(
        "INSERT INTO citations (publication_key, source, count, influential, retrieved_at,"
        " sync_run_id) VALUES (?, ?, ?, ?, ?, ?)",
        list(observations()),
    )
    conn.executemany(
        "INSERT INTO counts_by_year (publication_key, source, year, count, retrieved_at)"
        " VALUES (?, ?, ?, ?, ?)",
        counts_by_year_rows(),
    )
    conn.execute("COMMIT")
    conn.close()


def run_commands(root: Path) -> dict[str, str]:
    """Each GOLDEN_COMMANDS output (exit code + stdout) in the project at ``root``."""
    import os

    from click.testing import CliRunner

    from pubtrack.cli import cli

    out: dict[str, str] = {}
    old_cwd = Path.cwd()
    old_now = os.environ.get("PUBTRACK_NOW")
    os.chdir(root)
    os.environ["PUBTRACK_NOW"] = NOW
    try:
        for name, argv in GOLDEN_COMMANDS:
            result = CliRunner().invoke(cli, argv)
            text = result.stdout
            if name == "render_json":  # the wall-clock time it was rendered
                text = re.sub(r'"generated_at": "[^"]*"', '"generated_at": "…"', text)
            out[name] = f"exit {result.exit_code}\n{text}"
    finally:
        os.chdir(old_cwd)
        if old_now is None:
            os.environ.pop("PUBTRACK_NOW", None)
        else:
            os.environ["PUBTRACK_NOW"] = old_now
    return out


def view_rows(db_path: Path) -> dict[str, list[list[object]]]:
    """Every documented view's rows, sorted (views promise no order)."""
    conn = sqlite3.connect(str(db_path))
    try:
        return {
            view: sorted(
                (list(row) for row in conn.execute(f"SELECT * FROM {view}")),
                key=lambda r: [(x is None, str(x)) for x in r],
            )
            for view in VIEWS
        }
    finally:
        conn.close()


if __name__ == "__main__":  # regenerate the golden outputs with the pre-change code
    import json
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = write_project(Path(tmp))
        build_legacy_db(db)
        views = view_rows(db)
        # render's format belongs to other work: compared with the same code instead
        commands = {n: t for n, t in run_commands(Path(tmp)).items() if not n.startswith("render")}
    Path(sys.argv[1]).write_text(
        json.dumps({"commands": commands, "views": views}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
