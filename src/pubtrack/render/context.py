"""What every format renders: works and talks, sorted, filtered, grouped, with counts.

Format modules and user templates only decide how things look; which works,
in which order, with which authors, venue line and citation count is decided
here once, so md, html, tex and json always agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pubtrack.bibtex.latex import decode  # (this module is not imported by a cached render)
from pubtrack.models import Author, CitationCount, Link, Talk, Work, plain
from pubtrack.render.urls import safe_url

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Which count "Cited by" shows when several sources have one (configurable).


def citation_sources() -> tuple[str, ...]:
    """Every registered source that counts citations, in preference order."""
    from pubtrack.sources.registry import registry  # read on first use: entry points

    return registry().citation_sources


def source_label(name: str) -> str:
    from pubtrack.sources.registry import registry

    return registry().label(name)


KIND_ORDER = ("conference", "journal", "preprint", "book", "chapter", "thesis", "report", "other")
KIND_LABELS = {
    "conference": "Conference papers",
    "journal": "Journal articles",
    "preprint": "Preprints",
    "book": "Books",
    "chapter": "Book chapters",
    "thesis": "Theses",
    "report": "Reports",
    "other": "Other",
}


class AuthorView:
    """One slot of a (possibly truncated) author list.

    Names are computed on use: a long list keeps only a few authors, and the
    compact style needs only the short form.
    """

    __slots__ = ("author", "is_owner", "is_ellipsis")

    def __init__(
        self, author: Author | None, is_owner: bool = False, is_ellipsis: bool = False
    ) -> None:
        self.author = author
        self.is_owner = is_owner
        self.is_ellipsis = is_ellipsis  # stands for authors left out by --max-authors

    @property
    def name(self) -> str:
        """Display name, "Zihang Liu"; "…" for an ellipsis; "et al." for others."""
        return self.author.display if self.author else "…"

    @property
    def short(self) -> str:
        """ "Z. Liu"."""
        return self.author.short if self.author else "…"

    @property
    def marks(self) -> str:
        """ "*", "†", ... (equal contribution, corresponding author)."""
        return "".join(self.author.marks) if self.author else ""

    @property
    def is_others(self) -> bool:
        return bool(self.author and self.author.is_others)

    def __repr__(self) -> str:
        return f"AuthorView({self.name!r}, owner={self.is_owner})"


ELLIPSIS = AuthorView(None, is_ellipsis=True)


@dataclass(frozen=True)
class CitationView:
    source: str  # "semantic_scholar"
    label: str  # "Semantic Scholar"
    count: int
    as_of: str  # ISO-8601 as stored
    date: str  # "28 Nov 2026"


@dataclass
class PublicationView:
    key: str
    number: int  # 1-based position in the rendered list
    title: str  # may hold emphasis markers
    authors: list[AuthorView]  # truncated by --max-authors
    owner_flags: list[bool]  # per author of work.authors (untruncated): is it the owner?
    year: int | None
    month: int | None
    day: int | None
    venue: str  # may hold markers; "" when unknown
    venue_line: str  # "EMNLP 2024", "Full Venue, 2024", "arXiv preprint, 2022"
    venue_short: str  # compact style: "EMNLP 2024", "arXiv 2022"
    award: str | None
    kind: str
    links: list[Link]
    ids: dict[str, str | None]
    citation: CitationView | None  # the count "Cited by" shows
    other_citations: list[CitationView]  # the other sources, in preference order
    citations: dict[str, CitationView]  # every source with a count
    selected: bool
    work: Work
    sparkline: str = ""  # "▁▃▅█": recent daily counts, when --sparklines
    # Where each id came from: "bib" or the source that taught it (after a sync).
    id_sources: dict[str, str] = field(default_factory=dict)
    status: str | None = None  # "to appear", "under review", "in press"
    citation_style: str = "full"  # full | count ("Cited by 12") | number ("12")
    link_citations: bool = False  # "Cited by N" links to the citing papers (cited_by_url)
    # The id each source knows the work by (its last answer's external_id), for the
    # sources whose ids render shows or links with: {source: id}.
    source_ids: dict[str, str] = field(default_factory=dict)

    @property
    def meta(self) -> dict[str, Any]:
        """Google Scholar ``citation_*`` tags: built when a template asks (few do)."""
        return scholar_meta(self.work)

    @property
    def cited_by_url(self) -> str | None:
        """The main source's page of citing papers, where it has one."""
        c = self.citation
        if c is None:
            return None
        ids = dict(self.ids)
        if not ids.get(c.source) and self.source_ids.get(c.source):
            ids[c.source] = self.source_ids[c.source]  # the id the source knows it by
        return citing_papers_url(c.source, ids)

    @property
    def indent(self) -> str:
        """Spaces that align continuation lines under a Markdown list item."""
        return " " * (len(str(self.number)) + 2)


