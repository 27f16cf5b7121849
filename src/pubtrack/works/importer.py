"""`pubtrack import` / `pubtrack init --orcid …`: a list from the owner's profiles.

Harvest every profile named (ORCID, Semantic Scholar, OpenAlex, dblp, Google
Scholar), keep only works the owner is an author of (by author id, else by
name), merge the versions and sources of one work into one seed, look them up
in batches (``lookup.Resolver``), merge again by every id the lookup learned
(a preprint and its journal version become one entry with both ids), and
build entries for what the bib lacks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError, SourceError
from pubtrack.identity import id_keys, normalize_title, title_similarity
from pubtrack.works.add import (
    AddReport,
    build_entries,
    close_words,
    load_holdings,
    target_file,
)
from pubtrack.works.lookup import Resolved, Resolver, Seed
from pubtrack.works.owner import Owner, names_match, parse, parts_of
from pubtrack.works.record import Person, Record

if TYPE_CHECKING:
    from pubtrack.config import Config
    from pubtrack.sources.http import HttpClient

PROFILE_FLAGS = ("orcid", "s2_author", "openalex_author", "dblp", "google_scholar")


@dataclass
class Profiles:
    """The profile ids to read (command-line flags or [owner])."""

    orcid: str = ""
    s2_author: str = ""
    openalex_author: str = ""
    dblp: str = ""
    google_scholar: str = ""

    def any(self) -> bool:
        return any(getattr(self, f) for f in PROFILE_FLAGS)

    @classmethod
    def from_owner(cls, config: Config) -> Profiles:
        o = config.owner
        return cls(o.orcid, o.semantic_scholar_id, o.openalex_id, o.dblp, o.google_scholar_id)

    def owner_ids(self) -> dict[str, str]:
        return {
            "orcid": self.orcid,
            "semantic_scholar": self.s2_author,
            "openalex": self.openalex_author,
            "dblp": self.dblp,
        }


@dataclass
class Candidate:
    """One work a profile lists, with what the owner check decided."""

    seed: Seed
    sources: set[str] = field(default_factory=set)
    title_only: bool = False  # ORCID without ids, Google Scholar: found by title
    words: set[str] | None = None  # normalised title words (cached for the dedupe)

    def title_words(self) -> set[str]:
        if self.words is None:
            rec = self.seed.record
            self.words = set(normalize_title(rec.title if rec else self.seed.label).split())
        return self.words


@dataclass
class Harvest:
    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (title, source, why)
    warnings: list[str] = field(default_factory=list)
    owner_name: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # works listed per profile
    failed: list[str] = field(default_factory=list)  # profiles that could not be read


def _owner_check(owner: Owner, record: Record, id_kind: str) -> tuple[bool, str]:
    """Is the owner an author of a work a profile listed? (True, how) or (False, why)."""
    mine = owner.ids.get(id_kind)
    under_id = [
        p for p in record.authors if mine and p.ids.get(id_kind, "").upper() == mine.upper()
    ]
    if under_id:
        person = under_id[0]
        if owner.names and not owner.name_match(person):
            return False, f"namesake: listed under the profile id as {person.display!r}"
        return True, "author id"
    if owner.names and any(owner.name_match(p) for p in record.authors):
        return True, "name"
    return False, "the owner is not among the authors"


def _majority_name(records: list[Record], id_kind: str, ident: str) -> str:
    names = Counter(
        p.display
        for r in records
        for p in r.authors
        if p.ids.get(id_kind, "").upper() == ident.upper() and p.display
    )
    if not names:
        return ""
    # The person most names under the id agree with (a merged namesake is the
    # minority), spelt as most often written with a full first name.
    parsed = {n: parse(n) for n in names}

    def support(name: str) -> int:
        return sum(c for other, c in names.items() if names_match(parsed[name], parsed[other]))

    def full(name: str) -> bool:
        return bool(parsed[name].given) and len(parsed[name].given[0]) > 1

    # "A. Thomson" agrees with everyone: the best anchor is a full first name.
    best = max(names, key=lambda n: (full(n), support(n), names[n]))
    cluster = [n for n in names if names_match(parsed[best], parsed[n])]
    spelled = [n for n in cluster if full(n)]
    return max(spelled or cluster, key=lambda n: (names[n], len(n)))


def harvest(
    config: Config,
    http: HttpClient,
    profiles: Profiles,
    owner: Owner,
    warn: Callable[[str], None],
    name_signal: Callable[[Record], bool] | None = None,
) -> Harvest:
    """Every owner's work the named profiles list (namesakes and non-authored works rejected)."""
    from pubtrack.sources import dblp as dblp_api
    from pubtrack.sources import openalex as openalex_api
    from pubtrack.sources import orcid as orcid_api
    from pubtrack.sources import semantic_scholar as s2_api

    out = Harvest()
    listed: list[tuple[str, Record, str]] = []  # (source, record, id kind)

    def learn_name(name: str) -> None:
        if not owner.names and name:
            owner.set_names([name])
            out.owner_name = out.owner_name or name

    def read_orcid() -> None:
        if not owner.names:
            learn_name(orcid_api.fetch_name(http, config.api_url("orcid"), profiles.orcid))
        works = orcid_api.fetch_works(http, config.api_url("orcid"), profiles.orcid)
        out.counts["orcid"] = len(works)
        for work in works:
            ids = {k: v for k, v in (("doi", work.doi), ("arxiv", work.arxiv)) if v}
            record = Record(
                title=work.title,
                year=work.year,
                month=work.month,
                venue=work.journal,
                doi=work.doi,
                arxiv=work.arxiv,
                source="orcid",
                kind="article",
            )
            # The owner curated their ORCID record: claimed works are theirs.
            record.extra.update(orcid=profiles.orcid, put_codes=work.put_codes)
            seed = Seed(work.title, ids, record=None if ids else record)
            out.candidates.append(Candidate(seed, {"orcid"}, title_only=not ids))

    def read_s2() -> None:
        papers = s2_api.author_papers(http, config.api_url("semantic_scholar"), profiles.s2_author)
        records = [s2_api.paper_record(p) for p in papers]
        out.counts["semantic_scholar"] = len(records)
        listed.extend((s2_api.SemanticScholar.label, r, "semantic_scholar") for r in records)
        learn_name(_majority_name(records, "semantic_scholar", profiles.s2_author))

    def read_openalex() -> None:
        missing = openalex_api.OpenAlex.missing_key()
        if missing:
            raise SourceError(f"openalex: {missing} (free at openalex.org)")
        author = openalex_api.fetch_author(
            http, config.api_url("openalex"), profiles.openalex_author
        )
        if author is None:
            raise SourceError(f"openalex: author {profiles.openalex_author} not found")
        if author["deleted"]:
            raise SourceError(
                f"openalex: author {profiles.openalex_author} was merged into another profile "
                "or deleted (OpenAlex calls it 'Deleted Author'); look up the current id"
            )
        learn_name(author["name"])
        works = openalex_api.author_works(
            http, config.api_url("openalex"), profiles.openalex_author
        )
        records = [openalex_api.work_record(w) for w in works]
        out.counts["openalex"] = len(records)
        listed.extend((openalex_api.OpenAlex.label, r, "openalex") for r in records)
        learn_name(_majority_name(records, "openalex", profiles.openalex_author))

    def read_dblp() -> None:
        name, records = dblp_api.fetch_person(http, config.api_url("dblp"), profiles.dblp)
        out.counts["dblp"] = len(records)
        learn_name(name)
        listed.extend(("dblp", r, "dblp") for r in records)

    for wanted, read in (
        (profiles.orcid, read_orcid),
        (profiles.s2_author, read_s2),
        (profiles.openalex_author, read_openalex),
        (profiles.dblp, read_dblp),
    ):
        if not wanted:
            continue
        try:
            read()
        except SourceError as exc:
            # One profile that fails (down, rate limited, no key) does not sink the others.
            warn(str(exc))
            out.failed.append(str(exc))
    namesakes: Counter[str] = Counter()
    for source, record, kind in listed:
        ok, how = _owner_check(owner, record, kind)
        if ok and how == "name" and name_signal is not None and not name_signal(record):
            ok, how = False, "name only, with no co-author or venue in common with your list"
        if not ok:
            out.rejected.append((record.title, source, how))
            if how.startswith("namesake"):
                namesakes[source] += 1
            continue
        out.candidates.append(
            Candidate(Seed(record.title, dict(record.ids()), record=record), {source})
        )
    for source, n in namesakes.items():
        out.warnings.append(
            f"the {source} profile looks merged with a namesake: {n} work(s) listed under it "
            "name someone else; they were left out"
        )
    if profiles.google_scholar:
        from pubtrack.sources.google_scholar import profile_titles

        try:
            titles = profile_titles(config, profiles.google_scholar)
        except SourceError as exc:
            warn(str(exc))
            out.failed.append(str(exc))
            titles = []
        out.counts["google_scholar"] = len(titles)
        for title, year in titles:
            record = Record(title=title, year=year, source="google_scholar")
            out.candidates.append(
                Candidate(Seed(title, {}, record=record), {"google_scholar"}, True)
            )
    out.candidates = merge_candidates(out.candidates)
    return out


