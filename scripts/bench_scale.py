"""Benchmark the citation history at lab scale: database size and read-path cost.

Not a test: it prints figures. It builds a project of --works works (default
20,000) with three citation sources and one sync a day, through pubtrack's own
store (``Store.record_citations``, one check per source and day), with
synthetic counts (fixed seed; each day about --change-rate of the counts move,
default 2 %). At each of the --days milestones (default 30, 180, 365) it prints:

- the database size, and what the last day added to it;
- wall time (median of --repeat runs after one warm-up run, each a fresh
  process, interpreter start and imports included; in brackets the same with
  pubtrack's modules already imported) and peak memory (VmHWM) of: render (md), stats, stats --json,
  changes --since 30d, history KEY, and every documented view (read in full;
  daily_citations, whose full output is one row per work and day, is read for
  one work and for one day).

In the same run, the pre-change layout (one citations row per fetch, the old
views) is built for the --legacy-days milestones (default 30: 365 days of it
is 2.4 GB) and measured the same way; its commands run the pre-change code
(``git archive --baseline-rev``, default the last commit before change-only
storage) so the ratio compares like with like.

    python scripts/bench_scale.py                                  # the full run
    python scripts/bench_scale.py --works 2000 --days 10 30 --legacy-days 10 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SOURCES = ("semantic_scholar", "openalex", "crossref")
VIEWS = (
    "latest_citations",
    "publication_metrics",
    "source_totals",
    "paper_citations_per_year",
    "citations_per_year",
    "daily_totals",
)
START = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_project(root: Path, works: int) -> None:
    (root / "bib").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\nemail = "bench@example.org"\n\n'
        '[sync]\nsources = ["semantic_scholar", "openalex", "crossref"]\n',
        encoding="utf-8",
    )
    entries = [
        f"@article{{w{i:05d},\n  title = {{Synthetic work number {i}}},\n"
        f"  author = {{Lovelace, Ada and Author{i % 97}, Some}},\n"
        f"  journal = {{Journal {i % 50}}},\n  year = {{{2000 + i % 26}}},\n"
        f"  doi = {{10.5555/bench.{i}}}\n}}\n"
        for i in range(works)
    ]
    (root / "bib" / "publications.bib").write_text("\n".join(entries), encoding="utf-8")


class Counts:
    """Synthetic counts: skewed start, about ``rate`` of them move each day."""

    def __init__(self, works: int, rate: float, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rate = rate
        self.keys = [f"w{i:05d}" for i in range(works)]
        self.values = {
            s: [int(self.rng.lognormvariate(1.5, 1.4)) for _ in self.keys] for s in SOURCES
        }

    def step(self) -> None:
        rng = self.rng
        n = len(self.keys)
        for s in SOURCES:
            values = self.values[s]
            for _ in range(max(1, int(n * self.rate))):
                i = rng.randrange(n)
                values[i] = max(0, values[i] + (rng.randint(1, 4) if rng.random() < 0.95 else -1))


def size_mb(path: Path) -> float:
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size / 1e6


class NewLayout:
    def __init__(self, root: Path) -> None:
        os.environ["PUBTRACK_NOW"] = _ts(START)
        from pubtrack.bibtex import load_library
        from pubtrack.config import load_config
        from pubtrack.db import Store

        self.config = load_config(root / "pubtrack.toml")
        self.store = Store.open(self.config.database_path)
        self.store.sync_library(load_library(self.config))
        self.path = self.config.database_path

    def record(self, day: int, counts: Counts) -> None:
        from pubtrack.models import CitationCount

        moment = START + timedelta(days=day)
        os.environ["PUBTRACK_NOW"] = _ts(moment)
        run = self.store.start_run(list(SOURCES), len(counts.keys))
        for n, source in enumerate(SOURCES):
            ts = _ts(moment + timedelta(seconds=30 * n))
            with self.store.transaction():
                self.store.record_citations(
                    (
                        CitationCount(k, source, c, ts)
                        for k, c in zip(counts.keys, counts.values[source], strict=True)
                    ),
                    run,
                )
        self.store.finish_run(
            run, status="ok", updated=len(counts.keys), requests={}, errors={}, duration_seconds=0
        )


class LegacyLayout:
    """One row per fetch and the old views: the pre-change code's own migrations."""

    def __init__(self, root: Path, baseline_src: Path, new_db: Path) -> None:
        self.path = root / "data" / "pubtrack.db"
        code = (
            "import sys, sqlite3, sqlite_utils; from pubtrack.db import migrations;"
            "db = sqlite_utils.Database(sqlite3.connect(sys.argv[1], isolation_level=None));"
            "migrations.apply(db)"
        )
        env = {**os.environ, "PYTHONPATH": str(baseline_src)}
        subprocess.run([sys.executable, "-c", code, str(self.path)], check=True, env=env)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = wal")
        self.conn.execute(f"ATTACH '{new_db}' AS new")
        self.conn.execute("INSERT INTO publications SELECT * FROM new.publications")
        self.conn.execute("DETACH new")

    def record(self, day: int, counts: Counts) -> None:
        moment = START + timedelta(days=day)
        self.conn.execute("BEGIN")
        cur = self.conn.execute(
            "INSERT INTO sync_runs (started_at, status) VALUES (?, 'ok')", [_ts(moment)]
        )
        run = cur.lastrowid
        for n, source in enumerate(SOURCES):
            ts = _ts(moment + timedelta(seconds=30 * n))
            self.conn.executemany(
                "INSERT INTO citations (publication_key, source, count, influential,"
                " retrieved_at, sync_run_id) VALUES (?, ?, ?, NULL, ?, ?)",
                (
                    (k, source, c, ts, run)
                    for k, c in zip(counts.keys, counts.values[source], strict=True)
                ),
            )
        self.conn.execute("COMMIT")