def citing_papers_url(source: str, ids: Mapping[str, str | None]) -> str | None:
    """The source's public page of a paper's citing papers (``Source.citing_papers_url``),
    or None: the source has none, or the work's id there is unknown. ``ids``: the work's
    ids and, under the source's name, the id the source knows it by."""
    from pubtrack.sources.registry import registry

    cls = registry().get(source)
    return cls.citing_papers_url(ids) if cls is not None else None


@dataclass
class TalkView:
    key: str
    title: str  # may hold markers
    event: str
    date: str  # "Nov 12, 2024", "Nov 2024", "2024" or ""
    iso_date: str | None  # "2024-11-12", "2024-11", "2024"
    location: str
    talk_type: str
    links: list[Link]
    publication: str | None  # key of the related work
    publication_title: str | None  # its title, when it is in the bib
    talk: Talk
    type_label: str = ""  # "Invited talk", "Keynote", "Oral" (normalised talk_type)
    publication_url: str | None = None  # the related paper's first link


@dataclass
class Group:
    title: str | None  # None when not grouping
    items: list[PublicationView]


@dataclass
class RenderContext:
    """Variables every template receives (documented in the README)."""

    publications: list[PublicationView]
    publication_groups: list[Group]
    talks: list[TalkView]
    owner: str
    generated_at: str
    sections: list[str]  # "publications", "talks"
    headings: bool = True  # False inside an --inject region (the file has its own)
    style: str = "default"
    legend: list[tuple[str, str]] = field(default_factory=list)  # [("*", "Equal contribution")]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "publications": self.publications,
            "publication_groups": self.publication_groups,
            "talks": self.talks,
            "owner": self.owner,
            "generated_at": self.generated_at,
            "sections": self.sections,
            "headings": self.headings,
            "style": self.style,
            "grouped": any(g.title for g in self.publication_groups),
            "legend": self.legend,
            **self.extra,
        }


# ---------------------------------------------------------------------------


def format_day(iso: str) -> str:
    """'2026-11-28T03:00:00Z' -> '28 Nov 2026' (the date a count is as of)."""
    try:
        year, month, day = int(iso[0:4]), int(iso[5:7]), int(iso[8:10])
        return f"{day} {MONTHS[month - 1]} {year}"
    except (ValueError, IndexError):
        return iso


def format_month(iso: str) -> str:
    """'2026-11-28T03:00:00Z' -> 'Nov 2026': a nightly job whose counts did not
    move then leaves the page unchanged for the rest of the month."""
    try:
        return f"{MONTHS[int(iso[5:7]) - 1]} {int(iso[0:4])}"
    except (ValueError, IndexError):
        return iso


CITATION_DATE_FORMATS = {"day": format_day, "month": format_month}


def talk_date(talk: Talk) -> tuple[str, str | None]:
    """('Nov 12, 2024', '2024-11-12'); partial dates stay partial."""
    if talk.date:
        d = talk.date
        return f"{MONTHS[d.month - 1]} {d.day}, {d.year}", d.isoformat()
    if talk.year and talk.month and 1 <= talk.month <= 12:
        return f"{MONTHS[talk.month - 1]} {talk.year}", f"{talk.year}-{talk.month:02d}"
    if talk.year:
        return str(talk.year), str(talk.year)
    return "", None


