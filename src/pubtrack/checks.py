"""`pubtrack check`: every problem with the bib files, in one list.

Besides the reader's problems and pubtrack.toml's warnings: entries that the
ids sources taught show to be one work (duplicate detection), and works a
source answered about another paper for (conflicts). `sync` reports the same
duplicates after a run, through ``find_duplicate_works`` (identity.py).
"""

from __future__ import annotations

from typing import Any

from pubtrack.bibtex import load_library
from pubtrack.config import Config
from pubtrack.db import Store
from pubtrack.errors import PubtrackError
from pubtrack.identity import find_duplicate_works, id_keys
from pubtrack.models import Library, Problem
from pubtrack.sources.registry import plugin_problems, registry


def check_project(config: Config) -> Library:
    """The library with every problem: the reader's, plus entries that earlier
    syncs showed to be one work (an arXiv entry and the journal DOI arXiv
    reports for it). Pairs sharing an id in the bib are already the reader's."""
    library = load_library(config)
    _mirror(config, library)
    # pubtrack.toml's unknown keys and sections, first (they may explain the rest).
    library.problems[:0] = [
        Problem(file, line or 1, message, "warning") for file, line, message in config.warnings
    ]
    # Installed plugins that cannot be used (at pubtrack.toml, where sources are named).
    toml = config.path.name if config.path else "pubtrack.toml"
    library.problems[:0] = [Problem(toml, 1, m, "warning") for m in plugin_problems()]
    library.problems.extend(duplicate_problems(config, library, linked_only=True))
    # What sync learned (issue 10): unknown ids, ids to add, published preprints,
    # entries without the owner.
    from pubtrack.works.learned import suggestion_problems

    library.problems.extend(suggestion_problems(config, library))
    # Sources that answered about another paper: the user should look at the ids.
    library.problems.extend(conflict_problems(config, library))
    return library


def _mirror(config: Config, library: Library) -> None:
    """Bring the database's copy of the bib (publications, talks, in_bib) up to date,
    as sync does: what stats and the views count follows the bib after a check.
    Only an existing database; one that cannot be written is left as it is (check
    reports the bib either way)."""
    fingerprint = getattr(library, "fingerprint", None)
    if fingerprint is None or not config.database_path.is_file():
        return
    try:
        with Store.open(config.database_path, create=False, timeout=2.0) as store:
            store.sync_library_if_changed(library, str(fingerprint))
    except PubtrackError:
        return


def learned_ids(config: Config) -> dict[str, list[dict[str, str]]]:
    """{key: [ids a source reported]} from the database; empty when there is none."""
    rows, _ = _read_learned(config)
    out: dict[str, list[dict[str, str]]] = {}
    for key, learned in rows.items():
        for row in sorted(learned, key=lambda r: registry().fetch_rank(r["source"])):
            out.setdefault(key, []).append({row["kind"]: row["value"]})
    return out


def _read_learned(
    config: Config,
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """(learned ids, open conflicts) from the database, read-only; empty without one."""
    if not config.database_path.exists():
        return {}, []
    try:
        store = Store.open_readonly(config.database_path)
    except PubtrackError:
        return {}, []
    try:  # (an older database is read upgraded in memory: the tables are there)
        return store.learned_ids(), store.conflicts()
    finally:
        store.close()


def conflict_problems(config: Config, library: Library) -> list[Problem]:
    """Works a source last answered with another paper, as warnings at their FILE:LINE."""
    _, conflicts = _read_learned(config)
    by_key = {w.key: w for w in library.works}
    problems = []
    for row in conflicts:
        work = by_key.get(row["publication_key"])
        if work is None:
            continue
        problems.append(
            Problem(
                work.location.file if work.location else "",
                work.location.line if work.location else 0,
                f"{work.key}: {row['source']} answered about another work "
                f"({row['message']}) on {str(row['detected_at'])[:10]}; nothing of it is "
                "stored. Check the entry's ids; `pubtrack sync --relearn "
                f"{work.key}` forgets what sources taught",
                severity="warning",
            )
        )
    return problems


def duplicate_problems(
    config: Config, library: Library, *, linked_only: bool = False
) -> list[Problem]:
    """Bib entries that are the same work, as warnings at the second entry's FILE:LINE.

    Uses the bib's ids and the ids sources reported in earlier syncs (so an
    entry with an arXiv id and another with the journal DOI arXiv reports for
    it are caught). Nothing is merged: the user decides. ``linked_only`` leaves
    out pairs that share an id in the bib itself, which the reader reports.
    """
    by_key = {w.key: w for w in library.works}
    problems = []
    for a, b, reason in find_duplicate_works(library.works, learned_ids(config)):
        work = by_key[b]
        other = by_key[a]
        if linked_only and id_keys(work.ids) & id_keys(other.ids):
            continue
        where = f" ({other.location})" if other.location else ""
        problems.append(
            Problem(
                work.location.file if work.location else "",
                work.location.line if work.location else 0,
                f"{b} and {a}{where} look like the same work ({reason}); "
                "keep one entry with all its ids",
                severity="warning",
            )
        )
    return problems
