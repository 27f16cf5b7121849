"""LaTeX to Unicode for displayed BibTeX fields (titles, venues, names, ...).

Why not pylatexenc / bibtexparser's LatexDecodingMiddleware: on a real
bibliography that route costs ~20x the parse itself, turns ``{\\TeX}`` into an
empty string and has no notion of emphasis. This is a small single-pass
tokenizer with the subset of LaTeX that bibliographies use; values with
nothing to decode are returned at once, and decoded values are memoised.

Rules: accents in every spelling (``{\\"u}``, ``\\"{u}``, ``\\'\\i``, ``\\c c``),
special letters (``\\ss``, ``\\o``, ``\\aa``, ``\\l``), ``--``/``---``, TeX
quotes, ``~`` (no-break space), escaped specials, protective braces removed,
``\\emph``/``\\textit``/``\\textsl``/``{\\em ..}`` -> EM markers and
``\\textbf``/``{\\bf ..}`` -> STRONG markers (see models.py), math kept readable
(``$\\alpha^{2}$`` -> ``α²``). Unknown commands are dropped and their
argument text kept.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN

# Anything worth decoding; values without any of these skip the tokenizer.
_NEEDS = re.compile(r"[\\{}~$]|--|``|''|<<|>>")
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

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
    "t": "\u0361",
    # math accents
    "hat": "\u0302",
    "tilde": "\u0303",
    "bar": "\u0304",
    "vec": "\u20d7",
    "dot": "\u0307",
    "ddot": "\u0308",
    "acute": "\u0301",
    "grave": "\u0300",
    "breve": "\u0306",
    "check": "\u030c",
    "widehat": "\u0302",
    "widetilde": "\u0303",
    "overline": "\u0305",
}
_SPACING_ACCENTS = {"'": "´", "`": "`", "^": "^", '"': "¨", "~": "~", "=": "¯", ".": "˙"}

_SYMBOLS = {
    # letters
    "ss": "ß",
    "SS": "SS",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
    # logos (never empty: pylatexenc turns these into "")
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "ConTeXt": "ConTeXt",
    "AmS": "AMS",
    "AMS": "AMS",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "MP": "MetaPost",
    "eTeX": "ε-TeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "BibLaTeX": "BibLaTeX",
    "biblatex": "biblatex",
    "LyX": "LyX",
    "SliTeX": "SliTeX",
    "PiCTeX": "PiCTeX",
    "plainTeX": "plain TeX",
    "TUB": "TUGboat",
    "TUG": "TUG",
    "tug": "TUG",
    "tub": "TUGboat",
    "OMEGA": "Omega",
    "CTAN": "CTAN",
    "POBox": "P.O. Box",
    "Dash": "—",
    "dash": "—",
    "TB": "TUGboat",
    # punctuation and signs
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "quotedblbase": "„",
    "guillemotleft": "«",
    "guillemotright": "»",
    "guillemetleft": "«",
    "guillemetright": "»",
    "flqq": "«",
    "frqq": "»",
    "glqq": "„",
    "grqq": "“",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textdagger": "†",
    "dag": "†",
    "textdaggerdbl": "‡",
    "ddag": "‡",
    "S": "§",
    "P": "¶",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "pounds": "£",
    "textsterling": "£",
    "euro": "€",
    "texteuro": "€",
    "EUR": "€",
    "textyen": "¥",
    "textdegree": "°",
    "degree": "°",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textunderscore": "_",
    "textexclamdown": "¡",
    "textquestiondown": "¿",
    "textmu": "µ",
    "textonehalf": "½",
    "textperthousand": "‰",
    "textasteriskcentered": "*",
    "slash": "/",
    "space": " ",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "thinspace": " ",
    "newline": " ",
    "par": " ",
    "linebreak": " ",
    "break": " ",
    "nobreakspace": "\u00a0",
    "textvisiblespace": "␣",
    "today": "",
    "relax": "",
    "protect": "",
    "newblock": " ",
    "noindent": "",
    "unskip": "",
    "null": "",
    "hfill": " ",
    "ignorespaces": "",
    "xspace": "",
    "empty": "",
    "ensuremath": "",
    "displaystyle": "",
    "textstyle": "",
    "scriptstyle": "",
    "left": "",
    "right": "",
    "big": "",
    "Big": "",
    "bigl": "",
    "bigr": "",
    # Greek
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "varrho": "ϱ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "ϕ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    # math
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "div": "÷",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "gets": "←",
    "leftrightarrow": "↔",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "emptyset": "∅",
    "varnothing": "∅",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "oint": "∮",
    "partial": "∂",
    "nabla": "∇",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "lnot": "¬",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "oplus": "⊕",
    "otimes": "⊗",
    "circ": "∘",
    "bullet": "•",
    "star": "⋆",
    "ast": "∗",
    "ell": "ℓ",
    "hbar": "ℏ",
    "Re": "ℜ",
    "Im": "ℑ",
    "aleph": "ℵ",
    "prime": "′",
    "mid": "|",
    "vert": "|",
    "Vert": "‖",
    "langle": "⟨",
    "rangle": "⟩",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "cdots": "⋯",
    "vdots": "⋮",
    "ddots": "⋱",
    "colon": ":",
    "lbrace": "{",
    "rbrace": "}",
    "backslash": "\\",
    "top": "⊤",
    "bot": "⊥",
    "perp": "⊥",
    "angle": "∠",
    "sqrt": "√",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "max": "max",
    "min": "min",
    "arg": "arg",
    "det": "det",
    "lim": "lim",
    "sup": "sup",
    "inf": "inf",
    "dim": "dim",
    "ker": "ker",
    "Pr": "Pr",
    "gcd": "gcd",
    "mod": "mod",
    "bmod": "mod",
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
}
_EMPH = {"emph", "textit", "textsl", "mkbibemph", "mkbibitalic", "textem"}
_STRONG = {"textbf", "mkbibbold"}
_DECL_EM = {"em", "it", "itshape", "sl", "slshape"}
_DECL_STRONG = {"bf", "bfseries"}
_QUOTE = {"mkbibquote", "enquote", "mkbibquotes"}
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
    "nocite",
    "phantom",
    "hphantom",
    "vphantom",
    "kern",
    "raisebox",
    "ref",
    "pageref",
}
# Arguments taken verbatim (never decoded): URLs and code.
_VERBATIM = {"url", "nolinkurl", "path", "verb"}
_UPPER = {"uppercase", "MakeUppercase", "MakeTextUppercase"}
_LOWER = {"lowercase", "MakeLowercase", "MakeTextLowercase"}

_SUPERSCRIPTS = str.maketrans("0123456789+-=()nip", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵖ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()aeoxijklmnprstuv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓᵢⱼₖₗₘₙₚᵣₛₜᵤᵥ")
_SUP_OK = set("0123456789+-=()nip")
_SUB_OK = set("0123456789+-=()aeoxijklmnprstuv")


class _Decoder:
    """One pass over the tokens of one value."""

    __slots__ = ("toks", "i", "n")

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
            return self._command(kind, value, math, None)[0]
        if kind == "text":
            value = value.lstrip()  # `\~ Z`: TeX skips spaces before an argument
            if len(value) > 1:
                self.toks[self.i] = ("text", value[1:], value[1:])
            else:
                self.i += 1
            return value[:1]
        self.i += 1
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
                out.append(value)
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
                out.append(self.parse(True, value))
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
                arg = self._arg(math)
                out.append(_script(value, arg))
            else:  # word / sym
                if kind == "sym" and value in ")]" and stop == "\\" + value:
                    return "".join(out)
                text, rest_of_group = self._command(kind, value, math, stop)
                if math and len(text) > 1 and out and out[-1][-1:].isalnum() and text.isalpha():
                    out.append(" ")  # `\log\log n`: operator names stay apart
                out.append(text)
                if len(text) > 1 and raw[-1] in " \t\n" and text.isalpha():
                    out.append(" ")  # `\log n`, `\LaTeX is`: keep words apart
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
        if name in _ACCENTS and (len(name) == 1 or math):
            return _accent(name, self._arg(math)), False
        if name in _EMPH:
            return _wrap(EM_OPEN, self._arg(math), EM_CLOSE), False
        if name in _STRONG:
            return _wrap(STRONG_OPEN, self._arg(math), STRONG_CLOSE), False
        if name in _DECL_EM or name in _DECL_STRONG:
            rest = self.parse(math, stop)
            if name in _DECL_EM:
                return _wrap(EM_OPEN, rest, EM_CLOSE), True
            return _wrap(STRONG_OPEN, rest, STRONG_CLOSE), True
        if name in _SYMBOLS:
            return _SYMBOLS[name], False
        if name in _QUOTE:
            return f"“{self._arg(math)}”", False
        if name in _VERBATIM:
            return _unescape_url(self._raw_arg()), False
        if name in _DROP_ARG:
            self._arg(math)
            return "", False
        if name == "href":
            self._raw_arg()
            return self._arg(math), False
        if name == "frac" or name == "tfrac" or name == "dfrac":
            num = self._arg(math)
            den = self._arg(math)
            return f"{_paren(num)}/{_paren(den)}", False
        if name in _UPPER:
            return self._arg(math).upper(), False
        if name in _LOWER:
            return self._arg(math).lower(), False
        if name == "textsuperscript":
            return _script("^", self._arg(math)), False
        if name == "textsubscript":
            return _script("_", self._arg(math)), False
        # Unknown command: drop its name; a following {group} is decoded as text.
        # Without an argument, a name with capitals is most likely a logo or an
        # acronym macro (`\\ExTeX`, `\\CTAN`): its name reads better than nothing.
        if any(c.isupper() for c in name) and not self._next_is_group():
            return name, False
        return "", False

    def _next_is_group(self) -> bool:
        return self.i < self.n and self.toks[self.i][0] == "open"


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


def _wrap(opening: str, text: str, closing: str) -> str:
    return f"{opening}{text}{closing}" if text.strip() else text


def _paren(text: str) -> str:
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


def _accent(name: str, arg: str) -> str:
    if not arg:
        return _SPACING_ACCENTS.get(name, "")
    base = arg[0]
    if base == "ı":
        base = "i"
    elif base == "ȷ":
        base = "j"
    return unicodedata.normalize("NFC", base + _ACCENTS[name]) + arg[1:]


def _script(which: str, arg: str) -> str:
    arg = arg.strip()
    if not arg:
        return ""
    if which == "^":
        if set(arg) <= _SUP_OK:
            return arg.translate(_SUPERSCRIPTS)
    elif set(arg) <= _SUB_OK:
        return arg.translate(_SUBSCRIPTS)
    return f"{which}{arg}" if len(arg) == 1 else f"{which}({arg})"


def _unescape_url(text: str) -> str:
    return text.replace("\\_", "_").replace("\\%", "%").replace("\\&", "&").replace("\\#", "#")


@lru_cache(maxsize=1 << 16)
def decode(text: str) -> str:
    """Unicode (with emphasis markers) for a LaTeX-laden BibTeX value."""
    if not text:
        return ""
    if not _NEEDS.search(text):
        return _SPACES.sub(" ", text).strip() if ("  " in text or "\n" in text) else text.strip()
    try:
        result = _Decoder(text).parse(False, None)
    except RecursionError:  # thousands of nested groups or accents: hostile input
        result = _flatten(text)
    result = _SPACES.sub(" ", result).strip()
    for a, b in ((EM_OPEN, EM_CLOSE), (STRONG_OPEN, STRONG_CLOSE)):
        result = result.replace(a + b, "")
    return result


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