# Free text (year, note, venue) counts only in these explicit phrases: "Accepted at
# ICML" in a note says nothing about whether the paper is out yet.
_STATUS_WORDS = re.compile(
    r"\b(to appear|forthcoming|in press|under review|under submission)\b", re.IGNORECASE
)
_STATUS_LABELS = {
    "forthcoming": "to appear",
    "under submission": "under review",
}
# biblatex `pubstate` values (and common spellings people use there).
_PUBSTATE = {
    "forthcoming": "to appear",
    "toappear": "to appear",
    "accepted": "to appear",
    "inpress": "in press",
    "submitted": "under review",
    "underreview": "under review",
    "prepublished": "in press",
}
_PUBSTATE_SPACE = re.compile(r"[\s_-]+")
# Sorted first, in this order: what a reader should see before the published record.
STATUS_ORDER = ("under review", "to appear", "in press")


def publication_status(work: Work) -> str | None:
    """ "to appear" / "under review" / "in press" from biblatex ``pubstate``, or those
    words in ``year``, ``note`` or the venue; None for a published work."""
    f = work.fields
    given = f.get("pubstate")
    if given:
        pubstate = _PUBSTATE_SPACE.sub("", plain(given).lower())
        if pubstate in _PUBSTATE:
            return _PUBSTATE[pubstate]
    for text in (f.get("year", ""), f.get("note", ""), work.venue):
        if not text or text.isdigit():
            continue  # most years and notes: nothing to search
        match = _STATUS_WORDS.search(plain(text))
        if match:
            word = " ".join(match.group(1).lower().split())
            return _STATUS_LABELS.get(word, word)
    return None


_THESIS_LABELS = {
    "phdthesis": "PhD thesis",
    "mastersthesis": "Master's thesis",
    "phd": "PhD thesis",
    "mathesis": "Master's thesis",
    "masters": "Master's thesis",
    "bathesis": "Bachelor's thesis",
    "candthesis": "Candidate thesis",
    "techreport": "Technical report",
    "resreport": "Research report",
}


def _field(work: Work, *names: str) -> str:
    """The first of ``names`` the entry has, LaTeX decoded (venue parts a CV shows)."""
    fields = work.fields
    for name in names:
        value = fields.get(name)
        if value:
            value = value.strip()
            if value:
                return decode(value)
    return ""


def _type_label(work: Work, default: str) -> str:
    given = _field(work, "type")
    if not given:
        return default
    return _THESIS_LABELS.get(plain(given).lower().replace(" ", ""), given)


_PAGE_DASH = re.compile(r"\s*-+\s*")


def _pages(work: Work) -> str:
    raw = work.fields.get("pages", "").strip()
    return decode(_PAGE_DASH.sub("--", raw)) if raw else ""


def venue_details(work: Work) -> str:
    """What the entry kind says it is: "PhD thesis, University", "Technical report
    TR-1, Institution", "In: Book (Publisher), pp. 1–9", "Journal 12(3), 45–67"."""
    kind = work.kind
    if kind == "thesis":
        label = _type_label(
            work, "Master's thesis" if work.entry_type == "mastersthesis" else "PhD thesis"
        )
        return _join(label, _field(work, "school", "institution"), ", ")
    if kind == "report":
        label = _type_label(work, "Technical report")
        label = _join(label, _field(work, "number"), " ")
        return _join(label, _field(work, "institution", "school", "publisher"), ", ")
    if kind == "chapter":
        book = _field(work, "booktitle") or (work.venue if "abbr" in work.fields else "")
        line = f"In: {book}" if book else ""
        publisher = _field(work, "publisher")
        if publisher:
            line = f"{line} ({publisher})" if line else publisher
        pages = _pages(work)
        return _join(line, f"pp. {pages}" if pages else "", ", ")
    if kind == "journal":
        volume, number = _field(work, "volume"), _field(work, "number", "issue")
        name = work.venue.strip()
        if volume:
            name = f"{name} {volume}" + (f"({number})" if number else "")
        return _join(name, _pages(work), ", ")
    return ""


def venue_lines(work: Work, *, with_year: bool = True) -> tuple[str, str]:
    """(default line, compact line) for the venue; the year is added here, once
    (and left out when the list is grouped by year: the heading says it)."""
    year = str(work.year) if work.year and with_year else ""
    details = venue_details(work)
    if details:
        line = _join(details, year, ", ")
        return line, line
    venue = work.venue.strip()
    if work.kind == "preprint":
        name = venue or ("arXiv" if work.ids.arxiv else "")
        short = name[: -len(" preprint")] if name.lower().endswith(" preprint") else name
        long = name if "preprint" in plain(name).lower() else f"{name} preprint".strip()
        long = long or "Preprint"
        return _join(long, year, ", "), _join(short or "Preprint", year, " ")
    if "abbr" in work.fields:
        line = _join(venue, year, " ")
        return line, line
    line = _join(venue, year, ", ")
    return line, line


