"""Is this author the owner? By author id first, then by name variants.

Sources give author ids (ORCID, Semantic Scholar, OpenAlex, dblp pid): when
one matches an id in ``[owner]`` the answer is certain. Names are matched in
every spelling a bib or an API uses: initials for given names ("A. J. M.
Thomson" for "Alec Thomson"), extra middle names or initials, compound
surnames with a space or any Unicode hyphen ("García-López", "García López"),
particles ("von", "de la") kept or dropped, accents either way, either name
order. Two full given names must agree; an initial agrees with any name it
starts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pubtrack.config import Config

# Every Unicode hyphen and dash a name may be written with.
HYPHENS = "-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
PARTICLES = frozenset(
    [
        "von",
        "van",
        "der",
        "den",
        "de",
        "la",
        "le",
        "du",
        "des",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "do",
        "ten",
        "ter",
        "zu",
        "y",
        "vom",
        "zum",
    ]
)
_FOLD = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"}
)
_SPLIT = re.compile("[\\s." + re.escape(HYPHENS) + "'’]+")
_LATEX = re.compile(r"\\[a-zA-Z]+\s*|[{}\\]")


def fold(text: str) -> str:
    """Lower case ASCII-ish: accents, braces and LaTeX commands removed."""
    text = _LATEX.sub("", text.translate(_FOLD))
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(fold(text)) if t and not t.isdigit()]


@dataclass(frozen=True)
class NameParts:
    given: tuple[str, ...]
    surname: tuple[str, ...]  # particles removed

    @property
    def all(self) -> tuple[str, ...]:
        return self.given + self.surname


def parse(name: str) -> NameParts:
    """'Last, First' or 'First [particles] Last' (a compound surname needs a comma or hyphen)."""
    if "," in name:
        last, _, first = name.partition(",")
        if "," in first:  # "Last, Jr, First"
            first = first.split(",", 1)[1]
        return NameParts(tuple(tokens(first)), tuple(t for t in tokens(last) if t not in PARTICLES))
    words = name.split()
    if not words:
        return NameParts((), ())
    split = len(words) - 1
    while split > 1 and fold(words[split - 1]) in PARTICLES:
        split -= 1
    given = " ".join(words[:split])
    surname = [t for t in tokens(" ".join(words[split:])) if t not in PARTICLES]
    return NameParts(tuple(tokens(given)), tuple(surname))


def parts_of(person: Any) -> NameParts:
    """NameParts of a bib Author, an API Person or a plain string."""
    if isinstance(person, str):
        return parse(person)
    if hasattr(person, "first") and hasattr(person, "last"):  # models.Author
        if person.corporate or not person.first:
            return parse(person.last)
        last = " ".join(p for p in (person.von, person.last) if p)
        return NameParts(
            tuple(tokens(person.first)), tuple(t for t in tokens(last) if t not in PARTICLES)
        )
    if getattr(person, "family", ""):
        return NameParts(
            tuple(tokens(person.given)),
            tuple(t for t in tokens(person.family) if t not in PARTICLES),
        )
    return parse(getattr(person, "name", "") or "")


def surname_key(person: Any) -> str:
    parts = parts_of(person)
    return parts.surname[-1] if parts.surname else ""


def _compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    return False


def _given_agree(mine: tuple[str, ...], theirs: tuple[str, ...], same_count: bool) -> bool:
    if not mine or not theirs or (same_count and len(mine) != len(theirs)):
        return False
    return all(_compatible(a, b) for a, b in zip(mine, theirs, strict=False))


def names_match(owner: NameParts, other: NameParts, *, same_count: bool = False) -> bool:
    """Same person by name: surname words agree (as a suffix of the whole name), given names
    compatible token by token (``same_count``: and as many of them, as render's bolding
    wants: "Z. H. Liu" is not bolded for "Zihang Liu")."""
    if not owner.surname or not other.surname:
        return False
    whole_o, whole_t = owner.all, other.all
    # Try the longer surname split on both sides: "García López" may be parsed with
    # "García" as a given name on one side and as part of the surname on the other.
    for surname in {owner.surname, other.surname}:
        n = len(surname)
        if whole_o[-n:] == surname and whole_t[-n:] == surname:
            return _given_agree(whole_o[:-n], whole_t[:-n], same_count)
    return False


def is_strict_full_name(parts: NameParts) -> bool:
    return bool(parts.given) and len(parts.given[0]) > 1


def normalize_author_id(kind: str, value: str) -> str:
    value = str(value).strip().rstrip("/")
    if kind in ("orcid", "openalex"):
        value = value.rsplit("/", 1)[-1]
    return value.upper() if kind in ("orcid", "openalex") else value


class Owner:
    """The owner's names and author ids; ``match(person)`` -> 'id' | 'name' | None."""

    ID_KINDS = ("orcid", "semantic_scholar", "openalex", "dblp")

    def __init__(self, names: list[str], ids: dict[str, str] | None = None) -> None:
        self.set_names(names)
        self.ids = {
            k: normalize_author_id(k, v) for k, v in (ids or {}).items() if v and str(v).strip()
        }

    def set_names(self, names: list[str]) -> None:
        """The names to match (a profile may tell them when pubtrack.toml does not)."""
        self.names = [n for n in names if n.strip()]
        self._parts = [parse(n) for n in self.names]
        self._surnames = {p.surname[-1] for p in self._parts if p.surname}

    def _maybe(self, person: Any) -> bool:
        """A cheap first test: the last word of the surname is one of the owner's.

        Long author lists are mostly other people; this skips the full parse for them.
        """
        raw = getattr(person, "last", None) or getattr(person, "family", None)
        raw = raw or getattr(person, "name", None) or (person if isinstance(person, str) else "")
        if not raw or "," in raw:
            return True  # "Last, First" strings: leave it to the full parse
        word = raw.rsplit(None, 1)[-1]
        if word.isascii() and word.isalpha():
            return word.casefold() in self._surnames
        return bool(set(tokens(word)) & self._surnames)

    @classmethod
    def from_config(cls, config: Config) -> Owner:
        o = config.owner
        return cls(
            config.owner_names(),
            {
                "orcid": o.orcid,
                "semantic_scholar": o.semantic_scholar_id,
                "openalex": o.openalex_id,
                "dblp": o.dblp,
            },
        )

    def __bool__(self) -> bool:
        return bool(self._parts or self.ids)

    def id_match(self, person: Any) -> bool | None:
        """True/False when the person carries an id of a kind the owner has; None otherwise."""
        ids = getattr(person, "ids", None) or {}
        verdict = None
        for kind, value in ids.items():
            mine = self.ids.get(kind)
            if mine is None or not value:
                continue
            if normalize_author_id(kind, value) == mine:
                return True
            verdict = False
        return verdict

    def name_match(self, person: Any, *, same_count: bool = False) -> bool:
        if not self._parts or not self._maybe(person):
            return False
        other = parts_of(person)
        return any(names_match(mine, other, same_count=same_count) for mine in self._parts)

    def match(self, person: Any) -> str | None:
        if self.id_match(person):
            return "id"
        if self.name_match(person):
            return "name"
        return None

    def find(self, authors: list[Any]) -> tuple[int, str] | None:
        """(position, how) of the owner in an author list; id matches win over names."""
        by_name = None
        for i, person in enumerate(authors):
            if getattr(person, "is_others", False):
                continue
            how = self.match(person)
            if how == "id":
                return i, how
            if how == "name" and by_name is None:
                by_name = (i, how)
        return by_name
