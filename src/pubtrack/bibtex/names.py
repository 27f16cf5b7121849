"""Author and editor lists: BibTeX name splitting plus the conventions of CV bibs.

Names are separated at " and " outside braces (BibTeX's rule); each name is
split ("First von Last", "von Last, First", "von Last, Jr, First",
``{Corporate Names}``, ``and others``) by bibtexparser 2's
``parse_single_name_into_parts``, after unbraced accents (``Mu\\~noz``) are
braced as BibTeX "special characters" so that they never split a name.
Initials follow BibTeX's ``{f.}`` (``{\\relax Ch}ristopher`` -> "Ch.",
"Jean-Pierre" -> "J.-P.", Unicode hyphens too).
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
Parsed = tuple[Author, str | None]

# An accent or special letter written without braces (`Mu\~noz`, `Jo\~{a}o`,
# `\'\i`, `Fran\c cois`, `Bj\o rn`): BibTeX would split the name at the `~` or
# the space, so it is wrapped in braces first, as `{\~n}` is a "special
# character" to BibTeX.
_UNBRACED_SPECIAL = re.compile(
    r"""\\(?:[`'^"~=.]|[uvHckrdbtGhfU](?![A-Za-z]))\s*(?:\{[^{}]*\}|\\[A-Za-z]+|\\.|[^\s{}\\])
      |\\(?:ss|SS|o|O|aa|AA|ae|AE|oe|OE|l|L|i|j|dh|DH|th|TH|ng|NG|dj|DJ|ij|IJ)(?![A-Za-z])
       (?:\{\}|[ \t]+(?=[A-Za-z]))?""",
    re.X,
)
# Hyphens that join parts of a first name ("Jean-Pierre" -> "J.-P."), ASCII and Unicode.
_HYPHENS = "-\u2010\u2011"
_HYPHEN_SPLIT = re.compile(r"([-\u2010\u2011])")
_DOT_JOIN = re.compile(r"\.(?=[^\s\-\u2010\u2011])")


_AND_OR_BRACE = re.compile(r"[{}]|\s+and\s+", re.IGNORECASE)


def _split_and(value: str) -> list[str]:
    """Names separated by " and " at brace level 0 (BibTeX's rule); braces protect."""
    names: list[str] = []
    depth = 0
    start = 0
    for m in _AND_OR_BRACE.finditer(value):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            names.append(value[start : m.start()])
            start = m.end()
    names.append(value[start:])
    return [n.strip() for n in names if n.strip()]


def protect_specials(name: str) -> str:
    """Brace the unbraced accents and special letters at brace level 0."""
    if "\\" not in name:
        return name
    out: list[str] = []
    depth = 0
    i = 0
    n = len(name)
    while i < n:
        ch = name[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "\\" and depth == 0:
            m = _UNBRACED_SPECIAL.match(name, i)
            if m:
                out.append("{" + m.group().rstrip() + "}")
                i = m.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _initial(piece: str) -> str:
    """BibTeX's abbreviation of one name token: its first letter, or a whole
    "special character" group (`{\\relax Ch}ristopher` -> "Ch", `{\\"O}` -> "Ö")."""
    if piece.startswith("{\\"):
        depth = 0
        for i, ch in enumerate(piece):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return decode(piece[: i + 1])
        return decode(piece)[:1]
    text = decode(piece)
    for ch in text:
        if ch.isalnum():
            return ch
    return ""


def initials(first_tokens: list[str]) -> str:
    """ "J.-P. K." from the raw first-name tokens, as BibTeX's ``{f.}`` makes it."""
    words: list[str] = []
    for token in first_tokens:
        if "." in token and "{" not in token:
            # written abbreviated: "J.P." is two initials, "Md." is M. as in BibTeX
            token = _DOT_JOIN.sub(". ", token).replace(".", "")
            words.extend(initials(token.split()).split())
            continue
        pieces = _HYPHEN_SPLIT.split(token)
        out: list[str] = []
        for piece in pieces:
            if piece in _HYPHENS:
                out.append(piece)
            elif piece:
                letter = _initial(piece)
                if letter:
                    out.append(letter + ".")
        word = "".join(out).strip(_HYPHENS)
        if word:
            words.append(word)
    return " ".join(words)


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
    """One name -> (Author, problem or None). Authors are immutable, so one written the
    same way in many entries is one object (long lists repeat the same people)."""
    name, marks = split_marks(raw.strip().rstrip(",").strip())
    if name.lower() == "others":
        return Author("", "", "", "", marks, False, True, ""), None
    if _is_corporate(name):
        return Author("", "", decode(name[1:-1]), "", marks, True, False, ""), None
    extended = _extended(name)
    if extended is not None:
        return Author(
            decode(extended.get("given", "")),
            decode(extended.get("prefix", "")),
            decode(extended.get("family", "")),
            decode(extended.get("suffix", "")),
            marks,
            False,
            False,
            initials(extended.get("given", "").split()),
        ), None
    problem = None
    name = protect_specials(name)
    try:
        parts = parse_single_name_into_parts(name, strict=True)
    except InvalidNameError as exc:
        return Author("", "", decode(name), "", marks, False, False, ""), (
            f"name '{name}' cannot be split into first and last name "
            f"({getattr(exc, 'reason', None) or exc}); kept as written"
        )
    except Exception as exc:  # a bug or an odd name in the splitter must not drop the entry
        return Author("", "", decode(name), "", marks, False, False, ""), (
            f"name '{name}' cannot be split ({exc}); kept as written"
        )
    first = decode(" ".join(parts.first))
    von = decode(" ".join(parts.von))
    last = decode(" ".join(parts.last))
    jr = decode(" ".join(parts.jr))
    if not last and not first:
        return Author("", "", decode(name), "", marks, False, False, ""), problem
    if not last:
        return Author("", von, first, jr, marks, False, False, ""), problem
    return Author(first, von, last, jr, marks, False, False, initials(parts.first)), problem


def parse_names(value: str) -> tuple[list[Author], list[str]]:
    """An ``author``/``editor`` value -> Authors, and one message per name kept unsplit."""
    authors: list[Author] = []
    problems: list[str] = []
    try:
        if "{" in value or "}" in value:
            names = _split_and(value)
        else:  # no braces to protect an "and": a plain split is the same, and faster
            names = [n for n in _AND.split(value.strip()) if n]
    except Exception as exc:  # pragma: no cover - defensive: never lose the entry
        return [Author(last=decode(value))], [f"names cannot be separated ({exc})"]
    for raw in names:
        if not raw.strip(" ,"):
            continue
        author, problem = parse_name(raw)
        authors.append(author)
        if problem:
            problems.append(problem)
    return authors, problems