def _join(a: str, b: str, sep: str) -> str:
    """``sep.join`` of the non-empty ones of a and b (called per entry: no generator)."""
    return f"{a}{sep}{b}" if a and b else (a or b)


def truncate_authors(views: list[AuthorView], max_authors: int) -> list[AuthorView]:
    """Keep the first authors, the owner and the last author; "…" marks each gap.

    ``max_authors`` <= 0 keeps everyone. "and others" stays last as "et al.".
    """
    n = len(views)
    if max_authors <= 0 or n <= max_authors:
        return views
    keep = set(range(max(max_authors - 1, 1))) | {n - 1}
    owner = next((i for i, view in enumerate(views) if view.is_owner), None)
    if owner is not None and owner not in keep:
        keep = set(range(max(max_authors - 2, 1))) | {owner, n - 1}
    out: list[AuthorView] = []
    previous = -1
    for i in sorted(keep):
        if i != previous + 1:
            out.append(ELLIPSIS)
        out.append(views[i])
        previous = i
    return out


def source_preference(setting: Any) -> tuple[str, ...]:
    """`[render] citation_source`: a name or a list, tried in order, then the defaults."""
    if isinstance(setting, str) and setting:
        chosen: tuple[str, ...] = (setting,)
    elif isinstance(setting, list | tuple):
        chosen = tuple(str(s) for s in setting)
    else:
        chosen = ()
    return chosen + tuple(s for s in citation_sources() if s not in chosen)


def citation_views(
    counts: Mapping[str, CitationCount],
    preference: tuple[str, ...],
    date_format: Callable[[str], str] = format_day,
) -> dict[str, CitationView]:
    """Counts in preference order (sources outside it after, by name)."""
    if not counts:
        return {}  # most works before a sync
    rest = sorted(s for s in counts if s not in preference)
    order = [s for s in preference if s in counts] + rest
    return {
        s: CitationView(
            source=s,
            label=source_label(s),
            count=counts[s].count,
            as_of=counts[s].retrieved_at,
            date=date_format(counts[s].retrieved_at),
        )
        for s in order
    }


def sort_newest_first(items: Iterable[Any]) -> list[Any]:
    """Real dates, newest first; ties keep file order; undated last."""
    return sorted(items, key=lambda x: x.sort_date, reverse=True)


def _publication_order(work: Work, status: str | None) -> tuple[int, int, int, int]:
    """Forthcoming work first (under review, to appear, in press), then newest first."""
    rank = len(STATUS_ORDER) - STATUS_ORDER.index(status) if status in STATUS_ORDER else 0
    return (rank, *work.sort_date)


