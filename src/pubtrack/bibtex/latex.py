"""LaTeX to Unicode for displayed BibTeX fields (titles, venues, names, ...).

Why not pylatexenc / bibtexparser's LatexDecodingMiddleware: on a real
bibliography that route costs ~20x the parse itself, turns ``{\\TeX}`` into an
empty string and has no notion of emphasis. This is a small single-pass
tokenizer with the subset of LaTeX that bibliographies use; values with
nothing to decode are returned at once, and decoded values are memoised.

Rules (tables in latex_tables.py): accents in every spelling (``{\\"u}``,
``\\"{u}``, ``\\~a``, ``\\'\\i``, ``\\c c``) on any letter (combining mark + NFC),
special letters (``\\ss``, ``\\o``, ``\\aa``, ``\\l``), the LaTeX2e text symbols
(base + textcomp), ``--``/``---``, TeX quotes, ``~`` (no-break space), escaped
specials, the AAS/ADS journal macros (``\\apj`` -> the journal's name),
protective braces removed, ``\\emph``/``\\textit``/``\\textsl``/``{\\em ..}`` -> EM
markers and ``\\textbf``/``{\\bf ..}`` -> STRONG markers (see models.py), math
kept readable (``$\\alpha = 1$`` -> ``α = 1``, ``$11^{th}$`` -> ``11th``,
``$^{13}$C`` -> ``¹³C``), HTML markup of exported titles (``<i>``, ``<sub>``).
An unknown command is kept as text (its argument, else its name) and named
by ``unknown_commands`` so that ``pubtrack check`` can report it.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from pubtrack.bibtex import latex_tables as T
from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN

# Anything worth decoding; values without any of these skip the tokenizer.
_NEEDS = re.compile(r"[\\{}~$]|--|``|''|<<|>>|[!?]`|<[A-Za-z/]|&#?\w+;")
_NEEDS_BEYOND_DASHES = re.compile(r"[\\{}~$]|``|''|<<|>>|[!?]`|<[A-Za-z/]|&#?\w+;")
_SPACES = re.compile(r"[ \t\n\r]+")

_TOKEN = re.compile(
    r"""
    \\(?P<word>[A-Za-z]+)\*?(?P<sp>[ \t\n]*)  # control word; eats the spaces after it
  | \\(?P<sym>.)                               # control symbol: \' \" \& \\ ...
  | (?P<open>\{) | (?P<close>\}) | (?P<math>\$\$?)
  | (?P<lig>---|--|``|''|<<|>>|!`|\?`|~)
  | (?P<script>[\^_])
  | (?P<text>[^\\{}$~\-`'<>!?^_]+|.)
    """,
    re.S | re.X,
)

_ACCENTS = T.ACCENTS
_SPACING_ACCENTS = T.SPACING_ACCENTS
_SYMBOLS = {
    # textgreek's \textalpha and upgreek's \upalpha: upright Greek letters
    **{f"text{k}": v for k, v in T.GREEK.items() if not k.startswith("var")},
    **{f"up{k}": v for k, v in T.GREEK.items() if not k.startswith("var")},
    **T.MATH_SYMBOLS,
    **T.GREEK,
    **T.JOURNALS,
    **T.TEXT_SYMBOLS,
    **T.LOGOS,
    **T.LETTERS,
}
_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    "\n": " ",
    "\t": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "\\": " ",
    "|": "‖",
    "*": "",
    ">": " ",
    "(": "(",
    ")": ")",
    "[": "[",
    "]": "]",
}
_EMPH = {"emph", "textit", "textsl", "mkbibemph", "mkbibitalic", "textem", "mathit"}
_STRONG = {"textbf", "mkbibbold"}
_DECL_EM = {"em", "it", "itshape", "sl", "slshape"}
_DECL_STRONG = {"bf", "bfseries"}
_QUOTE = {"mkbibquote", "enquote", "mkbibquotes", "textquote"}
# Commands whose argument is shown as it is (font, box and case-protection
# commands, math alphabets, acronyms).
_CONTENT = {
    "textrm",
    "textsf",
    "texttt",
    "textsc",
    "textup",
    "textmd",
    "textnormal",
    "textlatin",
    "mbox",
    "hbox",
    "fbox",
    "makebox",
    "framebox",
    "text",
    "mathrm",
    "mathbf",
    "mathsf",
    "mathtt",
    "mathcal",
    "mathscr",
    "mathfrak",
    "mathnormal",
    "mathbfit",
    "boldsymbol",
    "bm",
    "pmb",
    "operatorname",
    "underline",
    "uline",
    "ul",
    "uuline",
    "sout",
    "hl",
    "NoCaseChange",
    "nocase",
    "ensuremath",
    "acro",
    "acs",
    "ac",
    "acl",
    "acf",
    "acrshort",
    "acrlong",
    "gls",
    "mkbibacro",
    "num",
    "si",
    "unit",
    "chemfig",
    "proglang",  # Journal of Statistical Software: \proglang{R}, \pkg{ggplot2}
    "pkg",
    "code",
    "file",
    "species",
    "gene",
    "taxon",
    "llap",
    "rlap",
    "clap",
    "smash",
    "mathllap",
    "mathrlap",
    "mathclap",
    "section",
    "subsection",
    "subsubsection",
    "paragraph",
    "subparagraph",
    "chapter",
    "part",
    "caption",
    "ce",
}
# Commands whose argument is never shown (sorting hacks, labels, spacing).
_DROP_ARG = {
    "noopsort",
    "SortNoop",
    "sortnoop",
    "noop",
    "nosort",
    "label",
    "index",
    "hspace",
    "vspace",
    "cite",
    "citep",
    "citet",
    "citealp",
    "citealt",
    "citeauthor",
    "citeyear",
    "parencite",
    "textcite",
    "autocite",
    "footcite",
    "nocite",
    "phantom",
    "hphantom",
    "vphantom",
    "raisebox",
    "ref",
    "eqref",
    "pageref",
    "footnote",
    "thanks",
    "color",
    "selectlanguage",
    "hyphenation",
    "includegraphics",
    "bibitem",
    "orcidlink",
    "orcid",
    "typeout",
    "pagecolor",
}
# Two arguments, the first is a setting: \textcolor{red}{text}, \foreignlanguage{..}{..}.
_SECOND_ARG = {"textcolor", "foreignlanguage", "colorbox", "foreign"}
# Arguments taken verbatim (never decoded): URLs and code.
_VERBATIM = {"url", "nolinkurl", "path", "verb", "doi"}
_UPPER = {"uppercase", "MakeUppercase", "MakeTextUppercase", "textuppercase"}
_LOWER = {"lowercase", "MakeLowercase", "MakeTextLowercase", "textlowercase"}
_FRACTIONS = {"frac", "tfrac", "dfrac", "cfrac", "case", "nicefrac", "sfrac", "xfrac"}
_SPECIAL = {
    "href",
    "texorpdfstring",
    "mathbb",
    "binom",
    "stackrel",
    "overset",
    "underset",
    "ion",
    "SI",
    "qty",
    "raise",
    "lower",
    "kern",
    "mkern",
    "moveleft",
    "moveright",
    "hskip",
    "vskip",
    "char",
    "not",
    "sqrt",
    "item",
    "nth",
}
_DIMEN = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)\s*(?:ex|em|pt|mm|cm|in|bp|sp|pc|dd|cc|mu) ?")
_CHAR_CODE = re.compile(r"(?:\d+|'[0-7]+|\"[0-9A-Fa-f]+) ?")
_ENVIRONMENT = {"begin", "end"}
_COMMAND_WORD = re.compile(r"\\([A-Za-z]+)")
_SCRIPT_WORDS = {"textsuperscript", "textsubscript", "sp", "sb"}
# Every command the decoder knows; anything else is kept as text and reported.
KNOWN = frozenset(
    set(_SYMBOLS)
    | set(_ACCENTS)
    | _EMPH
    | _STRONG
    | _DECL_EM
    | _DECL_STRONG
    | T.DECLARATIONS
    | _QUOTE
    | _CONTENT
    | _DROP_ARG
    | _SECOND_ARG
    | _VERBATIM
    | _UPPER
    | _LOWER
    | _FRACTIONS
    | _SPECIAL
    | _SCRIPT_WORDS
    | _ENVIRONMENT
)

_SUPERSCRIPTS = str.maketrans("0123456789+-−=()nip", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵖ")
_SUBSCRIPTS = str.maketrans("0123456789+-−=()aeoxijklmnprstuv", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₒₓᵢⱼₖₗₘₙₚᵣₛₜᵤᵥ")
_SUP_OK = set("0123456789+-−=()nip")
_SUB_OK = set("0123456789+-−=()aeoxijklmnprstuv")


class _Decoder:
    """One pass over the tokens of one value."""

    __slots__ = ("toks", "i", "n", "unknown", "before_math")

    def __init__(self, text: str) -> None:
        toks: list[tuple[str, str, str]] = []
        for m in _TOKEN.finditer(text):
            word = m.group("word")
            if word is not None:
                toks.append(("word", word, m.group(0)))
            else:
                kind = m.lastgroup or "text"
                toks.append((kind, m.group(kind), m.group(0)))
        self.toks = toks
        self.i = 0
        self.n = len(self.toks)
        self.unknown: list[str] = []
        self.before_math = ""  # the character before the current `$`: `1$^{st}$`

    # -- helpers ------------------------------------------------------------
    def _skip_spaces(self) -> None:
        while self.i < self.n:
            kind, value, _ = self.toks[self.i]
            if kind == "text" and not value.strip():
                self.i += 1
            else:
                return

    def _arg(self, math: bool) -> str:
        """One macro argument: a {group}, a control sequence, or one character."""
        self._skip_spaces()
        if self.i >= self.n:
            return ""
        kind, value, raw = self.toks[self.i]
        if kind == "close":
            return ""  # `\"}`: an accent with nothing to put it on
        if kind == "open":
            self.i += 1
            return self.parse(math, "}")
        if kind in ("word", "sym"):
            self.i += 1
            text = self._command(kind, value, math, None)[0]
            if math and kind == "word" and raw[-1] in " \t\n" and text:
                # `$\nu_\mu \to x$`: the space the command's name ate stays in math
                self.toks.insert(self.i, ("text", " ", " "))
                self.n += 1
            return text
        if kind == "text":
            value = value.lstrip()  # `\~ Z`: TeX skips spaces before an argument
            if len(value) > 1:
                self.toks[self.i] = ("text", value[1:], value[1:])
            else:
                self.i += 1
            return value[:1]
        self.i += 1
        if kind == "lig" and not math:
            return _LIGATURES.get(value, "\u00a0")
        return value

    def _raw_arg(self) -> str:
        """The next {group} (or |delimited| text) undecoded: URLs, \\path, \\verb."""
        self._skip_spaces()
        if self.i >= self.n:
            return ""
        kind, value, raw = self.toks[self.i]
        out: list[str] = []
        if kind == "open":
            self.i += 1
            depth = 1
            while self.i < self.n:
                kind, value, raw = self.toks[self.i]
                self.i += 1
                if kind == "open":
                    depth += 1
                elif kind == "close":
                    depth -= 1
                    if depth == 0:
                        break
                out.append(raw)
            return "".join(out)
        # \path|...| : the first character is the delimiter
        delim = raw[0]
        rest = raw[1:]
        self.i += 1
        if delim in rest:
            before, _, after = rest.partition(delim)
            if after:
                self.i -= 1
                self.toks[self.i] = ("text", after, after)
            return before
        out.append(rest)
        while self.i < self.n:
            kind, value, raw = self.toks[self.i]
            self.i += 1
            if delim in raw:
                before, _, after = raw.partition(delim)
                out.append(before)
                if after:
                    self.i -= 1
                    self.toks[self.i] = ("text", after, after)
                break
            out.append(raw)
        return "".join(out)

    # -- main loop ----------------------------------------------------------
    def parse(self, math: bool, stop: str | None) -> str:
        """Decode tokens until `stop` ("}" or "$" or "\\)") is consumed, or the end."""
        out: list[str] = []
        while self.i < self.n:
            kind, value, raw = self.toks[self.i]
            self.i += 1
            if kind == "text":
                if value == "\\":
                    continue  # a lone backslash at the end (`L.\\ Thiele` split as a name)
                out.append("−" if math and value == "-" else value)  # a math minus
            elif kind == "open":
                out.append(self.parse(math, "}"))
            elif kind == "close":
                if stop == "}":
                    return "".join(out)
                # a stray closing brace: dropped
            elif kind == "math":
                if math and stop in ("$", "$$"):
                    return "".join(out)
                if math:
                    continue
                self.before_math = out[-1][-1:] if out else ""
                out.append(self.parse(True, value).strip())
            elif kind == "lig":
                if value == "~":
                    out.append("\u00a0" if not math else " ")
                elif math:
                    out.append(value)
                else:
                    out.append(_LIGATURES[value])
            elif kind == "script":
                if not math:
                    out.append(value)
                    continue
                before = out[-1][-1:] if out else self.before_math
                out.append(_script(value, self._arg(math), before))
            else:  # word / sym
                if kind == "sym" and value in ")]" and stop == "\\" + value:
                    return "".join(out)
                if (
                    kind == "word"
                    and stop == "}"
                    and not out
                    and value not in KNOWN
                    and value.islower()
                    and self.i < self.n
                    and self.toks[self.i][0] not in ("open", "close")
                ):
                    # `{\ssf babel}`: an unknown switch at the start of a group
                    # followed by text is a font declaration: reported, not shown.
                    self.unknown.append(value)
                    continue
                start = self.i
                if value in _SCRIPT_WORDS and kind == "word":
                    before = out[-1][-1:] if out else ""
                    which = "^" if value in ("textsuperscript", "sp") else "_"
                    arg = self._arg(math)
                    text = _script(which, arg, before)
                    if not math and text[:1] == which:
                        text = arg.strip()  # text mode: `Q\textsuperscript{TM}` reads QTM
                    out.append(text)
                    continue
                text, rest_of_group = self._command(kind, value, math, stop)
                if math and len(text) > 1 and out and out[-1][-1:].isalnum() and text.isalpha():
                    out.append(" ")  # `\log\log n`: operator names stay apart
                out.append(text)
                if kind == "word" and raw[-1] in " \t\n" and text and self.i == start:
                    if math:
                        if self._math_space_after(text):
                            out.append(" ")  # `$\alpha = 1$`: the source's spacing stays
                    elif len(text) > 1 and text[0].isalnum() and text[-1].isalnum():
                        out.append(" ")  # `\LaTeX is`, `\apj 500`: words stay apart
                if rest_of_group:
                    return "".join(out)
        return "".join(out)

    def _command(
        self, kind: str | None, name: str, math: bool, stop: str | None
    ) -> tuple[str, bool]:
        """Decode one command; the flag says it consumed the rest of the group."""
        if kind == "sym":
            if name in _ACCENTS and not math:
                return _accent(name, self._arg(math)), False
            if name == "(":
                return self.parse(True, "\\)"), False
            if name == "[":
                return self.parse(True, "\\]"), False
            return _CONTROL_SYMBOLS.get(name, name), False
        text = _SYMBOLS.get(name)
        if text is not None:
            return text, False
        if name in _ACCENTS:
            return _accent(name, self._arg(math)), False
        if name in _EMPH:
            return _wrap(EM_OPEN, self._arg(math), EM_CLOSE, math), False
        if name in _STRONG:
            return _wrap(STRONG_OPEN, self._arg(math), STRONG_CLOSE, math), False
        if name in _CONTENT:
            self._skip_optional()
            return self._arg(math), False
        if name in _DECL_EM or name in _DECL_STRONG:
            rest = self.parse(math, stop)
            if name in _DECL_EM:
                return _wrap(EM_OPEN, rest, EM_CLOSE, math), True
            return _wrap(STRONG_OPEN, rest, STRONG_CLOSE, math), True
        if name in T.DECLARATIONS:
            return "", False
        if name in _QUOTE:
            return f"“{self._arg(math)}”", False
        if name in _VERBATIM:
            return _unescape_url(self._raw_arg()), False
        if name in _DROP_ARG:
            self._skip_optional()
            self._arg(math)
            return "", False
        if name in _SECOND_ARG:
            self._skip_optional()
            self._arg(math)
            return self._arg(math), False
        if name in _ENVIRONMENT:
            # \begin{itemize}, \end{quote}: the markers go, the content stays
            self._arg(math)
            self._skip_optional()
            return " ", False
        if name in _FRACTIONS:
            num = self._arg(math)
            den = self._arg(math)
            return f"{_paren(num)}/{_paren(den)}", False
        if name in _UPPER:
            return self._arg(math).upper(), False
        if name in _LOWER:
            return self._arg(math).lower(), False
        if name in _SCRIPT_WORDS:  # as an argument: `\'\textsuperscript...`, rare
            which = "^" if name in ("textsuperscript", "sp") else "_"
            return _script(which, self._arg(math), ""), False
        if name in _SPECIAL:
            return self._special(name, math), False
        # Unknown: kept as readable text (its argument, else its name) and reported.
        self.unknown.append(name)
        if self._next_is("open"):
            arg = self._arg(math)
            if arg.strip():
                return arg, False
        return name, False

    def _math_space_after(self, text: str) -> bool:
        """Keep the space after a math command? Yes before an operand or operator
        (`\\alpha = 1`, `n \\times n`), no before brackets and punctuation
        (`\\Omega (n)`) or between two letters (`\\alpha \\beta`, TeX sets αβ)."""
        if self.i >= self.n:
            return False
        kind, value, _ = self.toks[self.i]
        if kind == "text":
            first = value.lstrip()[:1]
            return bool(first) and first not in "([{)]}.,;!?'"
        if kind == "lig":
            return True
        if kind == "word":
            if not text[-1:].isalpha():
                return True
            following = _SYMBOLS.get(value)
            return following is not None and not following[-1:].isalnum()
        return False

    def _skip_dimen(self) -> None:
        """`\\raise.5ex`, `\\kern-.1em`: a TeX dimension after the command, not text."""
        j = self.i
        text = ""
        while j < self.n and self.toks[j][0] == "text" and len(text) < 12:
            text += self.toks[j][1]
            j += 1
            m = _DIMEN.match(text)
            if m:
                rest = text[m.end() :]
                self.i = j
                if rest:
                    self.i -= 1
                    self.toks[self.i] = ("text", rest, rest)
                return

    def _char(self) -> str:
        """`\\char`\\x`, `\\char92`, `\\char'134`, `\\char"5C`: the character."""
        if self.i >= self.n:
            return ""
        kind, value, raw = self.toks[self.i]
        if kind != "text":
            return ""
        if value == "'" and self.i + 1 < self.n and self.toks[self.i + 1][0] == "text":
            self.i += 1
            kind, value, raw = self.toks[self.i]
            value = "'" + value
        m = _CHAR_CODE.match(value)
        if m:
            self.i += 1
            if m.end() < len(value):
                self.i -= 1
                self.toks[self.i] = ("text", value[m.end() :], value[m.end() :])
            code = m.group().rstrip()
            try:
                if code[0] == "'":
                    return chr(int(code[1:], 8))
                if code[0] == '"':
                    return chr(int(code[1:], 16))
                return chr(int(code))
            except (ValueError, OverflowError):
                return ""
        if value == "`" and self.i + 1 < self.n:
            self.i += 1
            kind, value, raw = self.toks[self.i]
            self.i += 1
            if kind == "sym" or kind == "word":
                return value[:1] if kind == "sym" else ""
            if len(value) > 1:
                self.i -= 1
                self.toks[self.i] = (kind, value[1:], value[1:])
            return value[:1]
        return ""

    def _skip_optional(self) -> str:
        """An optional `[...]` argument right after a command (`\\cite[p.~5]{k}`)."""
        if self.i >= self.n:
            return ""
        kind, value, _ = self.toks[self.i]
        if kind != "text" or not value.startswith("["):
            return ""
        depth = 0
        j = self.i
        collected: list[str] = []
        while j < self.n:
            kind, value, raw = self.toks[j]
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
                if depth < 0:
                    return ""
            elif kind == "text" and depth == 0 and "]" in value:
                before, _, after = value.partition("]")
                collected.append(before)
                self.i = j + 1
                if after:
                    self.i = j
                    self.toks[j] = ("text", after, after)
                return "".join(collected)[1:]
            collected.append(raw)
            j += 1
        return ""

    def _special(self, name: str, math: bool) -> str:
        if name in ("raise", "lower", "kern", "moveleft", "moveright", "mkern", "hskip", "vskip"):
            self._skip_dimen()
            return ""
        if name == "char":
            return self._char()
        if name == "sqrt":  # \sqrt{x}, \sqrt[3]{x}
            root = self._skip_optional().strip()
            return {"3": "∛", "4": "∜"}.get(root, "√") + self._arg(math)
        if name == "nth":  # nth package: \nth{3} -> 3rd
            number = self._arg(math).strip()
            return number + _ordinal_suffix(number)
        if name == "item":
            label = self._skip_optional()
            return f" {label} " if label else " • "
        if name == "not":  # \not\subset -> ⊄, \not= -> ≠ (a combining long solidus)
            negated = self._arg(math)
            if not negated:
                return "/"
            return unicodedata.normalize("NFC", negated[0] + "\u0338") + negated[1:]
        if name == "href":
            self._raw_arg()
            return self._arg(math)
        if name == "texorpdfstring":
            first = self._arg(math)
            self._arg(math)
            return first
        if name == "mathbb":
            return "".join(T.BLACKBOARD.get(c, c) for c in self._arg(math))
        if name == "ion":  # AASTeX \ion{C}{iv}: element and ionisation stage
            element = self._arg(math)
            return f"{element} {self._arg(math).upper()}"
        if name in ("SI", "qty"):  # siunitx: number and unit
            number = self._arg(math)
            return f"{number} {self._arg(math)}"
        if name == "binom":
            top = self._arg(math)
            return f"({top} choose {self._arg(math)})"
        # \stackrel{over}{base}, \overset{over}{base}, \underset{under}{base}
        self._arg(math)
        return self._arg(math)

    def _next_is(self, kind: str, value: str | None = None) -> bool:
        if self.i >= self.n:
            return False
        tok = self.toks[self.i]
        if tok[0] != kind:
            return False
        return value is None or tok[1].startswith(value)


_LIGATURES = {
    "---": "—",
    "--": "–",
    "``": "“",
    "''": "”",
    "<<": "«",
    ">>": "»",
    "!`": "¡",
    "?`": "¿",
}


def _wrap(opening: str, text: str, closing: str, math: bool = False) -> str:
    return f"{opening}{text}{closing}" if text.strip() and not math else text


def _paren(text: str) -> str:
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


def _accent(name: str, arg: str) -> str:
    """The accent as a combining mark on the first character of `arg`, composed (NFC)."""
    if not arg:
        return _SPACING_ACCENTS.get(name, "")
    mark = _ACCENTS[name]
    if name in _WIDE_ACCENTS and len(arg) > 1:
        return unicodedata.normalize("NFC", "".join(c + mark for c in arg if not c.isspace()))
    base = arg[0]
    if base == "ı":
        base = "i"
    elif base == "ȷ":
        base = "j"
    return unicodedata.normalize("NFC", base + mark) + arg[1:]


# Accents that span their whole argument (`\overline{MS}` -> M̅S̅).
_WIDE_ACCENTS = {"overline", "widehat", "widetilde"}


_ORDINALS = {"st", "nd", "rd", "th", "er", "re", "e", "ème", "eme", "ième", "ieme", "nde", "d"}


def _ordinal_suffix(number: str) -> str:
    """English ordinal suffix of a number written in digits ("" for anything else)."""
    if not number.isdigit():
        return ""
    if number[-2:] in ("11", "12", "13"):
        return "th"
    return {"1": "st", "2": "nd", "3": "rd"}.get(number[-1], "th")


def _script(which: str, arg: str, before: str) -> str:
    """`^`/`_` with its argument: Unicode super/subscripts where they exist, else
    readable text (`11^{th}` -> `11th`, `M_\\odot` -> `M⊙`, `x^{ab}` -> `x^(ab)`)."""
    arg = arg.strip()
    if not arg:
        return ""
    if which == "^":
        if set(arg) <= _SUP_OK:
            return arg.translate(_SUPERSCRIPTS)
        if arg == "∘" or (arg == "o" and before.isdigit()):
            return "°"  # 90^\circ, 25$^o$C
        if before.isdigit() and arg.lower() in _ORDINALS:
            return arg  # ordinals: 11^{th}, 2^{nd}, 1^{er}
    elif set(arg) <= _SUB_OK:
        return arg.translate(_SUBSCRIPTS)
    if not any(c.isalnum() for c in arg):
        return arg  # signs: ^\dagger, ^{*}, ^\prime, _\odot
    return f"{which}{arg}" if len(arg) == 1 else f"{which}({arg})"


def _unescape_url(text: str) -> str:
    return text.replace("\\_", "_").replace("\\%", "%").replace("\\&", "&").replace("\\#", "#")


@lru_cache(maxsize=1 << 16)
def _decode(text: str) -> tuple[str, tuple[str, ...]]:
    """(Unicode with emphasis markers, names of the unknown commands met)."""
    if not text:
        return "", ()
    if not _NEEDS.search(text):
        if "  " in text or "\n" in text or "\t" in text:
            return _SPACES.sub(" ", text).strip(), ()
        return text.strip(), ()
    unknown: tuple[str, ...] = ()
    if not _NEEDS_BEYOND_DASHES.search(text):
        # Only dashes to set ("12--21" pages, "Cross--Domain"): what the decoder gives.
        result = text.replace("---", "\u2014").replace("--", "\u2013")
    else:
        decoder = _Decoder(text)
        try:
            result = decoder.parse(False, None)
        except RecursionError:  # thousands of nested groups or accents: hostile input
            result = _flatten(text)
        unknown = tuple(dict.fromkeys(decoder.unknown))
    result = _SPACES.sub(" ", result).strip()
    for a, b in ((EM_OPEN, EM_CLOSE), (STRONG_OPEN, STRONG_CLOSE)):
        result = result.replace(a + b, "")
    if "&" in result and ";" in result:
        result = _HTML_ENTITY.sub(lambda m: html.unescape(m.group()), result)
    if "<" in result and ">" in result:
        result = _html_markup(result)
    if not result.isascii():
        result = unicodedata.normalize("NFC", result)
    return result, unknown


# `&amp;`, `&#233;` left in titles by web exports (a LaTeX `&` is never followed by `name;`)
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#[0-9]{2,7}|#[xX][0-9a-fA-F]{2,6});")
_HTML_ATTRS = r"""(?:\s+[\w-]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s<>]+))*\s*"""
_HTML_TAG = re.compile(r"</?(?:i|em|b|strong|sub|sup|sc|span|u|tt|code)" + _HTML_ATTRS + ">")
_HTML_STYLE = re.compile(r"<(i|em|b|strong)" + _HTML_ATTRS + r">(.*?)</\1\s*>")
_HTML_SCRIPT = re.compile(r"<(sub|sup)>([^<>]{0,50})</\1>")
_HTML_DROP = re.compile(r"</?(?:sc|span|u|tt|code)" + _HTML_ATTRS + ">")


def _html_markup(text: str) -> str:
    """Titles from PubMed/Zotero/Mendeley carry HTML (`<i>E. coli</i>`, often
    written `{\\textless}i{\\textgreater}`): paired italics and bold become the
    emphasis markers, sub/superscripts Unicode where possible, spans go."""
    if not _HTML_TAG.search(text):
        return text
    text = _HTML_SCRIPT.sub(
        lambda m: _script(
            "^" if m.group(1) == "sup" else "_", m.group(2), text[m.start() - 1 : m.start()]
        ),
        text,
    )
    text = _HTML_STYLE.sub(
        lambda m: (
            _wrap(EM_OPEN, m.group(2), EM_CLOSE)
            if m.group(1) in ("i", "em")
            else _wrap(STRONG_OPEN, m.group(2), STRONG_CLOSE)
        ),
        text,
    )
    return _HTML_DROP.sub("", text)


def decode(text: str) -> str:
    """Unicode (with emphasis markers) for a LaTeX-laden BibTeX value."""
    return _decode(text)[0]


def unknown_commands(text: str) -> tuple[str, ...]:
    """The commands in `text` that decode() does not know (kept as text), in order."""
    if "\\" not in text:
        return ()
    for name in _COMMAND_WORD.findall(text):
        if name not in KNOWN:
            return _decode(text)[1]
    return ()  # every command is known: no need to decode


decode.cache_clear = _decode.cache_clear  # type: ignore[attr-defined]


_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)")


def _flatten(text: str) -> str:
    """Plain text for a value too deeply nested to decode: commands and braces dropped."""
    return _COMMAND.sub("", text).replace("{", "").replace("}", "")


def unescape_url(text: str) -> str:
    """A URL as written in a .bib: ``\\_``, ``\\%``, ``\\&``, ``\\#`` unescaped, braces gone."""
    if "\\" in text:
        text = _unescape_url(text)
    if "{" in text or "}" in text:
        text = text.replace("{", "").replace("}", "")
    text = text.strip()
    if " " in text or "\n" in text:
        # `url = {http://a.pdf; http://b.pdf}` (several URLs): the first one
        text = text.split()[0].rstrip(";,")
    return text
