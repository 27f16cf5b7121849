"""Field values as BibTeX sees them: delimiters, ``#`` concatenation, @string macros.

bibtexparser's splitter hands over each value verbatim (``"A" # jan # {B}``);
its default middleware only resolves whole-value macro references. This
module resolves the lot in one pass and also notices what the splitter
silently accepts: a missing comma that folds the next field into a value,
a ``%`` "comment" after a value, unbalanced delimiters, undefined macros.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# BibTeX's predefined macros (plain.bst and friends): jan .. dec.
PREDEFINED_MACROS = {name[:3].lower(): name for name in MONTH_NAMES}

_BRACES = re.compile(r"[{}]")
_BRACES_QUOTE = re.compile(r'[{}"]')
_WORD = re.compile(r"[^\s#%,{}\"=]+")
_FIELD_START = re.compile(r"([^\s=,{}\"#%]+)\s*=\s*")
_SPACE = re.compile(r"\s+")
_MACRO = re.compile(r"[^\s#%,{}\"=\d][^\s#%,{}\"=]*")
_UNCLEAN = re.compile(r"\s\s|[\t\n\r]")


@dataclass
class Resolved:
    """A resolved value plus what went wrong on the way (line offsets inside the value)."""

    value: str
    undefined: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line offset, message)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    # Fields folded into this value by a missing comma: (name, raw value, line offset)
    folded: list[tuple[str, str, int]] = field(default_factory=list)


def _match_brace(raw: str, start: int) -> int:
    """Index of the `}` closing the `{` at `start`; -1 if unbalanced."""
    depth = 0
    for m in _BRACES.finditer(raw, start):
        if m.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def _balanced(text: str) -> bool:
    depth = 0
    for m in _BRACES.finditer(text):
        depth += 1 if m.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _match_quote(raw: str, start: int) -> int:
    """Index of the `"` closing the one at `start` (quotes inside braces do not count)."""
    depth = 0
    for m in _BRACES_QUOTE.finditer(raw, start + 1):
        ch = m.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return -1
        elif depth == 0:
            return m.start()
    return -1


def quick(raw: str, macros: dict[str, str], strip: bool = True) -> str | None:
    """The value for the common simple shapes (one group, one string, a number, one
    macro); None when the full `resolve` is needed."""
    first = raw[:1]
    if first == "{":
        if raw[-1] == "}" and "#" not in raw:
            inner = raw[1:-1]
            # No brace inside: the outer pair matches (the common case, checked cheaply).
            if ("{" not in inner and "}" not in inner) or _match_brace(raw, 0) == len(raw) - 1:
                return clean_space(inner, strip)
    elif first == '"':
        if raw[-1] == '"' and len(raw) > 1 and raw.count('"') == 2 and "#" not in raw:
            inner = raw[1:-1]
            if ("{" not in inner and "}" not in inner) or _balanced(inner):
                return clean_space(inner, strip)
    elif raw.isdigit():
        return raw
    elif _MACRO.fullmatch(raw):
        return macros.get(raw.lower())
    return None


def resolve(raw: str, macros: dict[str, str], strip: bool = True) -> Resolved:
    """Resolve one raw field value (as written after ``=``) against ``macros``.

    Macro names are case-insensitive (``macros`` has lower-case keys). An
    undefined macro is kept as its bare name and reported.
    """
    result = Resolved("")
    parts: list[str] = []
    pos = 0
    n = len(raw)
    while True:
        while pos < n and raw[pos].isspace():
            pos += 1
        if pos >= n:
            if parts:  # a dangling `#`
                result.errors.append((raw.count("\n", 0, pos), "value ends with '#'"))
            break
        ch = raw[pos]
        if ch == "{":
            end = _match_brace(raw, pos)
            if end < 0:
                result.errors.append(
                    (raw.count("\n", 0, pos), "unbalanced braces in value (a '}' is missing)")
                )
                parts.append(raw[pos + 1 :].replace("{", "").replace("}", ""))
                break
            parts.append(raw[pos + 1 : end])
            pos = end + 1
        elif ch == '"':
            end = _match_quote(raw, pos)
            if end < 0:
                result.errors.append(
                    (raw.count("\n", 0, pos), 'unbalanced quotes or braces in a "..." value')
                )
                parts.append(raw[pos + 1 :].rstrip('"').replace("{", "").replace("}", ""))
                break
            parts.append(raw[pos + 1 : end])
            pos = end + 1
        else:
            m = _WORD.match(raw, pos)
            if not m:
                result.errors.append((raw.count("\n", 0, pos), f"unexpected {ch!r} in value"))
                break
            word = m.group()
            pos = m.end()
            if word.isdigit():
                parts.append(word)
            else:
                value = macros.get(word.lower())
                if value is None:
                    result.undefined.append(word)
                    parts.append(word)
                else:
                    parts.append(value)
        # after one part: `#`, the end, or trouble
        while pos < n and raw[pos].isspace():
            pos += 1
        if pos >= n:
            break
        ch = raw[pos]
        if ch == "#":
            pos += 1
            continue
        offset = raw.count("\n", 0, pos)
        if ch == "%":
            # `title = {x} % comment` before the closing brace of the entry
            newline = raw.find("\n", pos)
            result.warnings.append(
                (
                    offset,
                    "'%' after a value is not a comment inside a BibTeX entry "
                    "(BibTeX reads it as text); ignored",
                )
            )
            if newline < 0:
                break
            pos = newline + 1
            while pos < n and raw[pos].isspace():
                pos += 1
            if pos >= n:
                break
            if raw[pos] == "#":
                pos += 1
                continue
            offset = raw.count("\n", 0, pos)
        rest = raw[pos:]
        folded = _FIELD_START.match(rest)
        if folded:
            result.folded.append((folded.group(1), rest[folded.end() :], offset))
        else:
            result.errors.append(
                (offset, f"unexpected text after the value: {rest.splitlines()[0][:40]!r}")
            )
        break
    result.value = clean_space("".join(parts), strip)
    return result


def clean_space(value: str, strip: bool = True) -> str:
    """BibTeX collapses white space (newlines included) to single spaces.

    @string values keep their outer spaces (``" Symposium"`` is concatenated).
    """
    if _UNCLEAN.search(value):
        value = _SPACE.sub(" ", value)
    return value.strip() if strip else value


@lru_cache(maxsize=4096)  # a bib writes its months a dozen ways at most
def month_number(value: str | None) -> int | None:
    """1..12 from ``jan``/``January``/``1``/``01``/``Jan.``/``1~March``-ish values; else None."""
    if not value:
        return None
    text = value.strip().lower().rstrip(".")
    if text.isdigit():
        number = int(text)
        return number if 1 <= number <= 12 else None
    # "jan", "January", "Sept.", "1~March", "September 2--3", "oct-nov": first month named
    for word in _LETTERS.findall(text):
        if len(word) >= 3:
            named = _MONTH_PREFIX.get(word[:3])
            if named:
                return named
    return None


_LETTERS = re.compile(r"[a-z]+")
_MONTH_PREFIX = {name[:3].lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}


def day_number(value: str | None) -> int | None:
    """A day of month from a ``day`` field or ``"1~" # mar`` style months."""
    if not value:
        return None
    m = re.match(r"\s*(\d{1,2})\b", value.replace("\u00a0", " ").replace("~", " "))
    if m and 1 <= int(m.group(1)) <= 31:
        return int(m.group(1))
    return None


_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def parse_date(value: str | None) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) from a biblatex date: ``2024-11-12``, ``2024-11``, ranges -> start."""
    if not value:
        return None, None, None
    m = _DATE.match(value)
    if not m:
        return None, None, None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if month is not None and not 1 <= month <= 12:
        month, day = None, None
    if day is not None and not 1 <= day <= 31:
        day = None
    return year, month, day


def year_number(value: str | None) -> int | None:
    """The year from ``2024``, ``{2024}``, ``2014-09``, ``to appear 2025``; None otherwise."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit() and len(text) == 4:
        return int(text)
    m = re.search(r"(?<!\d)(\d{4})(?!\d)", text)
    return int(m.group(1)) if m else None