def build_publications(
    works: list[Work],
    *,
    is_owner: Callable[[Author], bool],
    max_authors: int,
    selected_only: bool,
    citations: Mapping[str, Mapping[str, CitationCount]],
    external_ids: Mapping[str, Mapping[str, str]],
    preference: tuple[str, ...],
    citation_date: Callable[[str], str] = format_day,
    learned: Mapping[str, Mapping[str, Mapping[str, str]]] | None = None,
    pdfs: Mapping[str, Mapping[str, str]] | None = None,  # {key: {source: PDF url}}
    year_in_venue: bool = True,
) -> list[PublicationView]:
    chosen = [w for w in works if w.selected] if selected_only else list(works)
    statuses = {w.key: publication_status(w) for w in chosen}
    ordered_works = sorted(
        chosen, key=lambda w: _publication_order(w, statuses[w.key]), reverse=True
    )
    out: list[PublicationView] = []
    learned = learned or {}
    # Ids a sync found that the bib lacks, and open-access PDFs (the registry, read
    # only when there are any, says whose ids render uses and whose PDF comes first).
    own_id_kinds: dict[str, str] = {}
    shown: set[str] = set()
    trust: Callable[[Iterable[str]], list[str]] = list
    if external_ids or pdfs:
        from pubtrack.sources.registry import registry

        sources = registry()
        own_id_kinds = sources.own_id_kinds
        shown = {*own_id_kinds, *sources.citing_page_sources}
        trust = sources.by_id_trust
    pdfs = pdfs or {}
    # The reader hands out one Author per spelling, shared by the entries that write
    # it so: one view (and one owner check) each. Keyed by id(): the works hold them.
    views_of: dict[int, AuthorView] = {}
    for number, work in enumerate(ordered_works, start=1):
        stored_counts = citations.get(work.key)
        counts = citation_views(stored_counts, preference, citation_date) if stored_counts else {}
        ordered = list(counts.values())
        status = statuses[work.key]
        venue_line, venue_short = venue_lines(work, with_year=year_in_venue)
        if status:
            venue_line = f"{venue_line} ({status})" if venue_line else status.capitalize()
            venue_short = f"{venue_short} ({status})" if venue_short else status.capitalize()
        ids = work.ids.as_dict()
        views = []
        for author in work.authors:
            view = views_of.get(id(author))
            if view is None:
                view = views_of[id(author)] = AuthorView(author, is_owner(author))
            views.append(view)
        flags = [view.is_owner for view in views]
        found = external_ids.get(work.key)
        if found:
            found = {source: value for source, value in found.items() if source in shown}
        for source, kind in own_id_kinds.items():
            if not ids.get(kind) and found and found.get(source):
                # The bib lacks it; a sync found it (source_records.external_id).
                ids[kind] = found[source]
        links = list(work.links)
        offered = pdfs.get(work.key)
        id_sources = learned_ids_and_links(
            ids, links, learned.get(work.key, {}), offered[trust(offered)[0]] if offered else None
        )
        out.append(
            PublicationView(
                key=work.key,
                number=number,
                title=work.title,
                authors=truncate_authors(views, max_authors),
                owner_flags=flags,
                year=work.year,
                month=work.month,
                day=work.day,
                venue=work.venue,
                venue_line=venue_line,
                venue_short=venue_short,
                award=work.award or None,
                kind=work.kind,
                links=[link for link in links if safe_url(link.url)],
                ids=ids,
                id_sources=id_sources,
                source_ids=dict(found) if found else {},
                citation=ordered[0] if ordered else None,
                other_citations=ordered[1:],
                citations=counts,
                selected=work.selected,
                work=work,
                status=status,
            )
        )
    return out


def learned_ids_and_links(
    ids: dict[str, str | None],
    links: list[Link],
    learned: Mapping[str, Mapping[str, str]],
    pdf: str | None,
) -> dict[str, str]:
    """Fill ids the bib lacks from what sync learned and add their links (DOI, arXiv, PDF).

    Returns where each id came from ("bib" or a source). An arXiv DOI a source
    reports is the arXiv id, never the DOI.
    """
    origin = {kind: "bib" for kind, value in ids.items() if value}
    if not learned and not pdf:
        return origin  # every id is the bib's: nothing to fill or link
    from pubtrack.identity import arxiv_id_from_doi, normalize_id
    from pubtrack.sources.registry import registry

    for source in registry().by_id_trust(learned):
        for kind, raw in learned[source].items():
            if kind == "doi" and arxiv_id_from_doi(raw):
                kind, raw = "arxiv", arxiv_id_from_doi(raw) or raw
            value = normalize_id(kind, raw)
            if kind in ids and value and not ids[kind]:
                ids[kind] = value
                origin[kind] = source
    labels = {link.label for link in links}
    if ids.get("arxiv") and origin.get("arxiv") != "bib" and "arXiv" not in labels:
        links.append(Link("arXiv", f"https://arxiv.org/abs/{ids['arxiv']}"))
    if ids.get("doi") and origin.get("doi") != "bib" and "DOI" not in labels:
        links.append(Link("DOI", f"https://doi.org/{ids['doi']}"))
    if pdf and "PDF" not in labels:
        links.append(Link("PDF", pdf))
    return origin


