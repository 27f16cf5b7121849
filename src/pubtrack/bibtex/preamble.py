"""Macros a bibliography defines in its own ``@preamble``.

BibTeX copies ``@preamble`` into the document, so a bib may define the
commands its fields use: DBLP exports write
``@preamble{"\\providerobustcmd*{\\addat}{@}"}``, others
``\\newcommand{\\ourmethod}{OurNet}`` or ``\\def\\TB{TUGboat}``. Definitions
without parameters are read here and expanded in the displayed fields before
LaTeX decoding, so they show as the document would print them and are not
reported as unknown commands. Definitions with parameters are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_DEFINE = re.compile(
    r"\\(?:(?:new|renew|provide)command|providerobustcmd|DeclareRobustCommand)\*?\s*"
    r"(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))\s*(\[\s*\d\s*\])?\s*(?:\[[^\]]*\]\s*)?\{"
    r"|\\(?:g|e|x)?def\s*\\([A-Za-z]+)\s*(#)?[^{]{0,20}\{"
)
_MAX_BODY = 2000


def _group(text: str, start: int) -> tuple[str, int] | None:
    """The text of the {group} whose `{` is at ``start - 1``, and the index after it."""
    depth = 1
    i = start
    n = min(len(text), start + _MAX_BODY)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i], i + 1
        i += 1
    return None


def definitions(preamble: str) -> dict[str, str]:
    """Parameterless macros defined in a preamble's text: name -> body."""
    found: dict[str, str] = {}
    pos = 0
    while True:
        m = _DEFINE.search(preamble, pos)
        if m is None:
            return found
        body = _group(preamble, m.end())
        if body is None:
            return found
        pos = body[1]
        name = m.group(1) or m.group(2) or m.group(4)
        takes_arguments = bool(m.group(3) or m.group(5))
        if name and not takes_arguments:
            found[name] = body[0]


def expander(macros: dict[str, str]) -> Callable[[str], str]:
    """A function replacing each defined ``\\name`` by ``{body}`` (bounded, no loops)."""
    pattern = re.compile(
        r"\\("
        + "|".join(sorted(map(re.escape, macros), key=len, reverse=True))
        + r")(?![A-Za-z])([ \t\n]*)"
    )

    def replace(m: re.Match[str]) -> str:
        body = macros[m.group(1)]
        # TeX eats the space after a command name; a word-like body keeps words apart
        # (`\ournet is` -> "OurNet is", `TyDe\addat ICFP` -> "TyDe@ICFP")
        space = " " if m.group(2) and len(body) > 1 and body[-1:].isalnum() else ""
        return "{" + body + "}" + space

    def expand(value: str) -> str:
        limit = 10 * len(value) + 10_000
        for _ in range(4):  # bodies may use other macros; a self-reference stops here
            if "\\" not in value:
                return value
            new = pattern.sub(replace, value)
            if new == value or len(new) > limit:
                return value
            value = new
        return value

    return expand
