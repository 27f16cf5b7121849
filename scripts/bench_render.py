"""Benchmark `pubtrack render --format md` against a raw bibtexparser parse, as whole processes.

Not a test: prints figures. For generated bibliographies of 10,000 and 50,000
entries (authors with accents, eprint, DOI, LaTeX in titles; and TUGboat from
../shared/corpora when present), each figure is the median of several runs of
a new Python process, with the peak memory (max RSS) of that process:

  raw    ``python -c "bibtexparser.parse_file(path)"`` (the baseline)
  cold   ``pubtrack render --format md`` with no parse or output cache
         (``PUBTRACK_NO_CACHE=1``) on a synced database: the first render after
         the bib changed (target <= 1.5x raw, aim 1.15x)
  warm   the same command again, caches in place (target <= 0.25x raw)

    python scripts/bench_render.py [--runs 5] [--sizes 10000 50000] [--profile]

``--profile`` prints a cProfile of one in-process cold render of each size.
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
from pathlib import Path

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


def prepare_database(config_path: Path) -> None:
    """The database as a sync leaves it: migrated, the bib mirrored into its tables."""
    config = load_config(config_path)
    shutil.rmtree(config.cache_dir, ignore_errors=True)
    with gc_paused():
        library = load_library(config)
    with Store.open(config.database_path) as store:
        store.sync_library_if_changed(library, str(library.fingerprint))
    shutil.rmtree(config.cache_dir, ignore_errors=True)


# Runs one command and reports its wall time and peak memory. A small launcher
# process, so the child's max RSS is its own, not the pages it inherited from a
# fork of this (large) benchmark process.
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status))
"""


def run_process(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MiB, exit status) of one new process."""
    out = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args], env=env, capture_output=True, text=True
    )
    elapsed, peak, code = out.stdout.split()
    return float(elapsed), int(peak), int(code)


def measure(args: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    """(median seconds, max peak MiB) over ``runs`` processes; a failed run stops it."""
    times, peaks = [], []
    for _ in range(runs):
        elapsed, peak, code = run_process(args, env)
        if code != 0:
            raise SystemExit(f"{' '.join(args)} exited {code}")
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def bench(label: str, bib: Path, work: Path, runs: int, profile: bool) -> None:
    config_path = make_project(work / label, bib)
    prepare_database(config_path)
    # Bytecode is written and used, as for an installed package (an editable install
    # under PYTHONDONTWRITEBYTECODE would otherwise recompile every changed module).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PUBTRACK_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PUBTRACK_CONFIG"] = str(config_path)
    raw_args = [sys.executable, "-c", f"import bibtexparser; bibtexparser.parse_file({str(bib)!r})"]
    render_args = [sys.executable, "-m", "pubtrack", "render", "--format", "md"]
    cold_env = {**env, "PUBTRACK_NO_CACHE": "1"}

    measure(raw_args, env, 1)  # one untimed run each first: bytecode, page cache
    measure(render_args, cold_env, 1)
    raw, raw_mem = measure(raw_args, env, runs)
    cold, cold_mem = measure(render_args, cold_env, runs)
    measure(render_args, env, 1)  # fill the parse and output caches
    warm, warm_mem = measure(render_args, env, runs)

    print(f"\n{label}: {bib.name}, {runs} runs each (median, new process per run)")
    print(f"  raw bibtexparser parse   {raw:7.3f} s  {raw_mem:6d} MiB peak")
    print(
        f"  render md, cold          {cold:7.3f} s  {cold_mem:6d} MiB peak"
        f"   ratio {cold / raw:5.2f}x  (target <= 1.5, aim 1.15)"
    )
    print(
        f"  render md, warm          {warm:7.3f} s  {warm_mem:6d} MiB peak"
        f"   ratio {warm / raw:5.2f}x  (target <= 0.25)"
    )
    if profile:
        os.environ["PUBTRACK_NO_CACHE"] = "1"
        config = load_config(config_path)
        prof = cProfile.Profile()
        prof.runcall(lambda: render_project(config, RenderOptions(format="md")))
        del os.environ["PUBTRACK_NO_CACHE"]
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(30)
        print(f"\n  profile (cold, in-process):\n{buf.getvalue()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--profile", action="store_true", help="print cProfile of one render")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pubtrack-bench-") as tmp:
        work = Path(tmp)
        for size in args.sizes:
            generated = work / f"generated-{size}.bib"
            generate_bib(generated, size)
            bench(f"generated-{size}", generated, work, args.runs, args.profile)
        if TUGBOAT.is_file():
            bench("tugboat", TUGBOAT, work, args.runs, args.profile)
        else:
            print(f"\nskipping tugboat: {TUGBOAT} not found")


if __name__ == "__main__":
    main()
