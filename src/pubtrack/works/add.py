"""`pubtrack add ID…`: fetch a work's metadata and append a clean entry.

Refuses works the bib already holds (any shared id, including ids earlier
syncs learned, or a confident title match) and names the entry that holds
them. With ``dry_run`` nothing is written; the entries are returned for
printing. Appends go through ``bibwrite.append_entries`` (byte-preserving,
atomic).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError, PubtrackError
from pubtrack.identity import author_overlap, id_keys, normalize_title, title_similarity
from pubtrack.models import Library, Work, plain
from pubtrack.works.bibwrite import append_entries, format_entry, make_key
from pubtrack.works.ids import parse_work_id
from pubtrack.works.lookup import Resolved, Resolver, Seed, seed_from_id
from pubtrack.works.record import Record
from pubtrack.works.venues import abbreviation

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

DEFAULT_KEY_STYLE = "lastnameYEARfirstword"
_RECORD_IDS = ("doi", "arxiv", "semantic_scholar", "openalex", "dblp")
SAME_TITLE = 0.95


@dataclass
class Added:
    key: str
    text: str
    record: Record
    label: str


@dataclass
class AddReport:
    file: Path | None = None
    added: list[Added] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def exit_code(self) -> int:
        if self.refused and self.added:
            return 3
        return 1 if self.refused else 0


def target_file(config: Config, to: str | None) -> Path:
    if to:
        path = Path(to)
        return path if path.is_absolute() else Path.cwd() / path
    files = config.publication_files()
    return files[0] if files else config.root / "bib" / "publications.bib"


class Holdings:
    """What the bib already holds, by id and by title: the duplicate check."""

    def __init__(self, works: list[Work], learned: dict[str, list[dict[str, str]]] | None = None):
        self.works = list(works)
        self.by_id: dict[tuple[str, str], Work] = {}
        for work in self.works:
            keys = set(id_keys(work.ids))
            for extra in (learned or {}).get(work.key, []):
                keys |= id_keys(extra)
            for k in keys:
                self.by_id.setdefault(k, work)
        self.keys = {w.key for w in self.works}
        self._word_cache: dict[str, set[str]] = {}

    def holder(self, record: Record) -> tuple[Work, str] | None:
        for kind, value in sorted(record.id_keys(), key=lambda kv: (kv[0] != "doi", kv)):
            work = self.by_id.get((kind, value))
            if work is not None:
                return work, f"{_LABEL.get(kind, kind)} {value}"
        names = [p.display for p in record.authors]
        words = set(normalize_title(record.title).split())
        for work in self.works:
            if not close_words(words, self._words(work)):
                continue  # cheap test first: titles this far apart cannot reach SAME_TITLE
            if title_similarity(plain(work.title), record.title) < SAME_TITLE:
                continue
            mine = [a.display for a in work.authors if not a.is_others]
            if mine and names and author_overlap(mine, names) == 0:
                continue
            if work.year and record.year and abs(work.year - record.year) > 1:
                continue
            return work, "the same title"
        return None

    def _words(self, work: Work) -> set[str]:
        cached = self._word_cache.get(work.key)
        if cached is None:
            cached = self._word_cache[work.key] = set(normalize_title(plain(work.title)).split())
        return cached

    def hold(self, work: Work, record: Record) -> None:
        self.works.append(work)
        self.keys.add(work.key)
        for k in record.id_keys():
            self.by_id.setdefault(k, work)


def close_words(a: set[str], b: set[str]) -> bool:
    """Word overlap high enough that a title similarity of SAME_TITLE is possible.

    identity.title_similarity is at most (ratio + jaccard) / 2 + 0.05, so 0.95
    needs a Jaccard overlap of at least 0.8.
    """
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= 0.8


_LABEL = {"arxiv": "arXiv", "doi": "DOI", "semantic_scholar": "S2 id", "openalex": "OpenAlex id"}


def _where(work: Work) -> str:
    return f"{work.key} ({work.location})" if work.location else work.key


def load_holdings(config: Config) -> tuple[Library, Holdings]:
    from pubtrack.bibtex import load_library
    from pubtrack.checks import learned_ids

    library = load_library(config)
    return library, Holdings(library.works, learned_ids(config))


def build_entries(
    config: Config,
    resolved: list[Resolved],
    holdings: Holdings,
    taken: set[str],
    report: AddReport,
) -> None:
    """Entries for the resolved works the bib does not hold yet (checked against each other too)."""
    style = config.add.key_style or DEFAULT_KEY_STYLE
    overrides = config.add.abbr
    overrides = overrides if isinstance(overrides, dict) else {}
    for item in resolved:
        record = item.record
        if record is None:
            report.refused.append((item.seed.label, item.error or "not found"))
            continue
        if not record.title:
            report.refused.append((item.seed.label, "the sources gave no title"))
            continue
        held = holdings.holder(record)
        if held is not None:
            work, how = held
            report.refused.append(
                (item.seed.label, f"already in the bib as {_where(work)} ({how})")
            )
            continue
        key = make_key(record, style, taken)
        taken.add(key)
        abbr = abbreviation(record.venue, overrides) if not record.preprint else None
        text = format_entry(record, key, abbr)
        report.added.append(Added(key, text, record, item.seed.label))
        report.notes += [f"{key}: {note}" for note in record.notes]
        holdings.hold(_stub(key, record), record)


def _stub(key: str, record: Record) -> Work:
    from pubtrack.models import Identifiers

    ids = Identifiers(arxiv=record.arxiv, doi=record.doi, semantic_scholar=record.semantic_scholar)
    return Work(key=key, entry_type=record.kind, title=record.title, year=record.year, ids=ids)


def add_works(
    config: Config,
    ids: list[str],
    *,
    title: str | None = None,
    dry_run: bool = False,
    to: str | None = None,
    warn: Callable[[str], None] | None = None,
    http: HttpClient | None = None,
) -> AddReport:
    """Look the works up and append what the bib lacks (nothing with ``dry_run``)."""
    from pubtrack.sources.http import HttpClient

    if not ids and not title:
        raise BadInputError("give at least one id, or --title")
    work_ids = [parse_work_id(text) for text in ids]  # bad input fails before any request
    report = AddReport(file=target_file(config, to), dry_run=dry_run)
    library, holdings = load_holdings(config)
    seeds: list[Seed] = []
    for work_id in work_ids:
        seed = seed_from_id(work_id)
        # An id the bib (or a sync) already knows: refused before any request.
        known = {k: v for k, v in seed.ids.items() if k in _RECORD_IDS}
        held = holdings.holder(Record(**known))  # type: ignore[arg-type]  # only id fields
        if held is not None and held[1] != "the same title":
            work, how = held
            report.refused.append((work_id.text, f"already in the bib as {_where(work)} ({how})"))
        else:
            seeds.append(seed)
    if not seeds and not title:
        return report
    own_http = http is None
    client = http or HttpClient(config)
    try:
        resolver = Resolver(config, client, warn)
        if title:
            seeds.append(resolver.by_title(title))
        resolved = resolver.resolve(seeds)
    finally:
        if own_http:
            client.close()
    taken = {w.key for w in library.works} | {t.key for t in library.talks}
    build_entries(config, resolved, holdings, taken, report)
    if report.added and not dry_run:
        write_entries(report.file, [a.text for a in report.added])
    return report


def write_entries(path: Path | None, texts: list[str]) -> None:
    if path is None:
        raise PubtrackError("no file to write to")
    append_entries(path, texts)
