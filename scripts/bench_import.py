"""Benchmark `pubtrack import` of a 300-work profile against the fake APIs.

Not a test: it prints figures. The fake server holds an owner with N works
(pubtrack.testing.fake_api.make_owner_catalogue) behind every profile endpoint.
Each run imports the whole profile into an empty project, in process, through
the real HTTP layer, with the server's rate limits scaled by --time-scale (the
client keeps the same scaled intervals), and reports:

- requests per API, and requests per imported work;
- the rate-limit floor at the REAL limits: per API (requests - 1) x its
  minimum interval (S2 1 s, arXiv 3 s, Crossref 0.2 s, OpenAlex 0.1 s, ORCID
  1/24 s, dblp 1 s), summed (lookups run one API after another);
- wall time (median of --repeat runs) with the limits scaled, next to the
  scaled floor (the difference is pubtrack's own work: parsing, dedupe, writing);
- in the same process, a baseline client that looks every work up on its
  own (one S2 request, one Crossref request, one arXiv request per work:
  batch size 1 through the same code), and the ratio of requests.

    python scripts/bench_import.py                 # 300 works, ORCID profile
    python scripts/bench_import.py --profile all --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pubtrack.config import load_config
from pubtrack.project import init_project
from pubtrack.sources import crossref
from pubtrack.testing.fake_api import (
    CLIENT_INTERVALS,
    OWNER,
    FakeApiServer,
    fast_sync_settings,
    make_owner_catalogue,
)
from pubtrack.works import lookup
from pubtrack.works.importer import Profiles, import_works

OPENALEX_KEY = "bench-import-key"


def run_once(n: int, scale: float, profiles: Profiles, batched: bool) -> dict:
    import os

    catalogue = make_owner_catalogue(n, seed=13, extra_papers=20)
    saved = (lookup.S2_BATCH, lookup.ARXIV_BATCH, crossref.FILTER_BATCH)
    if not batched:
        lookup.S2_BATCH = lookup.ARXIV_BATCH = crossref.FILTER_BATCH = 1
    try:
        with FakeApiServer(catalogue, time_scale=scale, openalex_api_key=OPENALEX_KEY) as server:
            old = {k: os.environ.get(k) for k in [*server.env(), "OPENALEX_API_KEY"]}
            os.environ.update(server.env(), OPENALEX_API_KEY=OPENALEX_KEY)
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    root = Path(tmp) / "cv"
                    init_project(root)
                    with (root / "pubtrack.toml").open("a") as fh:
                        fh.write(fast_sync_settings(scale))
                    config = load_config(root / "pubtrack.toml")
                    start = time.perf_counter()
                    report = import_works(config, profiles, confirm=lambda r: True)
                    wall = time.perf_counter() - start
            finally:
                for k, v in old.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            counts = dict(server.request_counts)
    finally:
        lookup.S2_BATCH, lookup.ARXIV_BATCH, crossref.FILTER_BATCH = saved
    extra = len(getattr(catalogue, "orcid_only", []))
    return {"added": len(report.added), "requests": counts, "wall": wall, "extra": extra}


def floor(requests: dict[str, int]) -> float:
    """Seconds the real APIs need at least for these requests, one API after another."""
    return sum(max(0, n - 1) * CLIENT_INTERVALS.get(api, 0.0) for api, n in requests.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-scale", type=float, default=0.002)
    parser.add_argument("--profile", choices=["orcid", "all"], default="orcid")
    args = parser.parse_args()
    profiles = Profiles(orcid=OWNER["orcid"])
    if args.profile == "all":
        profiles = Profiles(
            orcid=OWNER["orcid"],
            s2_author=OWNER["s2"],
            openalex_author=OWNER["openalex"],
            dblp=OWNER["dblp"],
        )
    for label, batched in (("batched", True), ("baseline (1 id per request)", False)):
        runs = [
            run_once(args.works, args.time_scale, profiles, batched) for _ in range(args.repeat)
        ]
        added = runs[0]["added"]
        requests = runs[0]["requests"]
        total = sum(requests.values())
        wall = statistics.median(r["wall"] for r in runs)
        print(
            f"\n{label}: {added} works imported ({args.works} on the profiles"
            f" + {runs[0]['extra']} only ORCID knows), {args.repeat} runs"
        )
        for api, n in sorted(requests.items()):
            print(
                f"  {api:<17} {n:>5} requests"
                f"  floor {max(0, n - 1) * CLIENT_INTERVALS[api]:>7.1f} s"
            )
        print(f"  requests per imported work: {total / max(1, added):.3f}")
        scaled_floor = floor(requests) * args.time_scale
        print(
            f"  wall time (median): {wall:.2f} s with the limits scaled by {args.time_scale}"
            f" (scaled floor {scaled_floor:.2f} s; the rest is pubtrack's own work)"
        )
        print(f"  at the real limits the requests need at least {floor(requests):.1f} s")
        if batched:
            base_total = total
        else:
            print(f"  baseline / batched requests: {total / max(1, base_total):.1f}x")


if __name__ == "__main__":
    main()
