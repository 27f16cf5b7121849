"""A small fictional project with a citation history, for page tests and the README
screenshot (``scripts/screenshot_page.py``). Nothing here is a real person's record."""

from __future__ import annotations

from pathlib import Path

CONFIG = """[owner]
name = "Ada Lovelace"
aliases = ["A. Lovelace"]

[bib]
publications = ["bib/publications.bib"]
talks = ["bib/talks.bib"]

[database]
path = "data/pubtrack.db"
"""

PUBLICATIONS = r"""
@inproceedings{lovelace2025engines,
  title     = {Analytical Engines as \emph{General} Computers},
  author    = {Lovelace*, Ada and Babbage*, Charles and Somerville$^\dagger$, Mary},
  booktitle = {Proceedings of the Conference on Engines},
  abbr      = {CoE},
  year      = {2025},
  month     = jun,
  award     = {Best Paper},
  doi       = {10.5555/coe.2025.1},
  eprint    = {2501.00001},
  archiveprefix = {arXiv},
  code      = {https://example.org/engines},
  selected  = {true},
  google_scholar_id = {AbCdEf12345},
}
@article{lovelace2024notes,
  title   = {Notes on the Bernoulli Numbers},
  author  = {Lovelace, Ada and Menabrea, Luigi},
  journal = {Journal of Computing Machinery},
  volume  = {12},
  number  = {3},
  pages   = {45--67},
  year    = {2024},
  doi     = {10.5555/jcm.2024.12},
  selected = {true},
}
@misc{lovelace2023poetry,
  title  = {Poetical Science: A Preprint},
  author = {Lovelace, Ada and De Morgan, Augustus},
  year   = {2023},
  eprint = {2310.00002},
  archiveprefix = {arXiv},
}
@phdthesis{lovelace2021thesis,
  title  = {On the Limits of Mechanical Reasoning},
  author = {Lovelace, Ada},
  school = {University of London},
  year   = {2021},
  pdf    = {https://example.org/thesis.pdf},
}
@article{lovelace2026future,
  title    = {Engines That Weave Algebraic Patterns},
  author   = {Lovelace, Ada and Jacquard, Joseph},
  journal  = {Transactions on Looms},
  year     = {2026},
  pubstate = {forthcoming},
}
"""

TALKS = r"""
@misc{talk2025coe,
  title       = {Analytical Engines as General Computers},
  eventtitle  = {Conference on Engines 2025},
  date        = {2025-06-12},
  location    = {London},
  type        = {oral},
  publication = {lovelace2025engines},
}
@misc{talk2024rs,
  title      = {What Engines Cannot Do},
  eventtitle = {Royal Society Lecture},
  date       = {2024-03-02},
  type       = {invited},
  slides     = {https://example.org/slides.pdf},
}
"""

# Daily counts per (key, source), newest last, over the days of DAYS.
DAYS = ["2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22", "2026-11-29"]
HISTORY = {
    ("lovelace2025engines", "semantic_scholar"): [30, 34, 41, 47, 52],
    ("lovelace2025engines", "openalex"): [25, 28, 33, 38, 44],
    ("lovelace2024notes", "semantic_scholar"): [80, 81, 83, 86, 88],
    ("lovelace2023poetry", "semantic_scholar"): [5, 5, 6, 6, 9],
    ("lovelace2021thesis", "semantic_scholar"): [12, 12, 13, 13, 13],
}
COUNTS_BY_YEAR = {
    "lovelace2024notes": {2024: 20, 2025: 44, 2026: 24},
    "lovelace2025engines": {2025: 18, 2026: 26},
    "lovelace2021thesis": {2022: 3, 2023: 4, 2024: 3, 2025: 2, 2026: 1},
}


def make_demo_project(root: Path, *, history: bool = True) -> Path:
    """Write the project into ``root`` (created); with ``history``, a database too."""
    (root / "bib").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "pubtrack.toml").write_text(CONFIG, encoding="utf-8")
    (root / "bib" / "publications.bib").write_text(PUBLICATIONS, encoding="utf-8")
    (root / "bib" / "talks.bib").write_text(TALKS, encoding="utf-8")
    if history:
        from pubtrack.bibtex import load_library
        from pubtrack.config import load_config
        from pubtrack.db import Store
        from pubtrack.models import CitationCount

        with Store.open(root / "data" / "pubtrack.db") as store:
            # What `pubtrack sync` does first: mirror the bib (render only reads).
            store.sync_library(load_library(load_config(root / "pubtrack.toml")))
            store.record_citations(
                CitationCount(key, source, count, f"{day}T03:00:00Z")
                for (key, source), counts in HISTORY.items()
                for day, count in zip(DAYS, counts, strict=True)
            )
            for key, per_year in COUNTS_BY_YEAR.items():
                store.save_counts_by_year(key, "openalex", per_year, f"{DAYS[-1]}T03:05:00Z")
    return root
