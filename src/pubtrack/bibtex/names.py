"""Author and editor lists: BibTeX name splitting plus the conventions of CV bibs.

Splitting ("First von Last", "von Last, First", "von Last, Jr, First",
``{Corporate Names}``, ``and others``) is bibtexparser 2's
(``split_multiple_persons_names`` and ``parse_single_name_into_parts``).
Around it: equal-contribution/corresponding marks (``Liu*, Zihang``,
``Zihang Liu$^\\dagger$``) become ``Author.marks`` instead of part of the
surname; biblatex's extended ``family=..., given=...`` form is read; and a
name that cannot be split is kept whole and reported, never dropped (the
bibtexparser middleware would drop the whole entry).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from pubtrack.bibtex.latex import decode
from pubtrack.models import Author

MARK_CHARS = "*†‡"
_MARK_HINT = re.compile(r"[*†‡]|\\(?:dagger|ddagger|dag|ddag|textdagger|textdaggerdbl|ast)\b")
_MARK_COMMANDS = (
    (re.compile(r"\\(?:ddagger|ddag|textdaggerdbl)\b\s*"), "‡"),
    (re.compile(r"\\(?:dagger|dag|textdagger)\b\s*"), "†"),
    (re.compile(r"\\ast\b\s*"), "*"),
)
# Superscript wrappers holding only marks: $^{*†}$, $^*$, \textsuperscript{†}, ^{*}, $†$
_MARK_WRAPPERS = re.compile(
    r"\$\s*\^?\s*\{?\s*([*†‡,\s]+?)\s*\}?\s*\$"
    r"|\\textsuperscript\s*\{\s*([*†‡,\s]+?)\s*\}"
    r"|\^\s*\{\s*([*†‡,\s]+?)\s*\}"
    r"|\^\s*([*†‡])"
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_EXTENDED_KEYS = ("family", "given", "prefix", "suffix")
_EXTENDED = re.compile(r"^\s*(?:family|given|prefix|suffix|useprefix|id)\s*=", re.IGNORECASE)
Parsed = tuple[tuple[str, str, str, str, tuple[str, ...], bool, bool], str | None]


def split_marks(name: str) -> tuple[str, tuple[str, ...]]:
    """The name without its marks, and the marks in order (``*``, ``†``, ``‡``)."""
    if not _MARK_HINT.search(name):
        return name, ()
    text = name
    for pattern, char in _MARK_COMMANDS:
        text = pattern.sub(char, text)
    text = _MARK_WRAPPERS.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    marks = tuple(dict.fromkeys(c for c in text if c in MARK_CHARS))
    for char in MARK_CHARS:
        text = text.replace(char, "")
    text = re.sub(r"\s+,", ",", text)
    return re.sub(r"\s+", " ", text).strip(" ,"), marks


def _is_corporate(name: str) -> bool:
    """``{Barnes and Noble, Inc.}``: the whole name is one braced group."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0 and i != len(name) - 1:
                return False
    return True


def _extended(name: str) -> dict[str, str] | None:
    """biblatex ``family=Smith, given=Jean, prefix=de``; None when not that form."""
    if not _EXTENDED.match(name):
        return None
    parts: dict[str, str] = {}
    for m in re.finditer(r"(\w+)\s*=\s*(\{(?:[^{}]|\{[^{}]*\})*\}|[^,]*)", name):
        key, value = m.group(1).lower(), m.group(2).strip()
        if value.startswith("{") and value.endswith("}"):
            value = value[1:-1]
        parts[key] = value
    return parts if any(k in parts for k in _EXTENDED_KEYS) else None


@lru_cache(maxsize=1 << 15)
def parse_name(raw: str) -> Parsed:
    """One name -> ((first, von, last, jr, marks, corporate, is_others), problem or None)."""
    name, marks = split_marks(raw.strip().rstrip(",").strip())
    if name.lower() == "others":
        return ("", "", "", "", marks, False, True), None
    if _is_corporate(name):
        return ("", "", decode(name[1:-1]), "", marks, True, False), None
    extended = _extended(name)
    if extended is not None:
        return (
            decode(extended.get("given", "")),
            decode(extended.get("prefix", "")),
            decode(extended.get("family", "")),
            decode(extended.get("suffix", "")),
            marks,
            False,
            False,
        ), None
    problem = None
    try:
        parts = parse_single_name_into_parts(name, strict=True)
    except InvalidNameError as exc:
        return ("", "", decode(name), "", marks, False, False), (
            f"name '{name}' cannot be split into first and last name "
            f"({getattr(exc, 'reason', None) or exc}); kept as written"
        )
    except Exception as exc:  # a bug or an odd name in the splitter must not drop the entry
        return ("", "", decode(name), "", marks, False, False), (
            f"name '{name}' cannot be split ({exc}); kept as written"
        )
    first = decode(" ".join(parts.first))
    von = decode(" ".join(parts.von))
    last = decode(" ".join(parts.last))
    jr = decode(" ".join(parts.jr))
    if not last and not first:
        return ("", "", decode(name), "", marks, False, False), problem
    if not last:
        first, last = "", first
    return (first, von, last, jr, marks, False, False), problem


def parse_names(value: str) -> tuple[list[Author], list[str]]:
    """An ``author``/``editor`` value -> Authors, and one message per name kept unsplit."""
    authors: list[Author] = []
    problems: list[str] = []
    try:
        if "{" in value or "}" in value:
            names = split_multiple_persons_names(value)
        else:  # no braces to protect an "and": a plain split is the same, and faster
            names = [n for n in _AND.split(value.strip()) if n]
    except Exception as exc:  # pragma: no cover - defensive: never lose the entry
        return [Author(last=decode(value))], [f"names cannot be separated ({exc})"]
    for raw in names:
        if not raw.strip(" ,"):
            continue
        (first, von, last, jr, marks, corporate, others), problem = parse_name(raw)
        authors.append(Author(first, von, last, jr, marks, corporate, others))
        if problem:
            problems.append(problem)
    return authors, problems
