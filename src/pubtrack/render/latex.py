"""LaTeX: ``\\section*`` + ``enumerate``; links need ``hyperref``.

Text escapes ``& % $ # _ { } ~ ^ \\`` (and ``< > |``, which OT1 fonts print
wrongly); URLs go into ``\\href{}`` with ``%``/``#`` escaped and characters
that would unbalance the argument percent-encoded, so a URL is never decoded
or changed in meaning.
"""

from __future__ import annotations

from pubtrack.render.base import Format

_TEXT = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
    }
)
# In \href a URL can neither run TeX (`^^5c` is a backslash to TeX, so `^` is
# encoded too) nor break out of its group: every active character is escaped or
# percent-encoded, control characters are dropped.
_URL = str.maketrans(
    {
        "%": r"\%",
        "#": r"\#",
        "\\": "%5C",
        "{": "%7B",
        "}": "%7D",
        "^": "%5E",
        " ": "%20",
        **{chr(i): "" for i in range(32)},
        "\x7f": "",
    }
)
_MARKS = {"*": "*", "†": r"\textdagger{}", "‡": r"\textdaggerdbl{}"}


class Latex(Format):
    name = "tex"
    separator = r" \textperiodcentered{} "
    ellipsis = r"\ldots{}"
    templates = {"default": "publications.tex.j2", "compact": "compact.tex.j2"}
    sparklines = False

    def escape(self, text: str) -> str:
        return text.translate(_TEXT)

    def url(self, url: str) -> str:
        return url.strip().translate(_URL)

    def strong(self, escaped: str) -> str:
        return rf"\textbf{{{escaped}}}"

    def emph(self, escaped: str) -> str:
        return rf"\emph{{{escaped}}}"

    def mark(self, marks: str) -> str:
        return rf"\textsuperscript{{{''.join(_MARKS.get(m, self.escape(m)) for m in marks)}}}"

    def link(self, label: str, url: str) -> str:
        return rf"\href{{{self.url(url)}}}{{{self.escape(label)}}}"


LATEX = Latex()
