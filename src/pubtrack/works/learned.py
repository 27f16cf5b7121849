"""What sync learned about each entry (the ``learned_ids`` table, with the source
that taught each id, and the sources' last answers), and the suggestions made of
it for `check`, the sync summary and `fix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pubtrack.models import Library, Location, Work

if TYPE_CHECKING:
    from pubtrack.config import Config


# --------------------------------------------------------------------------
# Suggestions: what sync learned, per entry, for check, the sync summary and fix.
# --------------------------------------------------------------------------


@dataclass
class Suggestion:
    """One thing sync learned about an entry; ``fields``/``new_type`` say how fix applies it."""

    key: str
    kind: str  # unknown_ids | taught_ids | published | owner_missing | duplicate
    message: str
    location: Location | None = None
    fields: dict[str, str] = field(default_factory=dict)  # bib field -> value as written
    new_type: str | None = None

    def line(self) -> str:
        return f"{self.key}: {self.message}"


def _by_source(records: dict[str, dict], name: str) -> dict:
    return (records.get(name) or {}).get("data") or {}


def _learned_value(learned: dict[str, dict[str, str]], kind: str) -> tuple[str, str] | None:
    from pubtrack.identity import arxiv_id_from_doi, normalize_id
    from pubtrack.sources.registry import registry

    for source in registry().by_id_trust(learned):
        for k, raw in learned[source].items():
            if k == "doi" and arxiv_id_from_doi(raw):
                k, raw = "arxiv", arxiv_id_from_doi(raw) or raw
            if k == kind:
                value = normalize_id(k, raw)
                if value:
                    return value, source
    return None


def _venue(records: dict[str, dict]) -> tuple[str, str]:
    """(venue, bib type) of the published version: what the sources' stored records
    say (``Source.published_in``), the most trusted record first (``record_trust``)."""
    from pubtrack.sources.registry import by_record_trust, registry

    venue, entry_type = "", None
    for name in by_record_trust(sorted(records)):
        cls = registry().get(name)
        if cls is None:
            continue
        said, kind = cls.published_in(_by_source(records, name))
        if not venue and said.lower() not in ("", "arxiv", "arxiv.org"):
            venue = said  # (a preprint server is no venue)
        entry_type = entry_type or kind
    return venue, entry_type or "article"


def _brace(value: str) -> str:
    from pubtrack.works.bibwrite import latex_escape

    return "{" + latex_escape(value) + "}"


def suggestions(config: Config, library: Library | None = None) -> list[Suggestion]:
    """Every suggestion for the bib, from the database (none before a sync)."""
    from pubtrack.bibtex import load_library
    from pubtrack.db import Store
    from pubtrack.errors import PubtrackError
    from pubtrack.works.owner import Owner

    library = library or load_library(config)
    out: list[Suggestion] = []
    owner = Owner.from_config(config)
    if owner.names:
        for work in library.works:
            if work.authors and owner.find(work.authors) is None:
                out.append(
                    Suggestion(
                        work.key,
                        "owner_missing",
                        f"{owner.names[0]} is not among the authors; add the spelling used "
                        "here to [owner] aliases if this is your work",
                        work.location,
                    )
                )
    if not config.database_path.exists():
        return out
    try:
        store = Store.open_readonly(config.database_path)
    except PubtrackError:
        return out
    try:  # (a database older than the learned ids is read upgraded in memory)
        statuses = store.source_statuses()
        learned = store.learned_ids_by_source()
    except PubtrackError:  # unreadable: the bib's own suggestions only, as when none
        return out
    finally:
        store.close()
    for work in library.works:
        out += _work_suggestions(work, statuses.get(work.key, {}), learned.get(work.key, {}))
    return out


def _work_suggestions(
    work: Work, records: dict[str, dict], learned: dict[str, dict[str, str]]
) -> list[Suggestion]:
    out: list[Suggestion] = []
    where = work.location
    own = [v for v in (work.ids.arxiv, work.ids.doi) if v]
    asked = {s: r for s, r in records.items() if r.get("status") in ("found", "not_found")}
    if own and asked and all(r["status"] == "not_found" for r in asked.values()):
        out.append(
            Suggestion(
                work.key,
                "unknown_ids",
                f"{' / '.join(own)}: not found on {', '.join(sorted(asked))} (a typo in the id?)",
                where,
            )
        )
        return out
    doi = _learned_value(learned, "doi")
    arxiv = _learned_value(learned, "arxiv")
    if work.kind == "preprint" and work.ids.arxiv and doi and not work.ids.doi:
        venue, entry_type = _venue(records)
        fields = {"doi": "{" + doi[0] + "}"}
        venue_field = "booktitle" if entry_type in ("inproceedings", "incollection") else "journal"
        if venue:
            fields[venue_field] = _brace(venue)
        out.append(
            Suggestion(
                work.key,
                "published",
                f"arXiv {work.ids.arxiv} was published in {venue or 'a journal'}, doi {doi[0]} "
                f"(from {doi[1]})",
                where,
                fields,
                entry_type if entry_type != work.entry_type else None,
            )
        )
        doi = None
    taught: dict[str, str] = {}
    said = []
    if doi and not work.ids.doi:
        taught["doi"] = "{" + doi[0] + "}"
        said.append(f"doi {doi[0]} (from {doi[1]})")
    if arxiv and not work.ids.arxiv:
        taught["eprint"] = "{" + arxiv[0] + "}"
        if "archiveprefix" not in work.fields:
            taught["archiveprefix"] = "{arXiv}"
        said.append(f"arXiv {arxiv[0]} (from {arxiv[1]})")
    if taught:
        out.append(
            Suggestion(
                work.key, "taught_ids", "sources know its " + " and ".join(said), where, taught
            )
        )
    return out


def suggestion_problems(config: Config, library: Library) -> list:
    """Suggestions as check warnings at the entry's FILE:LINE."""
    from pubtrack.models import Problem

    return [
        Problem(
            s.location.file if s.location else "",
            s.location.line if s.location else 0,
            s.line() + (" (pubtrack fix applies it)" if s.fields else ""),
            severity="warning",
        )
        for s in suggestions(config, library)
    ]


def summary_lines(config: Config) -> list[str]:
    """What the sync learned, one line per entry and finding (for the sync summary)."""
    from pubtrack.bibtex import load_library
    from pubtrack.checks import duplicate_problems

    library = load_library(config)
    labels = {
        "unknown_ids": "Unknown id",
        "taught_ids": "Learned",
        "published": "Published",
        "owner_missing": "Not yours?",
    }
    lines = [f"{labels[s.kind]}: {s.line()}" for s in suggestions(config, library)]
    for problem in duplicate_problems(config, library):
        lines.append(f"Duplicate: {problem.message}")
    if any(s.startswith(("Learned", "Published")) for s in lines):
        lines.append("Run `pubtrack fix` to review these changes to your .bib files.")
    return lines
