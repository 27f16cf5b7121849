"""Plain data passed between layers: bib -> works -> sources -> db -> render.

Text fields that may carry emphasis (titles, venues) use the markers below:
the BibTeX reader turns ``\\emph{x}``/``\\textit{x}`` into ``EM_OPEN x EM_CLOSE``
and ``\\textbf{x}`` into ``STRONG_OPEN x STRONG_CLOSE``; each renderer maps them
to its own syntax (``*x*``, ``<em>x</em>``, ``\\emph{x}``) and ``plain()``
strips them for JSON, sorting and matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Date  # noqa: N812

EM_OPEN = "\ue000"
EM_CLOSE = "\ue001"
STRONG_OPEN = "\ue002"
STRONG_CLOSE = "\ue003"
_MARKERS = str.maketrans("", "", EM_OPEN + EM_CLOSE + STRONG_OPEN + STRONG_CLOSE)


def plain(text: str | None) -> str:
    """Text without emphasis markers."""
    if not text:
        return ""
    # translate() looks up every character: most text has no marker to drop.
    if EM_OPEN in text or EM_CLOSE in text or STRONG_OPEN in text or STRONG_CLOSE in text:
        return text.translate(_MARKERS)
    return text


@dataclass(frozen=True)
class Location:
    """Where a thing came from, for FILE:LINE messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Problem:
    """One BibTeX (or config) problem, reported as ``FILE:LINE: message``."""

    file: str
    line: int
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Author:
    """A person (or a ``{Corporate Name}``) as written in the bib.

    Frozen: the reader hands out one object per distinct spelling, shared by
    every entry that writes the name so."""

    first: str = ""
    von: str = ""
    last: str = ""
    jr: str = ""
    # Equal-contribution / corresponding marks ("*", "†", "‡"), kept apart
    # from the surname.
    marks: tuple[str, ...] = ()
    corporate: bool = False
    is_others: bool = False  # "and others" / et al.
    # The first name abbreviated as BibTeX does ("J.-P.", "Ch." for
    # `{\relax Ch}ristopher`); empty: derived from `first`.
    initials: str = ""

    @property
    def display(self) -> str:
        """Full name in reading order: "First von Last, Jr"."""
        if self.is_others:
            return "et al."
        if self.corporate:
            return self.last
        name = " ".join(p for p in (self.first, self.von, self.last) if p)
        return f"{name}, {self.jr}" if self.jr else name

    @property
    def short(self) -> str:
        """Initials + surname, as in a compact citation: "Y. Hu"."""
        if self.is_others or self.corporate or not self.first:
            return self.display
        if self.initials:
            return " ".join(p for p in (self.initials, self.von, self.last) if p)
        initials = " ".join(
            "-".join(f"{part[0]}." for part in word.split("-") if part)
            for word in self.first.replace(".", ". ").split()
        )
        return " ".join(p for p in (initials, self.von, self.last) if p)


@dataclass
class Identifiers:
    """Every id a work is known by; normalised (see identity.py)."""

    arxiv: str | None = None  # "2410.12178" (no version) or "hep-th/9901001"
    doi: str | None = None  # lower-case, no resolver prefix
    semantic_scholar: str | None = None  # S2 paperId (40 hex)
    openalex: str | None = None  # "W123..."
    corpus_id: str | None = None
    acl: str | None = None  # ACL Anthology id, e.g. "2024.emnlp-main.78"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "arxiv": self.arxiv,
            "doi": self.doi,
            "semantic_scholar": self.semantic_scholar,
            "openalex": self.openalex,
        }


@dataclass
class Link:
    label: str  # "arXiv", "PDF", "Code", "DOI", "Recording", "Slides", ...
    url: str


@dataclass
class Work:
    """One publication (one bib entry), with all its ids."""

    key: str
    entry_type: str  # lower-case bib type: "inproceedings", "article", ...
    title: str  # Unicode, may hold EM_/STRONG_ markers
    authors: list[Author] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    day: int | None = None
    venue: str = ""  # Unicode, may hold markers; "" when unknown
    award: str | None = None  # "Oral", "Best Paper", ...
    kind: str = (
        "other"  # conference | journal | preprint | thesis | book | chapter | report | other
    )
    ids: Identifiers = field(default_factory=Identifiers)
    links: list[Link] = field(default_factory=list)
    selected: bool = False
    abstract: str = ""
    note: str = ""
    location: Location | None = None
    fields: dict[str, str] = field(default_factory=dict)  # raw (resolved) bib fields

    @property
    def sort_date(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month or 0, self.day or 0)


@dataclass
class Talk:
    key: str
    title: str  # Unicode, may hold markers
    event: str = ""
    date: Date | None = None
    year: int | None = None  # when only a year (or year+month) is known
    month: int | None = None
    location_name: str = ""  # where the talk was given ("Miami, FL")
    talk_type: str = ""  # "Oral presentation", "Invited talk", ...
    links: list[Link] = field(default_factory=list)
    publication: str | None = None  # key of the related Work
    location: Location | None = None
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def sort_date(self) -> tuple[int, int, int]:
        if self.date:
            return (self.date.year, self.date.month, self.date.day)
        return (self.year or 0, self.month or 0, 0)


@dataclass
class Library:
    """Everything read from the bib files of one project."""

    works: list[Work] = field(default_factory=list)
    talks: list[Talk] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Hash of every input file's content + pubtrack version: "did the bib change?"
    fingerprint: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class CitationCount:
    """A count as stored: which source said it, and when."""

    publication_key: str
    source: str
    count: int
    retrieved_at: str  # ISO-8601 UTC, e.g. "2026-11-28T03:00:00Z"
    influential: int | None = None