# -- measuring (each run a fresh process) -------------------------------------


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(argv: list[str]) -> None:
    """``--child KIND CWD ARG...``: run one command or view query, print figures."""
    kind, cwd, *rest = argv
    os.chdir(cwd)
    if kind == "cli":  # imports are timed by the wall figure only
        import pubtrack.cli
        import pubtrack.render
        import pubtrack.stats  # noqa: F401

    started = time.perf_counter()
    if kind == "cli":
        from pubtrack.cli import cli

        with open(os.devnull, "w") as sink:
            stdout = sys.stdout
            sys.stdout = sink
            try:
                cli.main(rest, standalone_mode=False)
            finally:
                sys.stdout = stdout
    else:
        conn = sqlite3.connect(f"file:{rest[0]}?mode=ro", uri=True)
        rows = sum(1 for _ in conn.execute(rest[1], rest[2:]))
        assert rows >= 0
    seconds = time.perf_counter() - started
    peak = peak_mb()
    print(json.dumps({"inner": seconds, "peak_mb": peak}))


def measure(
    kind: str, cwd: Path, args: list[str], repeat: int, env: dict[str, str]
) -> tuple[float, float, float]:
    """(median wall seconds, max peak MB, median in-process seconds) over ``repeat``
    fresh processes (wall includes starting Python and importing pubtrack)."""
    times, peaks, inner = [], [], []
    for run in range(repeat + 1):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(cwd), *args],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - started
        if out.returncode != 0:
            print(f"  ! {kind} {' '.join(args)} failed: {out.stderr.strip()[-300:]}")
            return float("nan"), float("nan"), float("nan")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        if run == 0:
            continue  # a warm-up: render's first run after a bib change fills its caches
        times.append(wall)
        peaks.append(figures["peak_mb"])
        inner.append(figures["inner"])
    return statistics.median(times), max(peaks), statistics.median(inner)


def probes(db: Path, day: int) -> list[tuple[str, str, list[str]]]:
    """(label, kind, args) of everything measured."""
    moment = START + timedelta(days=day)
    out = [
        ("render", "cli", ["render", "--format", "md"]),
        ("stats", "cli", ["stats"]),
        ("stats --json", "cli", ["stats", "--json"]),
        ("changes --since 30d", "cli", ["changes", "--since", "30d"]),
        ("history KEY", "cli", ["history", "w00042"]),
    ]
    for view in VIEWS:
        out.append((f"view {view}", "sql", [str(db), f"SELECT * FROM {view}"]))
    out.append(
        (
            "view daily_citations (1 work)",
            "sql",
            [str(db), "SELECT * FROM daily_citations WHERE publication_key = ?", "w00042"],
        )
    )
    out.append(
        (
            "view daily_citations (1 day)",
            "sql",
            [str(db), "SELECT * FROM daily_citations WHERE day = ?", _ts(moment)[:10]],
        )
    )
    return out


def report(
    label: str,
    root: Path,
    db: Path,
    day: int,
    added: float,
    repeat: int,
    env: dict[str, str],
    skip: set[str],
) -> dict[str, tuple[float, float]]:
    moment = START + timedelta(days=day)
    env = {**env, "PUBTRACK_NOW": _ts(moment + timedelta(hours=9))}
    conn = sqlite3.connect(str(db))
    rows = conn.execute("SELECT count(*) FROM citations").fetchone()[0]
    conn.close()
    size = size_mb(db)
    print(
        f"\n[{label}] day {day}: {rows:,} citations rows, {size:.1f} MB"
        f" (the last day added {added:.2f} MB)"
    )
    figures: dict[str, tuple[float, float]] = {"db": (size, added)}
    for name, kind, args in probes(db, day):
        if name in skip:
            continue
        seconds, peak, inner = measure(kind, root, args, repeat, env)
        figures[name] = (seconds, peak)
        print(
            f"  {name:<34} {seconds:7.2f} s  {peak:7.0f} MB   (modules loaded: {inner:.2f} s)",
            flush=True,
        )
    return figures


