"""Is this author the owner? Matches the configured name and aliases.

Bib files spell one person many ways ("Liu, Zihang", "Zihang Liu", "Z. Liu",
"Zíhang LIU"), so comparison is case- and accent-insensitive, works in either
name order, and lets initials stand for a first name. A name written in full
on both sides must agree in full: an alias "Z. Liu" does not make every
"Zhe Liu" the owner, but it does match an author written "Z. Liu".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pubtrack.models import Author

_NON_NAME = re.compile(r"[^\w\s.-]+")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, no accents, no braces or punctuation other than '.' and '-'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = _NON_NAME.sub(" ", stripped.casefold().replace("ı", "i"))
    return _SPACES.sub(" ", cleaned).strip()


def _tokens(first: str) -> list[str]:
    """First-name tokens; "J.-P." and "Jean-Pierre" both give two tokens."""
    return [t for t in re.split(r"[\s.\-]+", fold(first)) if t]


def _is_initials(tokens: list[str]) -> bool:
    return bool(tokens) and all(len(t) == 1 for t in tokens)


@dataclass(frozen=True)
class _Name:
    first: tuple[str, ...]
    last: str  # folded "von last"

    def matches(self, first: list[str], last: str) -> bool:
        if last != self.last:
            return False
        if not first or not self.first:
            return not first and not self.first
        mine = list(self.first)
        if _is_initials(mine) and not _is_initials(first):
            # An alias "Z. Liu" names how the owner is abbreviated, not every Z. Liu.
            return False
        if _is_initials(first):
            # An author written with initials: compare first letters, token by token.
            if len(first) != len(mine):
                return False
            return all(a[0] == b[0] for a, b in zip(first, mine, strict=True))
        return first == mine


def _parse(name: str) -> _Name | None:
    """A configured name: "Last, First" or "First [von] Last"."""
    if "," in name:
        last, _, first = name.partition(",")
        return _Name(tuple(_tokens(first)), fold(last))
    words = name.split()
    if not words:
        return None
    # Lower-case words before the surname are von parts ("Ludwig van Beethoven").
    split = len(words) - 1
    while split > 1 and words[split - 1][:1].islower():
        split -= 1
    return _Name(tuple(_tokens(" ".join(words[:split]))), fold(" ".join(words[split:])))


class OwnerMatcher:
    """Callable: ``matcher(author) -> bool``; remembers answers (long lists repeat names)."""

    def __init__(self, names: list[str]) -> None:
        from pubtrack.works.owner import Owner

        self._names = [n for n in (_parse(name) for name in names if name.strip()) if n]
        self._cache: dict[tuple[str, str, str], bool] = {}
        # Spellings check and discover accept too (compound surnames with a space or any
        # Unicode hyphen, particles dropped), with as many given names as configured and
        # from names written in full only: "Z. Liu" still does not make every Z. Liu the
        # owner, and "Z. H. Liu" is not bolded for "Zihang Liu".
        full = [n for n in names if n.strip() and not _is_initials(list(_parse(n).first))]
        self._variants = Owner(full)

    def __bool__(self) -> bool:
        return bool(self._names)

    def __call__(self, author: Author) -> bool:
        if author.is_others or not self._names:
            return False
        key = (author.first, author.von, author.last)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._match(author) or self._variants.name_match(author, same_count=True)
            self._cache[key] = hit
        return hit

    def _match(self, author: Author) -> bool:
        last = fold(" ".join(p for p in (author.von, author.last) if p))
        first = _tokens(author.first)
        if author.corporate or not author.first:
            # Unsplit names ("{Zihang Liu}"): compare the whole string both ways.
            parsed = _parse(author.last)
            if parsed is None:
                return False
            first, last = list(parsed.first), parsed.last
        for name in self._names:
            if name.matches(first, last):
                return True
            # Other order, as in "Liu Zihang" written without a comma (full names only).
            swapped = not _is_initials(first) and not _is_initials(list(name.first))
            if swapped and len(first) == 1 and name.matches([last], first[0]):
                return True
        return False
