"""Benchmark: pubtrack's BibTeX reader against a raw bibtexparser parse of the same file.

Prints, from one run (runs interleaved so machine noise hits both alike):
  raw            bibtexparser.parse_file (default middleware stack, no LaTeX decoding)
  cold           load_library with the cache off (PUBTRACK_NO_CACHE=1), fresh decode caches
  first          load_library with an empty cache (parse + cache write)
  second         load_library again on unchanged files (cache hit)
as the median of N runs and the ratio to the raw median. Then the LaTeX
decoding alone on the same titles (cold decode cache each run):
  pubtrack       pubtrack.bibtex.latex.decode on every title
  pylatexenc     LatexNodes2Text().latex_to_text on the same titles
with the ratio pylatexenc / pubtrack (how many times faster pubtrack is).
pylatexenc is a benchmark-only dependency: pip install -e '.[bench]'.

Usage: python scripts/bench_bibtex.py [FILE.bib] [--runs N]
Default file: ../shared/corpora/bib/plk-biber/tugboat.bib (3,644 entries).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import bibtexparser

from pubtrack.bibtex import latex, load_library, names
from pubtrack.config import Config

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bib" / "plk-biber"
DEFAULT_FILE = DEFAULT / "tugboat.bib"


def _clear_memo() -> None:
    """Cold process-level caches, as in a fresh `pubtrack` run."""
    latex.decode.cache_clear()
    names.parse_name.cache_clear()


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    source = Path(args.file)
    if not source.is_file():
        raise SystemExit(f"{source}: not found")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "bib").mkdir()
        shutil.copy(source, root / "bib" / source.name)
        config = Config(root=root, publications=[f"bib/{source.name}"], talks=[])
        bib_path = str(root / "bib" / source.name)
        times: dict[str, list[float]] = {"raw": [], "cold": [], "first": [], "second": []}
        works = 0
        for _ in range(args.runs):
            times["raw"].append(_timed(lambda: bibtexparser.parse_file(bib_path)))

            os.environ["PUBTRACK_NO_CACHE"] = "1"
            _clear_memo()
            times["cold"].append(_timed(lambda: load_library(config)))
            del os.environ["PUBTRACK_NO_CACHE"]

            shutil.rmtree(config.cache_dir, ignore_errors=True)
            _clear_memo()
            times["first"].append(_timed(lambda: load_library(config)))
            _clear_memo()
            start = time.perf_counter()
            library = load_library(config)
            times["second"].append(time.perf_counter() - start)
            works = len(library.works)

    raw = statistics.median(times["raw"])
    titles = [w.fields.get("title", "") for w in library.works if w.fields.get("title")]
    print(f"file: {source} ({source.stat().st_size:,} bytes, {works} works), runs: {args.runs}")
    for name, label in (
        ("raw", "raw bibtexparser.parse_file"),
        ("cold", "load_library, cache off"),
        ("first", "load_library, empty cache (parse + write)"),
        ("second", "load_library, unchanged files (cache hit)"),
    ):
        median = statistics.median(times[name])
        print(f"{label:44s} median {median * 1000:8.1f} ms   ratio to raw {median / raw:5.2f}")
    _bench_decoding(titles, args.runs)


def _bench_decoding(titles: list[str], runs: int) -> None:
    """pubtrack's LaTeX decoder against pylatexenc on the same titles."""
    try:
        from pylatexenc.latex2text import LatexNodes2Text
    except ImportError:
        print("pylatexenc not installed: pip install -e '.[bench]' for the decoding comparison")
        return
    converter = LatexNodes2Text()

    def ours() -> None:
        latex.decode.cache_clear()
        for title in titles:
            latex.decode(title)

    def theirs() -> None:
        for title in titles:
            converter.latex_to_text(title)

    times: dict[str, list[float]] = {"ours": [], "theirs": []}
    for _ in range(runs):
        times["ours"].append(_timed(ours))
        times["theirs"].append(_timed(theirs))
    mine = statistics.median(times["ours"])
    other = statistics.median(times["theirs"])
    print(f"LaTeX decoding of {len(titles)} titles (cold cache), runs: {runs}")
    print(f"{'pubtrack latex.decode':44s} median {mine * 1000:8.1f} ms")
    print(f"{'pylatexenc LatexNodes2Text.latex_to_text':44s} median {other * 1000:8.1f} ms")
    print(f"{'ratio pylatexenc / pubtrack':44s} {other / mine:8.1f}x")


if __name__ == "__main__":
    main()
