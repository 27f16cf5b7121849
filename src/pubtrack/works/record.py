"""One work's metadata, whatever API it came from.

Every source module turns its answer into a ``Record``; ``bibwrite`` turns a
record into a BibTeX entry. Keeping one shape means the preference rules
(published over preprint, richer over poorer) live in one place.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from pubtrack.identity import id_keys, normalize_title
from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN

# Entry types pubtrack writes, from the kinds the APIs report.
PREPRINT_TYPES = frozenset({"preprint", "posted-content", "posted_content"})


_TAGS = {
    "i": (EM_OPEN, EM_CLOSE),
    "em": (EM_OPEN, EM_CLOSE),
    "b": (STRONG_OPEN, STRONG_CLOSE),
    "strong": (STRONG_OPEN, STRONG_CLOSE),
}
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w:-]*)[^>]*>")


def clean_text(text: str | None) -> str:
    """API text as plain Unicode: Crossref's JATS/HTML tags (<i>, <sub>, <scp>) and
    entities resolved, italics and bold kept as the models' emphasis markers."""
    if not text:
        return ""

    def tag(match: re.Match[str]) -> str:
        closing, name = match.group(1), match.group(2).lower().split(":")[-1]
        pair = _TAGS.get(name)
        if pair is None:
            return ""
        return pair[1] if closing else pair[0]

    return " ".join(html.unescape(_TAG.sub(tag, str(text))).split())


@dataclass
class Person:
    """An author as an API gives it; ``ids`` holds author ids (orcid, s2, openalex, dblp)."""

    given: str = ""
    family: str = ""
    name: str = ""  # the full name as given, when not split
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def display(self) -> str:
        if self.given or self.family:
            return " ".join(p for p in (self.given, self.family) if p)
        return self.name


@dataclass
class Record:
    """A work as fetched: enough to write a clean BibTeX entry."""

    title: str = ""
    authors: list[Person] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    kind: str = "article"  # article | inproceedings | incollection | book | phdthesis | misc
    venue: str = ""  # journal or proceedings title
    venue_short: str = ""
    volume: str = ""
    number: str = ""
    pages: str = ""
    publisher: str = ""
    doi: str | None = None  # the published version's DOI (never the arXiv DOI)
    arxiv: str | None = None
    semantic_scholar: str | None = None
    openalex: str | None = None
    dblp: str | None = None
    pdf: str | None = None  # an open-access PDF
    url: str | None = None
    preprint: bool = False  # this record describes a preprint (no published version known)
    source: str = ""  # which API answered
    notes: list[str] = field(default_factory=list)  # what happened (shown to the user)
    extra: dict[str, Any] = field(default_factory=dict)

    def ids(self) -> dict[str, str]:
        out = {
            "doi": self.doi,
            "arxiv": self.arxiv,
            "semantic_scholar": self.semantic_scholar,
            "openalex": self.openalex,
        }
        return {k: v for k, v in out.items() if v}

    def id_keys(self) -> set[tuple[str, str]]:
        keys = id_keys(self.ids())
        if self.dblp:
            keys.add(("dblp", self.dblp))
        return keys

    def title_key(self) -> str:
        return normalize_title(self.title)

    def merge(self, other: Record) -> Record:
        """Fill this record's gaps from ``other`` (same work); this one's values win."""
        for name in (
            "title",
            "year",
            "month",
            "venue",
            "venue_short",
            "volume",
            "number",
            "pages",
            "publisher",
            "doi",
            "arxiv",
            "semantic_scholar",
            "openalex",
            "dblp",
            "pdf",
            "url",
        ):
            if not getattr(self, name) and getattr(other, name):
                setattr(self, name, getattr(other, name))
        if not self.authors or (
            len(other.authors) > len(self.authors) and not any(p.family for p in self.authors)
        ):
            self.authors = list(other.authors)
        else:
            _merge_author_ids(self.authors, other.authors)
        for note in other.notes:
            if note not in self.notes:
                self.notes.append(note)
        return self


def _merge_author_ids(mine: list[Person], theirs: list[Person]) -> None:
    """Author ids from another source, for authors at the same position with the same surname."""
    from pubtrack.works.owner import surname_key

    for a, b in zip(mine, theirs, strict=False):
        if b.ids and surname_key(a) and surname_key(a) == surname_key(b):
            for k, v in b.ids.items():
                a.ids.setdefault(k, v)
