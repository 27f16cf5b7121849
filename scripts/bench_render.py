"""Benchmark `pubtrack render --format md` against a raw bibtexparser parse.

Not a test: prints figures. For tugboat.bib (3,644 entries, from
../shared/corpora) and a generated 10,000-entry bib, measured in the same run:

  raw    median of ``bibtexparser.parse_file(path)`` (the baseline)
  reader median of ``load_library`` alone, no cache (where the time goes)
  cold   median of a full in-process render: no reader cache, a fresh empty
         database (so the bib is mirrored into the tables: the worst case)
  warm   median of a second render of the unchanged bib (cache and database warm)

and the ratios cold/raw (target <= 1.5) and warm/raw (target < 1). A whole
`pubtrack render` command (a new process) is timed once per file for reference.

    python scripts/bench_render.py [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bibtexparser

from pubtrack.bibtex import load_library
from pubtrack.config import load_config
from pubtrack.db import Store
from pubtrack.render import RenderOptions, render_project
from pubtrack.util import gc_paused

REPO = Path(__file__).resolve().parent.parent
TUGBOAT = REPO.parent / "shared" / "corpora" / "bib" / "plk-biber" / "tugboat.bib"

FIRST = ["Zihang", "Yuanzhe", "José", "Anna-Lena", "Wei", "Søren", "Élodie", "Rahul", "Mei"]
LAST = ["Liu", "Hu", "Pang", "Núñez", "van der Berg", "Müller", "O'Neil", "Zhou", "Smith"]
WORDS = ["learning", "model", "data", "robust", "neural", "fast", "graph", "sparse", "deep"]
VENUES = ["Proceedings of NeurIPS", "Journal of Machine Learning Research", "EMNLP", "ICML"]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def generate_bib(path: Path, n: int, seed: int = 7) -> None:
    """n entries shaped like real CV entries: accents, macros, ids, links."""
    rng = random.Random(seed)
    out = ['@string{nips = "Advances in Neural Information Processing Systems"}\n']
    for i in range(n):
        authors = " and ".join(
            f"{rng.choice(LAST)}, {rng.choice(FIRST)}" for _ in range(rng.randint(2, 12))
        )
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize()
        if i % 7 == 0:
            title += r" with {\"u}ber \emph{Emphasis} and {$O(n)$}"
        kind = i % 3
        entry = "inproceedings" if kind == 0 else ("article" if kind == 1 else "misc")
        venue_field = (
            f"booktitle = {{{rng.choice(VENUES)}}}"
            if kind == 0
            else (f"journal = {{{rng.choice(VENUES)}}}" if kind == 1 else "archiveprefix = {arXiv}")
        )
        out.append(
            f"@{entry}{{key{i},\n"
            f"  title = {{{title}}},\n"
            f"  author = {{{authors}}},\n"
            f"  {venue_field},\n"
            f"  year = {{{rng.randint(1995, 2026)}}},\n"
            f"  month = {rng.choice(MONTHS)},\n"
            f"  doi = {{10.1000/x.{i}}},\n"
            f"  eprint = {{{2000 + i % 600}.{i:05d}}},\n"
            f"  url = {{https://example.org/p/{i}~v2}},\n"
            f"  pages = {{{i}--{i + 9}}},\n"
            "}\n\n"
        )
    path.write_text("".join(out), encoding="utf-8")


def median_time(
    fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None
) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_project(root: Path, bib: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Zihang Liu"\naliases = ["Z. Liu"]\n'
        f'[bib]\npublications = ["{bib}"]\ntalks = []\n'
        '[database]\npath = "data/pubtrack.db"\n',
        encoding="utf-8",
    )
    return root / "pubtrack.toml"


def bench(label: str, bib: Path, work: Path, runs: int, profile: bool) -> None:
    config_path = make_project(work / label, bib)
    config = load_config(config_path)
    db_path = config.database_path

    def cold_reset() -> None:
        shutil.rmtree(config.cache_dir, ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        Store.open(db_path).close()  # an empty, migrated database: render mirrors the bib

    def no_database() -> None:
        cold_reset()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)

    def render() -> int:
        return len(render_project(config, RenderOptions(format="md")).text)

    def read_only() -> int:
        with gc_paused():  # as render_project reads it
            return len(load_library(config).works)

    raw = median_time(lambda: bibtexparser.parse_file(str(bib)), runs)
    reader = median_time(read_only, runs, before=no_database)
    cold_no_db = median_time(render, runs, before=no_database)
    cold = median_time(render, runs, before=cold_reset)
    render()  # make sure cache and fingerprint are in place
    warm = median_time(render, runs)

    env = dict(os.environ, PUBTRACK_CONFIG=str(config_path))
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pubtrack", "render", "--format", "md"],
        env=env,
        capture_output=True,
        check=False,
    )
    command = time.perf_counter() - start

    entries = len(render_project(config, RenderOptions(format="md")).library.works)
    print(f"\n{label}: {bib.name}, {entries} works rendered, {runs} runs each (median)")
    print(f"  raw bibtexparser.parse_file   {raw:8.3f} s")
    print(
        f"  reader alone (load_library)   {reader:8.3f} s   ratio {reader / raw:5.2f}x  (no cache)"
    )
    print(
        f"  render md, cold, no database  {cold_no_db:8.3f} s   ratio {cold_no_db / raw:5.2f}x"
        "  (first run: nothing to mirror)"
    )
    print(
        f"  render md, cold (no cache)    {cold:8.3f} s   ratio {cold / raw:5.2f}x  (target <= 1.5;"
        " bib mirrored into an empty database)"
    )
    print(f"  render md, warm (unchanged)   {warm:8.3f} s   ratio {warm / raw:5.2f}x  (target < 1)")
    print(
        f"  `pubtrack render` command     {command:8.3f} s   (one run, new process, warm; "
        f"exit {proc.returncode}, {len(proc.stdout):,} bytes)"
    )
    if profile:
        for name, before in (("cold", cold_reset), ("warm", None)):
            if before:
                before()
            prof = cProfile.Profile()
            prof.runcall(render)
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
            print(f"\n  profile ({name}):\n{buf.getvalue()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print cProfile of one render")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pubtrack-bench-") as tmp:
        work = Path(tmp)
        if TUGBOAT.is_file():
            bench("tugboat", TUGBOAT, work, args.runs, args.profile)
        else:
            print(f"skipping tugboat: {TUGBOAT} not found")
        generated = work / "generated-10000.bib"
        generate_bib(generated, 10_000)
        bench("generated", generated, work, args.runs, args.profile)


if __name__ == "__main__":
    main()