def merge_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per work: shared ids, or the same title and year (±1)."""
    merged: list[Candidate] = []
    by_id: dict[tuple[str, str], Candidate] = {}
    for cand in candidates:
        keys = id_keys(cand.seed.ids)
        target = next((by_id[k] for k in keys if k in by_id), None)
        if target is None:
            target = _same_title(merged, cand)
        if target is None:
            merged.append(cand)
            target = cand
        else:
            _absorb(target, cand)
        for k in id_keys(target.seed.ids):
            by_id[k] = target
    return merged


def _same_title(pool: list[Candidate], cand: Candidate) -> Candidate | None:
    rec = cand.seed.record
    title = rec.title if rec else cand.seed.label
    words = cand.title_words()
    for other in pool:
        orec = other.seed.record
        if not close_words(words, other.title_words()):
            continue
        if title_similarity(title, orec.title if orec else other.seed.label) < 0.95:
            continue
        if rec and orec and rec.year and orec.year and abs(rec.year - orec.year) > 1:
            continue
        mine, theirs = id_keys(cand.seed.ids), id_keys(other.seed.ids)
        clash = {k for k, _ in mine} & {k for k, _ in theirs} & {"doi"}
        if clash and mine.isdisjoint(theirs) and not _versions(cand, other):
            continue  # two DOIs, same title: two works (e.g. an erratum); keep both
        return other
    return None


def _versions(a: Candidate, b: Candidate) -> bool:
    return bool(a.seed.ids.get("arxiv") or b.seed.ids.get("arxiv"))


def _absorb(target: Candidate, other: Candidate) -> None:
    for k, v in other.seed.ids.items():
        if (
            k == "doi"
            and target.seed.ids.get("doi")
            and other.seed.record
            and other.seed.record.preprint
        ):
            continue
        target.seed.ids.setdefault(k, v)
    target.sources |= other.sources
    target.title_only = target.title_only and other.title_only
    if target.seed.record and other.seed.record:
        target.seed.record.merge(other.seed.record)
    elif other.seed.record:
        target.seed.record = other.seed.record


def resolve_candidates(
    resolver: Resolver,
    candidates: list[Candidate],
    owner: Owner,
    report: AddReport,
    name_signal: Callable[[Record], bool] | None = None,
) -> list[Resolved]:
    """Look every candidate up; title-only ones through add's title lookup (owner required,
    and with ``name_signal``, a co-author or venue signal when only the name matches)."""

    def is_owners(record: Record) -> bool:
        found = owner.find(record.authors)
        if found is None:
            return False
        return found[1] == "id" or name_signal is None or name_signal(record)

    seeds: list[Seed] = []
    orcid_only: list[Record] = []
    for cand in candidates:
        if cand.title_only:
            try:
                seed = resolver.by_title(cand.seed.label, owner_check=is_owners)
            except BadInputError as exc:
                if "orcid" in cand.sources and cand.seed.record is not None:
                    orcid_only.append(cand.seed.record)  # claimed on ORCID, unknown elsewhere
                else:
                    report.refused.append((cand.seed.label, str(exc)))
                continue
            seeds.append(seed)
        else:
            seeds.append(cand.seed)
    seeds += _orcid_full_works(resolver, orcid_only, owner)
    resolved = resolver.resolve(seeds)
    # Versions the lookup linked (a preprint and its journal DOI) become one.
    out: list[Resolved] = []
    seen: dict[tuple[str, str], Resolved] = {}
    for item in resolved:
        rec = item.record
        keys = rec.id_keys() if rec else set()
        twin = next((seen[k] for k in keys if k in seen), None)
        if twin is not None and twin.record is not None and rec is not None:
            if twin.record.preprint and not rec.preprint:
                rec.merge(twin.record)
                twin.record = rec
            else:
                twin.record.merge(rec)
            for k in twin.record.id_keys():
                seen[k] = twin
            continue
        out.append(item)
        for k in keys:
            seen[k] = item
    return out


def _orcid_full_works(resolver: Resolver, records: list[Record], owner: Owner) -> list[Seed]:
    """Works only ORCID knows: their full records (bulk endpoint) give the contributors;
    without any, the owner is the one author known (and the user is told)."""
    from pubtrack.sources import orcid as orcid_api

    codes = {c: r for r in records for c in r.extra.get("put_codes", [])[:1]}
    orcid_id = next((r.extra["orcid"] for r in records if r.extra.get("orcid")), "")
    full: dict[str, Record] = {}
    if codes and orcid_id:
        fetched = resolver.attempt(
            "orcid",
            lambda: orcid_api.fetch_bulk(
                resolver.http, resolver.url("orcid"), orcid_id, sorted(codes)
            ),
        )
        for record in fetched or []:
            full[normalize_title(record.title)] = record
    seeds = []
    for record in records:
        better = full.get(normalize_title(record.title))
        if better is not None and better.authors:
            record = better.merge(record)
        if not record.authors:
            record.authors = [_owner_person(owner)]
            record.notes.append("only ORCID knows this work, without its authors; check them")
        seeds.append(Seed(record.title, {}, record=record, input_kind="orcid"))
    return seeds


def _owner_person(owner: Owner) -> Person:
    name = owner.names[0] if owner.names else ""
    parts = parts_of(name)
    given, _, family = name.rpartition(" ")
    return Person(given=given, family=family, name=name) if parts.surname else Person(name=name)


def profile_exit_code(harvest: Harvest | None) -> int:
    """0; 3 when a profile could not be read but others were; 1 when none was."""
    if harvest is None or not harvest.failed:
        return 0
    return 3 if harvest.counts else 1


@dataclass
class ImportReport(AddReport):
    harvest: Harvest | None = None
    already: int = 0  # works the bib already held (counted, not listed)
    written: bool = False  # the entries were written to ``file``

    @property
    def exit_code(self) -> int:
        return profile_exit_code(self.harvest)


def import_works(
    config: Config,
    profiles: Profiles,
    *,
    dry_run: bool = False,
    to: str | None = None,
    warn: Callable[[str], None] | None = None,
    http: HttpClient | None = None,
    confirm: Callable[[ImportReport], bool] | None = None,
) -> ImportReport:
    """Entries for the profiles' works the bib lacks; written when ``confirm`` says yes."""
    from pubtrack.sources.http import HttpClient
    from pubtrack.works.add import write_entries

    warn = warn or (lambda message: None)
    if not profiles.any():
        raise BadInputError(
            "name a profile: --orcid, --s2-author, --openalex-author, --dblp or --google-scholar "
            "(or set them under [owner] in pubtrack.toml)"
        )
    report = ImportReport(file=target_file(config, to), dry_run=dry_run)
    library, holdings = load_holdings(config)
    owner = Owner(
        config.owner_names(),
        {**Owner.from_config(config).ids, **{k: v for k, v in profiles.owner_ids().items() if v}},
    )
    own_http = http is None
    client = http or HttpClient(config)
    try:
        resolver = Resolver(config, client, warn)
        report.harvest = harvest(config, client, profiles, owner, warn)
        resolved = resolve_candidates(resolver, report.harvest.candidates, owner, report)
    finally:
        if own_http:
            client.close()
    taken = {w.key for w in library.works} | {t.key for t in library.talks}
    before = len(report.refused)
    build_entries(config, resolved, holdings, taken, report)
    # Works the bib already holds are not news on import: count them, do not list them.
    held = [r for r in report.refused[before:] if "already in the bib" in r[1]]
    report.refused = [r for r in report.refused if r not in held]
    report.already = len(held)
    if report.added and not dry_run and (confirm is None or confirm(report)):
        write_entries(report.file, [a.text for a in report.added])
        report.written = True
    return report


