"""Benchmark Google Scholar title matching (``google_scholar.match_publications``).

Not a test: prints figures. N bib works against N profile publications (default
300 × 300), titles shaped like real ones (a third are near-copies of a work's
title, a third share most words, the rest unrelated). Measured in the same run:

  baseline  median of the pre-rapidfuzz scoring: difflib's ratio and the word
            Jaccard for every pair, each title normalised per pair (what
            ``match_publications`` did before)
  match     median of ``match_publications`` (titles normalised once, pairs
            scored with rapidfuzz, authors/year checked only above the threshold)

    python scripts/bench_scholar_match.py [--n 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from typing import Any

from pubtrack.identity import normalize_title
from pubtrack.models import Identifiers
from pubtrack.sources.base import WorkRef
from pubtrack.sources.google_scholar import match_publications

WORDS = [
    "learning",
    "model",
    "data",
    "robust",
    "neural",
    "fast",
    "graph",
    "sparse",
    "deep",
    "training",
    "scaling",
    "laws",
    "vision",
    "language",
    "transformer",
    "attention",
    "kernel",
    "bayesian",
    "inference",
    "optimal",
    "transport",
    "causal",
    "reinforcement",
    "policy",
    "gradient",
    "federated",
    "privacy",
    "diffusion",
    "generative",
    "adversarial",
]
OWNER = ["Zihang Liu", "Z. Liu"]


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))).capitalize()


def make_inputs(n: int, seed: int = 3) -> tuple[list[WorkRef], list[dict[str, Any]]]:
    rng = random.Random(seed)
    works = [
        WorkRef(
            key=f"w{i}",
            ids=Identifiers(),
            title=_title(rng),
            authors=["Zihang Liu", "Someone Else"],
            year=2015 + i % 10,
        )
        for i in range(n)
    ]
    pubs: list[dict[str, Any]] = []
    for i in range(n):
        base = works[rng.randrange(n)].title
        kind = i % 3
        if kind == 0:
            title = base.lower() + "."
        elif kind == 1:
            words = base.split()
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            title = " ".join(words)
        else:
            title = _title(rng)
        pubs.append(
            {
                "bib": {"title": title, "pub_year": str(2015 + i % 10)},
                "author_pub_id": f"p{i}",
                "num_citations": i,
            }
        )
    return works, pubs


def difflib_scores(works: list[WorkRef], pubs: list[dict[str, Any]]) -> float:
    """The old per-pair scoring (normalise both, difflib ratio, Jaccard), summed."""
    total = 0.0
    for work in works:
        for pub in pubs:
            left, right = normalize_title(work.title), normalize_title(pub["bib"]["title"])
            ratio = SequenceMatcher(None, left, right, autojunk=False).ratio()
            wa, wb = set(left.split()), set(right.split())
            jaccard = len(wa & wb) / len(wa | wb)
            total += min(ratio, (ratio + jaccard) / 2 + 0.05)
    return total


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    works, pubs = make_inputs(args.n)
    found = sum(r.status == "found" for r in match_publications(works, pubs, OWNER))
    base = median_time(lambda: difflib_scores(works, pubs), args.runs)
    match = median_time(lambda: match_publications(works, pubs, OWNER), args.runs)
    print(f"{args.n} works x {args.n} profile publications, {found} matched")
    print(f"baseline (difflib per pair) median {base:8.3f} s")
    print(f"match_publications          median {match:8.3f} s   ratio {match / base:.3f}")


if __name__ == "__main__":
    main()
