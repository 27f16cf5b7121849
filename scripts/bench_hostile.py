"""Benchmark: time and peak memory of pubtrack on pathological (hostile) input.

For each case the input is built at several sizes (n, 2n, 4n, 8n) and the code
under test runs on it ``--runs`` times; printed per size: the median time, the
peak memory (tracemalloc, one extra run), and two ratios:

  growth   median time at this size / median time at the smallest size
           (linear work shows ~1, 2, 4, 8 as the input doubles; quadratic 1, 4, 16, 64)
  vs base  median time / the median of a baseline run in this process: the same
           code on an ordinary input of the same size in bytes

Cases: a long `journal` holding "arxiv" and spaces (the arXiv-in-text pattern),
thousands of nested braces, long accent chains, long crossref chains and
cycles, doubling @string macros, control characters, markdown with unclosed
fences, many markers and unterminated marker options (--inject), obfuscated
link URLs.

Usage: python scripts/bench_hostile.py [--runs N] [--scale F] [--case NAME]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pubtrack.bibtex import latex
from pubtrack.bibtex.reader import read_string
from pubtrack.render.inject import find_regions
from pubtrack.render.urls import safe_url

ENTRY = "@article{{k{i}, title={{A Title {i}}}, author={{Ann Bee}}, journal={{J}}, year=2020}}\n"


def _plain_bib(size: int) -> str:
    """An ordinary bib file of about ``size`` bytes (the baseline input)."""
    out, i, total = [], 0, 0
    while total < size:
        chunk = ENTRY.format(i=i)
        out.append(chunk)
        total += len(chunk)
        i += 1
    return "".join(out)


def _read(text: str) -> None:
    latex.decode.cache_clear()
    read_string(text)


def _plain_md(size: int) -> str:
    line = "Some ordinary paragraph text in a README file.\n"
    body = line * max(1, size // len(line))
    return body + "<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n"


@dataclass
class Case:
    name: str
    base: int  # n at the smallest size
    build: Callable[[int], str]
    run: Callable[[str], object]
    baseline: Callable[[int], str]  # an ordinary input of about the same bytes


def _md_regions(text: str) -> object:
    try:
        return find_regions(text, Path("README.md"), "md")
    except Exception:  # a refusal is a result; only the time matters here
        return None


CASES = [
    Case(
        "arxiv-in-journal",
        20_000,
        lambda n: "@article{a, title={T}, journal={arxiv" + " " * n + "}, year=2020}\n",
        _read,
        _plain_bib,
    ),
    Case(
        "arxiv-words",
        20_000,
        lambda n: "@article{a, title={T}, journal={" + "arxiv " * (n // 6) + "}, year=2020}\n",
        _read,
        _plain_bib,
    ),
    Case(
        "nested-braces",
        2_000,
        lambda n: "@article{a, title={" + "{" * n + "x" + "}" * n + "}, year=2020}\n",
        _read,
        _plain_bib,
    ),
    Case(
        "accent-chain",
        4_000,
        lambda n: "@article{a, title={" + "\\'" * n + "e}, year=2020}\n",
        _read,
        _plain_bib,
    ),
    Case(
        "crossref-chain",
        1_000,
        lambda n: (
            "".join(
                f"@inproceedings{{c{i}, crossref={{c{i + 1}}}, title={{T{i}}}}}\n" for i in range(n)
            )
            + f"@proceedings{{c{n}, title={{Top}}, year=2000}}\n"
        ),
        _read,
        _plain_bib,
    ),
    Case(
        "crossref-cycle",
        1_000,
        lambda n: "".join(
            f"@inproceedings{{c{i}, crossref={{c{(i + 1) % n}}}, title={{T{i}}}}}\n"
            for i in range(n)
        ),
        _read,
        _plain_bib,
    ),
    Case(
        "string-doubling",
        10,
        lambda n: (
            "@string{s0 = {ab}}\n"
            + "".join(f"@string{{s{i + 1} = s{i} # s{i}}}\n" for i in range(n * 4))
            + f"@article{{a, title = s{n * 4}, year=2020}}\n"
        ),
        _read,
        _plain_bib,
    ),
    Case(
        "control-chars",
        20_000,
        lambda n: "@article{a, title={" + "\x00\x1b[31m" * (n // 6) + "}, year=2020}\n",
        _read,
        _plain_bib,
    ),
    Case(
        "unclosed-fences",
        5_000,
        lambda n: (
            "```\n~~~~\n    indented\n`` x `\n" * (n // 20)
            + "<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n"
        ),
        _md_regions,
        _plain_md,
    ),
    Case(
        "many-markers",
        5_000,
        lambda n: "<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n" * (n // 60),
        _md_regions,
        _plain_md,
    ),
    Case(
        "marker-options",
        5_000,
        lambda n: "<!-- pubtrack:publications" + " a=b-" * (n // 5) + " -\n",
        _md_regions,
        _plain_md,
    ),
    Case(
        "obfuscated-url",
        20_000,
        lambda n: "&#106;" * (n // 6) + "avascript&colon;alert(1)",
        safe_url,
        lambda size: "https://example.org/" + "a" * size,
    ),
]


def _median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_memory(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every base size")
    parser.add_argument("--case", action="append", help="only this case (repeatable)")
    args = parser.parse_args()
    print(f"runs per size: {args.runs} (median); sizes n, 2n, 4n, 8n")
    print(
        f"{'case':18s} {'n':>8s} {'bytes':>10s} {'median ms':>10s} {'peak KiB':>10s} "
        f"{'growth':>7s} {'vs base':>8s}"
    )
    for case in CASES:
        if args.case and case.name not in args.case:
            continue
        first: float | None = None
        for factor in (1, 2, 4, 8):
            n = max(1, int(case.base * args.scale)) * factor
            text = case.build(n)
            baseline = case.baseline(len(text))
            run = case.run
            median = _median_time(lambda t=text, r=run: r(t), args.runs)
            base_median = _median_time(lambda b=baseline, r=run: r(b), args.runs)
            peak = _peak_memory(lambda t=text, r=run: r(t))
            first = first or median
            print(
                f"{case.name:18s} {n:8d} {len(text):10,d} {median * 1000:10.2f} "
                f"{peak / 1024:10.0f} {median / first:7.2f} {median / base_median:8.2f}"
            )


if __name__ == "__main__":
    main()