def init_with_profiles(
    directory: str,
    profiles: Profiles,
    *,
    warn: Callable[[str], None] | None = None,
) -> tuple[list, ImportReport]:
    """A new project whose pubtrack.toml holds the owner's name and ids and whose bib holds
    every work of the profiles (one entry per work)."""
    from pathlib import Path

    from pubtrack.config import load_config
    from pubtrack.project import init_project

    created = init_project(directory)
    config = load_config(Path(directory) / "pubtrack.toml")
    try:
        report = import_works(config, profiles, warn=warn)
    except BaseException:
        # Nothing half-made: the files this call created go again (they hold no user data).
        import shutil

        for path in reversed(created):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)  # data/ (and the parse cache in it)
            else:
                path.unlink(missing_ok=True)
        root = Path(directory).resolve()
        parents = {p.resolve().parent for p in created}
        parents |= {q for p in list(parents) for q in p.parents if root in (q, *q.parents)}
        for parent in sorted(parents, key=lambda q: len(q.parts), reverse=True):
            inside = parent == root or root in parent.parents
            if inside and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
        raise
    from pubtrack.project import set_owner
    from pubtrack.sources.dblp import normalize_pid
    from pubtrack.sources.orcid import normalize_orcid

    set_owner(
        Path(directory) / "pubtrack.toml",
        {
            "name": report.harvest.owner_name if report.harvest else "",
            "orcid": normalize_orcid(profiles.orcid) or profiles.orcid,
            "semantic_scholar_id": profiles.s2_author,
            "openalex_id": profiles.openalex_author,
            "dblp": normalize_pid(profiles.dblp) or profiles.dblp if profiles.dblp else "",
            "google_scholar_id": profiles.google_scholar,
        },
    )
    return created, report
