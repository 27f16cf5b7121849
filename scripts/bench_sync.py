"""Benchmark `pubtrack sync` against the fake APIs with the REAL rate limits.

Not a test: it prints figures. For each library size (default 1,000 and 5,000
works) it runs the real `pubtrack sync` command (a subprocess) against the fake
server (pubtrack.testing.fake_api) enforcing the real services' limits
(Semantic Scholar 1 request/s, arXiv one request every 3 s and one connection,
OpenAlex 10/s), and reports:

- requests sent per source (counted by the server) against the lower bound:
  S2 ceil(N/500), arXiv ceil(N_arxiv/batch), OpenAlex ceil(N/100), Crossref
  ceil(N_doi/50) (its ``/works?filter=doi:…`` list query);
- requests sent by a second sync right after (a no-op resync: 0 expected);
- wall time (median of --repeat runs) against the rate-limit floor: the sum
  over sources of (lower-bound requests - 1) x the source's minimum interval
  (sources run one after another, each at its own limit);
- in the same run, a naive client that sends one request per paper and per
  source (S2 GET /paper/{id}, arXiv id_list=<one id>, OpenAlex filter=doi:<one>,
  Crossref GET /works/{doi}: what pubtrack sent to Crossref before batching),
  through the same HTTP layer at the same limits, on a sample of works;
  its time for N works is EXTRAPOLATED linearly from the sample (5,000 naive
  arXiv requests at 3 s each would take over four hours).

Crossref's limit in the polite pool is lower for list queries than for single
records: pubtrack spaces its list queries 0.4 s apart (the floor uses that).
Works without any id (title matches, one request each by API
design) are given ids here, so that the lower bounds are exact.

    python scripts/bench_sync.py                      # 1,000 and 5,000 works
    python scripts/bench_sync.py --sizes 200 --repeat 1 --naive-sample 5   # quick look
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pubtrack.config import Config
from pubtrack.sources.http import HttpClient
from pubtrack.testing.fake_api import FakeApiServer, FakePaper, make_papers, write_bib

SOURCES = ("semantic_scholar", "arxiv", "openalex", "crossref")
# real limits (Crossref: pubtrack's spacing of list queries; single records 0.2 s)
INTERVALS = {"semantic_scholar": 1.0, "arxiv": 3.0, "openalex": 0.1, "crossref": 0.4}
BATCH = {"semantic_scholar": 500, "openalex": 100, "crossref": 50}
OPENALEX_KEY = "bench-dummy-key"


def papers_for(n: int) -> list[FakePaper]:
    papers = make_papers(n, seed=11)
    for paper in papers:
        if not paper.bib_ids:  # no id at all: give it its ids (see the docstring)
            paper.bib_ids = ("arxiv", "doi")
    return papers


def lower_bounds(papers: list[FakePaper], arxiv_batch: int) -> dict[str, int]:
    n_arxiv = sum(1 for p in papers if p.arxiv_id and "arxiv" in p.bib_ids)
    return {
        "semantic_scholar": math.ceil(len(papers) / BATCH["semantic_scholar"]),
        "arxiv": math.ceil(n_arxiv / arxiv_batch),
        "openalex": math.ceil(len(papers) / BATCH["openalex"]),
        "crossref": math.ceil(len(_crossref_dois(papers)) / BATCH["crossref"]),
    }


def _crossref_dois(papers: list[FakePaper]) -> list[str]:
    """The DOIs Crossref is asked about: journal DOIs (arXiv's are DataCite's)."""
    return [p.doi for p in papers if p.doi and not p.doi.lower().startswith("10.48550/")]


def floor_seconds(bounds: dict[str, int]) -> float:
    return sum(max(0, bounds[s] - 1) * INTERVALS[s] for s in SOURCES)


def write_project(root: Path, papers: list[FakePaper], arxiv_batch: int, margin: float) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_bib(papers, root / "bib" / "publications.bib")
    listed = ", ".join(f'"{s}"' for s in SOURCES)
    sections = ""
    for s in SOURCES:
        sections += f"\n[sync.{s}]\n"
        if s == "arxiv":
            sections += f"batch_size = {arxiv_batch}\n"
        if margin:
            sections += f"min_interval = {INTERVALS[s] * (1 + margin):.4f}\n"
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Bench"\nemail = "bench@example.org"\n\n'
        '[bib]\npublications = ["bib/*.bib"]\ntalks = []\n\n'
        '[database]\npath = "data/pubtrack.db"\n\n'
        f"[sync]\nsources = [{listed}]\n{sections}",
        encoding="utf-8",
    )


def env_for(server: FakeApiServer, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_")}
    env.pop("S2_API_KEY", None)
    env.update(server.env())
    env.update(PUBTRACK_CONFIG=str(root / "pubtrack.toml"), OPENALEX_API_KEY=OPENALEX_KEY)
    return env


def run_sync_once(
    papers: list[FakePaper], arxiv_batch: int, margin: float
) -> tuple[float, dict[str, int], int, int]:
    """One full sync into a fresh project, then a resync at once: (wall seconds,
    requests per source, 429s, requests of the resync)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeApiServer(papers, time_scale=1.0, openalex_api_key=OPENALEX_KEY) as server,
    ):
        root = Path(tmp)
        write_project(root, papers, arxiv_batch, margin)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pubtrack", "sync", "--quiet"],
            cwd=root,
            env=env_for(server, root),
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        if result.returncode != 0:
            sys.exit(f"pubtrack sync failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        counts = {s: server.count(s) for s in SOURCES}
        too_many = sum(server.count(s, 429) for s in SOURCES)
        again = subprocess.run(
            [sys.executable, "-m", "pubtrack", "sync", "--quiet"],
            cwd=root,
            env=env_for(server, root),
            capture_output=True,
            text=True,
        )
        if again.returncode != 0:
            sys.exit(f"the resync failed ({again.returncode}):\n{again.stdout}{again.stderr}")
        resync = sum(server.count(s) for s in SOURCES) - sum(counts.values())
        return wall, counts, too_many, resync


def run_naive(
    papers: list[FakePaper], margin: float
) -> tuple[float, dict[str, int], dict[str, float]]:
    """One request per paper and source, same HTTP layer, same limits: (s, requests, s/source)."""
    with FakeApiServer(papers, time_scale=1.0, openalex_api_key=OPENALEX_KEY) as server:
        config = Config(root=Path("."))
        http = HttpClient(config, user_agent_contact="bench@example.org")
        urls = {s: server.api_url(s) for s in SOURCES}
        per_source: dict[str, float] = {}
        started = time.monotonic()
        try:
            t0 = time.monotonic()
            for p in papers:
                ident = f"ARXIV:{p.arxiv_id}" if p.arxiv_id else f"DOI:{p.doi}"
                http.request(
                    "semantic_scholar",
                    "GET",
                    f"{urls['semantic_scholar']}/paper/{ident}",
                    params={"fields": "citationCount"},
                    min_interval=INTERVALS["semantic_scholar"] * (1 + margin),
                    allow_status=(404,),
                )
            per_source["semantic_scholar"] = time.monotonic() - t0
            t0 = time.monotonic()
            for p in papers:
                if p.arxiv_id:
                    http.request(
                        "arxiv",
                        "GET",
                        urls["arxiv"],
                        params={"id_list": p.arxiv_id, "max_results": 1},
                        expect="xml",
                        min_interval=INTERVALS["arxiv"] * (1 + margin),
                        exclusive=True,
                    )
            per_source["arxiv"] = time.monotonic() - t0
            t0 = time.monotonic()
            for p in papers:
                doi = p.doi or p.arxiv_doi
                http.request(
                    "openalex",
                    "GET",
                    f"{urls['openalex']}/works",
                    params={"filter": f"doi:{doi}", "per_page": 1, "api_key": OPENALEX_KEY},
                    min_interval=INTERVALS["openalex"] * (1 + margin),
                )
            per_source["openalex"] = time.monotonic() - t0
            t0 = time.monotonic()
            for doi in _crossref_dois(papers):
                http.request(
                    "crossref",
                    "GET",
                    f"{urls['crossref']}/works/{doi}",
                    params={"mailto": "bench@example.org"},
                    min_interval=0.2 * (1 + margin),
                    allow_status=(404,),
                )
            per_source["crossref"] = time.monotonic() - t0
        finally:
            http.close()
        return time.monotonic() - started, {s: server.count(s) for s in SOURCES}, per_source


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="sync runs per size (median)")
    parser.add_argument(
        "--repeat-large", type=int, default=1, help="runs for sizes above 2,000 (slow)"
    )
    parser.add_argument("--arxiv-batch", type=int, default=100)
    parser.add_argument("--naive-sample", type=int, default=12, help="works in the naive sample")
    parser.add_argument(
        "--margin",
        type=float,
        default=0.0,
        help="keep each source's interval this fraction above the limit (e.g. 0.02); "
        "0 uses the sources' defaults. The floor always uses the real limits.",
    )
    args = parser.parse_args()

    print("pubtrack sync benchmark: fake APIs at the REAL rate limits")
    print(
        "limits: semantic_scholar 1 req/s, arxiv 1 req/3 s (one connection), openalex 10 req/s,"
        " crossref list queries 0.4 s apart;"
        f" arXiv batch {args.arxiv_batch} ids; client interval margin {args.margin:.0%}"
    )
    sample = papers_for(args.naive_sample)
    naive_wall, naive_requests, naive_per_source = run_naive(sample, args.margin)
    # Seconds per additional request (the first one goes out at once): N requests
    # take about (N - 1) x this.
    per_work = {
        s: naive_per_source[s] / max(1, naive_requests[s] - 1) if naive_requests[s] else 0.0
        for s in SOURCES
    }
    print(
        f"naive baseline: {args.naive_sample} works measured in {naive_wall:.1f} s "
        f"({', '.join(f'{s} {naive_requests[s]} requests' for s in SOURCES)}); "
        "extrapolated linearly below"
    )

    for n in args.sizes:
        papers = papers_for(n)
        bounds = lower_bounds(papers, args.arxiv_batch)
        floor = floor_seconds(bounds)
        runs = args.repeat if n <= 2000 else args.repeat_large
        walls: list[float] = []
        counts: dict[str, int] = {}
        too_many = 0
        resyncs: list[int] = []
        for _ in range(runs):
            wall, counts, n429, resync = run_sync_once(papers, args.arxiv_batch, args.margin)
            walls.append(wall)
            too_many += n429
            resyncs.append(resync)
        median = statistics.median(walls)
        n_arxiv = sum(1 for p in papers if p.arxiv_id and "arxiv" in p.bib_ids)
        print()
        print(f"== {n} works ({n_arxiv} with an arXiv id), {runs} run(s)")
        naive_reqs = {
            "semantic_scholar": n,
            "arxiv": n_arxiv,
            "openalex": n,
            "crossref": len(_crossref_dois(papers)),
        }
        print(f"{'source':<18}{'requests':>9}{'lower bound':>13}{'ratio':>8}")
        for s in SOURCES:
            ratio = counts[s] / bounds[s] if bounds[s] else float("nan")
            print(
                f"{s:<18}{counts[s]:>9}{bounds[s]:>13}{ratio:>8.2f}"
                f"   (one per work: {naive_reqs[s]})"
            )
        total, total_bound = sum(counts.values()), sum(bounds.values())
        print(f"{'total':<18}{total:>9}{total_bound:>13}{total / total_bound:>8.2f}")
        print(f"429 answers: {too_many}")
        print(f"no-op resync right after: {max(resyncs)} requests")
        print(
            f"wall time: median {median:.1f} s (runs: {', '.join(f'{w:.1f}' for w in walls)}); "
            f"rate-limit floor {floor:.1f} s; ratio {median / floor:.2f}"
            if floor
            else f"wall time: median {median:.1f} s; rate-limit floor 0 s"
        )
        naive_time = sum(per_work[s] * max(0, naive_reqs[s] - 1) for s in SOURCES)
        print(
            f"naive (extrapolated from {args.naive_sample} works): "
            f"{sum(naive_reqs.values())} requests, ~{naive_time / 60:.0f} min; "
            f"batched sync: {sum(naive_reqs.values()) / total:.0f}x fewer requests, "
            f"{naive_time / median:.0f}x faster"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
