"""`pubtrack discover`: the owner's works the profiles know and the bib lacks.

The profiles are the ids under [owner] (orcid, semantic_scholar_id,
openalex_id, dblp, google_scholar_id). A listed work counts as the owner's
only by author id (with the name under that id matching the owner) or by
name plus a signal: a co-author or a venue shared with the bib. Namesakes
and works the owner is not an author of are never proposed; a profile that
lists a namesake's works is called out as merged. Refused works go on an
ignore list (``[discover] ignore`` in pubtrack.toml, or the file
``.pubtrack-ignore`` beside the first publications file) and stay away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError
from pubtrack.identity import id_keys, normalize_title
from pubtrack.works.add import AddReport, Holdings, build_entries, load_holdings, target_file
from pubtrack.works.importer import Harvest, Profiles, harvest, resolve_candidates
from pubtrack.works.lookup import Resolved, Resolver
from pubtrack.works.owner import Owner, surname_key
from pubtrack.works.record import Record

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.models import Library
    from pubtrack.sources.http import HttpClient

IGNORE_FILE = ".pubtrack-ignore"


@dataclass
class DiscoverReport(AddReport):
    proposed: list[Record] = field(default_factory=list)
    ignored: int = 0
    harvest: Harvest | None = None
    written: bool = False
    chosen: list = field(default_factory=list)  # what --add appended

    @property
    def exit_code(self) -> int:
        from pubtrack.works.importer import profile_exit_code

        return profile_exit_code(self.harvest)


def ignore_path(config: Config) -> Path:
    return target_file(config, None).parent / IGNORE_FILE


def ignore_list(config: Config) -> list[str]:
    section = config.raw.get("discover", {}) if isinstance(config.raw, dict) else {}
    listed = section.get("ignore", []) if isinstance(section, dict) else []
    items = [str(x) for x in listed] if isinstance(listed, list) else []
    path = ignore_path(config)
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                items.append(line)
    return items


def _ignore_keys(items: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
    from pubtrack.works.ids import parse_work_id

    keys: set[tuple[str, str]] = set()
    titles: set[str] = set()
    for item in items:
        try:
            wid = parse_work_id(item)
        except BadInputError:
            titles.add(normalize_title(item))
            continue
        kind = "arxiv" if wid.kind == "arxiv_doi" else wid.kind
        keys |= id_keys({kind: wid.value}) or {(kind, wid.value)}
    return keys, titles


def add_to_ignore(config: Config, ids: list[str]) -> Path:
    """Append ids (or titles) to the ignore file beside the bib."""
    from pubtrack.works.bibwrite import append_entries

    path = ignore_path(config)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# Works `pubtrack discover` never proposes again (ids or titles).\n")
    append_entries(path, [f"{i}\n" for i in ids])
    return path


def signal_for(library: Library) -> Callable[[Record], bool]:
    """A co-author or a venue in common with the bib: evidence a name match is the owner."""
    coauthors = {surname_key(a) for w in library.works for a in w.authors if not a.is_others}
    venues = {normalize_title(w.venue) for w in library.works if w.venue}

    def has_signal(record: Record) -> bool:
        if normalize_title(record.venue) in venues and record.venue:
            return True
        others = {surname_key(p) for p in record.authors}
        return len(others & coauthors) >= 2  # the owner's own surname is always shared

    return has_signal


def discover(
    config: Config,
    *,
    add: bool = False,
    warn: Callable[[str], None] | None = None,
    http: HttpClient | None = None,
    confirm: Callable[[DiscoverReport], bool] | None = None,
    pick: list[int] | None = None,
) -> DiscoverReport:
    from pubtrack.sources.http import HttpClient
    from pubtrack.works.add import write_entries

    warn = warn or (lambda message: None)
    profiles = Profiles.from_owner(config)
    if not profiles.any():
        raise BadInputError(
            "no profile to read: set orcid, semantic_scholar_id, openalex_id, dblp or "
            "google_scholar_id under [owner] in pubtrack.toml"
        )
    library, holdings = load_holdings(config)
    owner = Owner.from_config(config)
    report = DiscoverReport(file=target_file(config, None), dry_run=not add)
    ignore_ids, ignore_titles = _ignore_keys(ignore_list(config))
    own_http = http is None
    client = http or HttpClient(config)
    signal = signal_for(library)
    try:
        resolver = Resolver(config, client, warn)
        found = harvest(config, client, profiles, owner, warn, name_signal=signal)
        report.harvest = found
        missing = []
        for cand in found.candidates:
            rec = cand.seed.record
            probe = rec or Record(title=cand.seed.label)
            for kind, value in cand.seed.ids.items():
                if not getattr(probe, kind, None) and hasattr(probe, kind):
                    setattr(probe, kind, value)
            if holdings.holder(probe) is None:
                missing.append(cand)
        resolved: list[Resolved] = (
            resolve_candidates(resolver, missing, owner, report, name_signal=signal)
            if missing
            else []
        )
    finally:
        if own_http:
            client.close()
    kept = []
    for item in resolved:
        rec = item.record
        if rec is None:
            continue
        if rec.id_keys() & ignore_ids or normalize_title(rec.title) in ignore_titles:
            report.ignored += 1
            continue
        if owner and owner.find(rec.authors) is None:
            found.rejected.append((rec.title, "lookup", "the owner is not among the authors"))
            continue
        kept.append(item)
    taken = {w.key for w in library.works} | {t.key for t in library.talks}
    before = len(report.refused)
    build_entries(config, kept, Holdings(holdings.works), taken, report)
    held = [r for r in report.refused[before:] if "already in the bib" in r[1]]
    report.refused = [r for r in report.refused if r not in held]
    report.proposed = [a.record for a in report.added]
    if pick:
        bad = [n for n in pick if not 1 <= n <= len(report.added)]
        if bad:
            raise BadInputError(f"--pick {bad[0]}: the list has {len(report.added)} work(s)")
    report.chosen = [a for n, a in enumerate(report.added, 1) if not pick or n in pick]
    if add and report.chosen and (confirm is None or confirm(report)):
        write_entries(report.file, [a.text for a in report.chosen])
        report.written = True
    return report