def baseline_tree(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=20_000)
    parser.add_argument("--days", type=int, nargs="+", default=[30, 180, 365])
    parser.add_argument("--legacy-days", type=int, nargs="*", default=[30])
    parser.add_argument("--change-rate", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--legacy-repeat", type=int, default=1)
    parser.add_argument(
        "--baseline-rev", default="b4eda0e", help="the pre-change code (git revision)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the projects here")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pubtrack-scale-"))
    base = args.keep or tmp
    new_root, old_root = base / "new", base / "legacy"
    for root in (new_root, old_root):
        if root.exists():
            shutil.rmtree(root)
        write_project(root, args.works)
    env = {k: v for k, v in os.environ.items() if k != "PUBTRACK_NOW"}
    env["PYTHONPATH"] = str(ROOT / "src")
    print(
        f"{args.works:,} works x {len(SOURCES)} sources, one sync a day, "
        f"{args.change_rate:.0%} of the counts move a day (seed {args.seed})"
    )
    try:
        counts = Counts(args.works, args.change_rate, args.seed)
        new = NewLayout(new_root)
        legacy = None
        old_env = dict(env)
        if args.legacy_days:
            old_src = baseline_tree(args.baseline_rev, tmp)
            legacy = LegacyLayout(old_root, old_src, new.path)
            old_env["PYTHONPATH"] = str(old_src)
        last = max([*args.days, *(args.legacy_days or [0])])
        results: dict[tuple[str, int], dict[str, tuple[float, float]]] = {}
        size_before = {"new": 0.0, "legacy": 0.0}
        build = 0.0
        growth: list[tuple[float, int]] = []  # (MB the day added, day)
        size_then = 0.0
        for day in range(1, last + 1):
            if day > 1:
                counts.step()
            want_new = day in args.days
            want_old = legacy is not None and day in args.legacy_days
            if want_new or day + 1 in args.days:
                size_before["new"] = size_mb(new.path)
            started = time.perf_counter()
            new.record(day, counts)
            build += time.perf_counter() - started
            size_now = size_mb(new.path)
            if day > 1:
                growth.append((size_now - size_then, day))
            size_then = size_now
            if legacy is not None and day <= max(args.legacy_days):
                if want_old or day + 1 in args.legacy_days:
                    size_before["legacy"] = size_mb(legacy.path)
                legacy.record(day, counts)
            if day % 10 == 0:
                print(f"  … day {day} built ({build / day:.2f} s a day through the store)")
            if want_new:
                new.store.close()
                added = size_mb(new.path) - size_before["new"]
                results[("new", day)] = report(
                    "change-only", new_root, new.path, day, added, args.repeat, env, set()
                )
                new = NewLayout.__new__(NewLayout)
                from pubtrack.db import Store

                new.store = Store.open(new_root / "data" / "pubtrack.db")
                new.path = new_root / "data" / "pubtrack.db"
            if want_old and legacy is not None:
                added = size_mb(legacy.path) - size_before["legacy"]
                results[("legacy", day)] = report(
                    "pre-change",
                    old_root,
                    legacy.path,
                    day,
                    added,
                    args.legacy_repeat,
                    old_env,
                    set(),
                )
            if legacy is not None and day == max(args.legacy_days):
                legacy.conn.close()
                legacy = None
        new.store.close()
        print_table(results)
        if growth:
            biggest = max(growth)
            day_of = (START + timedelta(days=biggest[1])).date()
            why = (
                ": the first sync of a year adds one citation_years row per work and source"
                if (day_of.month, day_of.day) == (1, 1)
                else ""
            )
            print(
                f"\nWhat a day adds to the change-only database: median "
                f"{statistics.median(g for g, _ in growth):.2f} MB, largest "
                f"{biggest[0]:.2f} MB (day {biggest[1]}, {day_of}{why})"
            )
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


def print_table(results: dict[tuple[str, int], dict[str, tuple[float, float]]]) -> None:
    print("\nSummary (seconds / peak MB; db: MB / MB added by the last day)")
    names = [n for n in next(iter(results.values())) if n != "db"]
    header = ["", *(f"{layout} {day}d" for layout, day in results)]
    rows = [
        header,
        ["db size", *(f"{r['db'][0]:.0f} / +{r['db'][1]:.2f}" for r in results.values())],
    ]
    for name in names:
        cells = [name]
        for (layout, day), r in results.items():
            s, m = r.get(name, (float("nan"), float("nan")))
            cells.append(f"{s:.2f} s / {m:.0f}")
            if layout == "legacy" and ("new", day) in results:
                pass
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print(
            "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
        )
    for (layout, day), r in results.items():
        if layout == "legacy" and ("new", day) in results:
            new = results[("new", day)]
            ratios = [
                f"{name} {r[name][0] / new[name][0]:.0f}x"
                for name in names
                if name in new and new[name][0] > 0 and r[name][0] == r[name][0]
            ]
            print(
                f"pre-change / change-only at {day} days: db {r['db'][0] / new['db'][0]:.0f}x; "
                + ", ".join(ratios)
            )


if __name__ == "__main__":
    sys.exit(main())