def scholar_meta(work: Work) -> dict[str, Any]:
    """Google Scholar's ``citation_*`` meta tags for one work (for a paper's own page).

    ``citation_author`` is a list (one tag per author); empty values are left out.
    """
    # Google Scholar reads "2010/5/12" or "2010".
    date = f"{work.year}/{work.month}/{work.day}" if work.day and work.month else work.year
    pdf = next((k.url for k in work.links if k.label == "PDF"), None)
    if pdf is None and work.ids.arxiv:
        pdf = f"https://arxiv.org/pdf/{work.ids.arxiv}"
    meta: dict[str, Any] = {
        "citation_title": plain(work.title),
        "citation_author": [a.display for a in work.authors if not a.is_others],
        "citation_publication_date": str(date) if date else "",
        "citation_pdf_url": pdf,
        "citation_doi": work.ids.doi,
        "citation_arxiv_id": work.ids.arxiv,
    }
    venue = plain(work.venue)
    if work.kind == "journal" and venue:
        meta["citation_journal_title"] = venue
    elif work.kind == "conference" and venue:
        meta["citation_conference_title"] = venue
    return {k: v for k, v in meta.items() if v}


# The usual meanings of author marks; `[render] marks` in pubtrack.toml overrides them.
DEFAULT_MARKS = {"*": "Equal contribution", "†": "Corresponding author"}


def marks_legend(
    pubs: list[PublicationView], meanings: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """[("*", "Equal contribution"), …] for the marks that appear in the list."""
    meanings = {**DEFAULT_MARKS, **(meanings or {})}
    seen: list[str] = []
    for p in pubs:
        for a in p.authors:
            author = a.author
            if author is not None and author.marks:  # few authors carry marks
                for mark in author.marks:
                    if mark not in seen:
                        seen.append(mark)
    return [(m, meanings[m]) for m in sorted(seen, key=list(meanings).index) if m in meanings]


def group_publications(pubs: list[PublicationView], group_by: str) -> list[Group]:
    if group_by == "year":
        groups: dict[Any, list[PublicationView]] = {}
        for p in pubs:  # already in order: forthcoming, then newest first
            label = p.status.capitalize() if p.status else (str(p.year) if p.year else "Undated")
            groups.setdefault(label, []).append(p)
        return [Group(label, items) for label, items in groups.items()]
    if group_by == "type":
        by_kind: dict[str, list[PublicationView]] = {}
        for p in pubs:
            by_kind.setdefault(p.kind if p.kind in KIND_LABELS else "other", []).append(p)
        groups_out = [Group(KIND_LABELS[k], by_kind[k]) for k in KIND_ORDER if k in by_kind]
        # Number in reading order: the list a reader sees counts 1, 2, 3 down the page.
        number = 0
        for g in groups_out:
            for p in g.items:
                number += 1
                p.number = number
        return groups_out
    return [Group(None, pubs)]


_TALK_TYPES = {
    "invited": "Invited talk",
    "invitedtalk": "Invited talk",
    "keynote": "Keynote",
    "keynotetalk": "Keynote",
    "oral": "Oral",
    "contributed": "Contributed talk",
    "poster": "Poster",
    "spotlight": "Spotlight",
    "tutorial": "Tutorial",
    "seminar": "Seminar",
    "panel": "Panel",
}


def talk_type_label(value: str) -> str:
    """ "invited" -> "Invited talk"; anything else as written, first letter capital."""
    text = plain(value).strip()
    if not text:
        return ""
    known = _TALK_TYPES.get(re.sub(r"[\s_-]+", "", text.lower()))
    return known or text[0].upper() + text[1:]


def build_talks(
    talks: list[Talk], works: list[Work], *, selected_only: bool = False
) -> list[TalkView]:
    """Talks newest first; with ``selected_only``, those marked ``selected`` or given on
    a selected publication."""
    by_key = {w.key: w for w in works}
    out: list[TalkView] = []
    for talk in sort_newest_first(talks):
        work = by_key.get(talk.publication) if talk.publication else None
        if selected_only:
            marked = talk.fields.get("selected", "").strip().lower() in ("true", "yes", "1")
            if not (marked or (work is not None and work.selected)):
                continue
        shown, iso = talk_date(talk)
        out.append(
            TalkView(
                key=talk.key,
                title=talk.title,
                event=talk.event,
                date=shown,
                iso_date=iso,
                location=talk.location_name,
                talk_type=talk.talk_type,
                links=[link for link in talk.links if safe_url(link.url)],
                publication=talk.publication,
                publication_title=work.title if work else None,
                talk=talk,
                type_label=talk_type_label(talk.talk_type),
                publication_url=work.links[0].url if work and work.links else None,
            )
        )
    return out
