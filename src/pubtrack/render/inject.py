"""`render --inject FILE`: refresh the marked regions of a README, homepage or CV.

Only text between ``<!-- pubtrack:publications -->`` and
``<!-- /pubtrack:publications -->`` (and the ``talks`` pair; in .tex files
``% pubtrack:publications`` … ``% /pubtrack:publications`` lines) is replaced.
The rest of the file is kept byte for byte (newline style, BOM, mode). A file
is written only when its bytes change, atomically, so a nightly job can commit
only real changes; a file without markers or with broken ones is refused.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pubtrack.errors import InjectError, UnsafeWriteError
from pubtrack.util import write_atomic

SECTIONS = ("publications", "talks")
# `render --inject FILE --exit-code`: the file changed (like `git diff --exit-code`).
EXIT_CHANGED = 4
EXTENSION_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".tex": "tex",
}

# Options after the name: `<!-- pubtrack:publications selected group-by=year -->`.
_OPTIONS = r"((?:[ \t]+[\w-]+(?:=[^\s>]*)?)*)"
_HTML_MARKER = re.compile(r"<!--[ \t]*(/?)pubtrack:([\w-]+)" + _OPTIONS + r"[ \t]*-->")
_TEX_MARKER = re.compile(
    r"^[ \t]*%[ \t]*(/?)pubtrack:([\w-]+)" + _OPTIONS + r"[ \t]*(?=\r?$)", re.MULTILINE
)
# Marker options and the values they take (None: a flag without a value).
MARKER_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "selected": None,
    "group-by": ("none", "year", "type"),
    "style": ("default", "compact"),
    "max-authors": (),  # a whole number
    "citation-style": ("full", "count", "number"),
    "cited-by-link": None,
    "sparklines": None,
}
Options = tuple[tuple[str, str], ...]


# Markdown code (fenced and indented blocks, inline spans) and LaTeX verbatim
# environments: markers shown there are documentation. Found by one pass over
# the lines (linear time, whatever the fences: a lazy regex over unclosed
# fences was quadratic).
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_BACKTICKS = re.compile(r"`+")
_TEX_VERBATIM = re.compile(
    r"\\(begin|end)[ \t]*\{(verbatim\*?|Verbatim\*?|BVerbatim|lstlisting|minted|comment|alltt)\}"
)


def _lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line without its newline) for every line."""
    out = []
    position = 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        out.append((position, position + len(body), body))
        position += len(line)
    return out


def _indent_width(line: str) -> int:
    width = 0
    for ch in line:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += 4 - width % 4
        else:
            break
    return width


def _code_spans(line: str, offset: int) -> list[tuple[int, int]]:
    """Inline code spans of one line: a run of N backticks up to the next run of N."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    by_length: dict[int, list[int]] = {}
    for index, (a, b) in enumerate(runs):
        by_length.setdefault(b - a, []).append(index)
    cursor = {n: 0 for n in by_length}
    spans = []
    index = 0
    while index < len(runs):
        a, b = runs[index]
        same = by_length[b - a]
        k = cursor[b - a]
        while k < len(same) and same[k] <= index:
            k += 1
        cursor[b - a] = k
        if k < len(same):
            closing = runs[same[k]]
            spans.append((offset + a, offset + closing[1]))
            index = same[k] + 1
        else:
            index += 1
    return spans


def markdown_code(text: str) -> list[tuple[int, int]]:
    """Sorted (start, end) ranges of CommonMark code: fenced blocks (``` or ~~~, a
    closing fence at least as long, an unclosed fence running to the end),
    indented blocks, inline spans."""
    ranges: list[tuple[int, int]] = []
    fence: tuple[str, int, int] | None = None  # (char, length, start)
    previous_blank = True
    in_indented = False
    for start, end, line in _lines(text):
        if fence is not None:
            m = _FENCE.match(line)
            char, length, begin = fence
            if m and m.group(2)[0] == char and len(m.group(2)) >= length and not m.group(3).strip():
                ranges.append((begin, end))
                fence = None
            continue
        m = _FENCE.match(line)
        if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):
            fence = (m.group(2)[0], len(m.group(2)), start)
            in_indented = False
            previous_blank = False
            continue
        blank = not line.strip()
        if not blank and _indent_width(line) >= 4 and (previous_blank or in_indented):
            ranges.append((start, end))
            in_indented = True
            previous_blank = False
            continue
        if not blank:
            in_indented = False
            ranges.extend(_code_spans(line, start))
        previous_blank = blank
    if fence is not None:
        ranges.append((fence[2], len(text)))
    return ranges


def tex_verbatim(text: str) -> list[tuple[int, int]]:
    """Sorted (start, end) ranges of verbatim-like LaTeX environments (unclosed: to the end)."""
    ranges: list[tuple[int, int]] = []
    open_env: tuple[str, int] | None = None
    for m in _TEX_VERBATIM.finditer(text):
        kind, name = m.group(1), m.group(2)
        if open_env is None and kind == "begin":
            open_env = (name, m.start())
        elif open_env is not None and kind == "end" and name == open_env[0]:
            ranges.append((open_env[1], m.end()))
            open_env = None
    if open_env is not None:
        ranges.append((open_env[1], len(text)))
    return ranges


def _inside(ranges: list[tuple[int, int]], position: int) -> bool:
    index = bisect.bisect_right(ranges, (position, 1 << 62)) - 1
    return index >= 0 and ranges[index][0] <= position < ranges[index][1]


@dataclass(frozen=True)
class Region:
    section: str
    start: int  # first character after the opening marker
    end: int  # first character of the closing marker
    options: Options = ()  # from the opening marker, e.g. (("group-by", "year"),)

    @property
    def spec(self) -> tuple[str, Options]:
        """What the region shows: regions with the same spec get the same text."""
        return (self.section, self.options)


def parse_options(text: str, where: str) -> Options:
    """ "selected group-by=year" -> (("group-by", "year"), ("selected", "")), checked."""
    out: dict[str, str] = {}
    for word in text.split():
        name, has_value, value = word.partition("=")
        if name not in MARKER_OPTIONS:
            known = ", ".join(MARKER_OPTIONS)
            raise InjectError(f"{where}: unknown marker option {name!r} (known: {known})")
        allowed = MARKER_OPTIONS[name]
        if allowed is None:
            if has_value:
                raise InjectError(f"{where}: marker option {name} takes no value")
        elif allowed == ():
            if not value.isdigit():
                raise InjectError(f"{where}: marker option {name} needs a number ({name}=5)")
        elif value not in allowed:
            raise InjectError(
                f"{where}: marker option {name}={value!r}: choose from {', '.join(allowed)}"
            )
        out[name] = value
    return tuple(sorted(out.items()))


def format_for(path: Path, requested: str | None) -> str:
    """--format if given, else from the extension (.md, .html, .tex)."""
    if requested:
        if requested == "json":
            raise InjectError(f"{path}: --inject writes md, html or tex, not json")
        return requested
    fmt = EXTENSION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InjectError(f"{path}: cannot tell the format from the extension; pass --format")
    return fmt


def find_regions(text: str, path: Path, fmt: str) -> list[Region]:
    """Every marked region, checked: known names, closed, not nested."""
    tex = fmt == "tex"
    pattern = _TEX_MARKER if tex else _HTML_MARKER
    code = tex_verbatim(text) if tex else (markdown_code(text) if fmt == "md" else [])
    regions: list[Region] = []
    line, counted = 1, 0
    open_name: str | None = None
    open_end = open_line = 0
    open_options: Options = ()
    for match in pattern.finditer(text):
        if code and _inside(code, match.start()):
            continue
        closing, name = match.group(1) == "/", match.group(2)
        line += text.count("\n", counted, match.start())  # incremental: linear overall
        counted = match.start()
        where = f"{path}:{line}"
        if name not in SECTIONS:
            raise InjectError(
                f"{where}: unknown marker pubtrack:{name} (use publications or talks)"
            )
        if not closing:
            if open_name is not None:
                raise InjectError(
                    f"{where}: pubtrack:{name} starts inside pubtrack:{open_name} "
                    f"(opened on line {open_line}); close that one first"
                )
            open_name, open_end, open_line = name, match.end(), line
            open_options = parse_options(match.group(3) or "", where)
        else:
            if open_name != name:
                raise InjectError(f"{where}: /pubtrack:{name} closes a region that is not open")
            if (match.group(3) or "").strip():
                raise InjectError(f"{where}: options go on the opening marker, not the closing")
            regions.append(Region(name, open_end, match.start(), open_options))
            open_name = None
    if open_name is not None:
        closer = f"% /pubtrack:{open_name}" if tex else f"<!-- /pubtrack:{open_name} -->"
        raise InjectError(f"{path}:{open_line}: pubtrack:{open_name} is never closed ({closer})")
    if not regions:
        example = (
            "% pubtrack:publications ... % /pubtrack:publications"
            if tex
            else "<!-- pubtrack:publications --> ... <!-- /pubtrack:publications -->"
        )
        raise InjectError(f"{path}: no pubtrack markers; add {example} where the list goes")
    return regions


def splice(text: str, regions: list[Region], bodies: dict[tuple[str, Options], str]) -> str:
    """Replace each region's content with its section's body, in the file's newline style."""
    newline = "\r\n" if "\r\n" in text else "\n"
    out: list[str] = []
    position = 0
    for region in regions:
        body = bodies[region.spec].strip("\n")
        body = body.replace("\n", newline)
        # The closing marker keeps its indentation (tex lines may be indented).
        indent = text[text.rfind("\n", 0, region.end) + 1 : region.end]
        indent = indent if not indent.strip() else ""
        out.append(text[position : region.start])
        out.append(newline + (body + newline if body else "") + indent)
        position = region.end
    out.append(text[position:])
    return "".join(out)


def read_text(path: Path) -> str:
    try:
        if path.exists() and not path.is_file():
            raise InjectError(f"{path}: not a regular file (a FIFO, device or directory)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InjectError(f"{path}: no such file") from None
    except OSError as exc:
        raise InjectError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InjectError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def inject_file(
    path: Path,
    fmt: str,
    render_sections: Callable[[list[tuple[str, Options]]], dict[tuple[str, Options], str]],
    sections: list[str],
) -> bool:
    """Fill the regions of ``sections`` found in ``path``; True when the file changed.

    ``render_sections(specs)`` gives each (section, marker options)'s text without
    its heading.
    The file is checked (and refused, untouched) before anything is read or
    rendered, so a bad target costs nothing.
    """
    text = read_text(path)
    regions = [r for r in find_regions(text, path, fmt) if r.section in sections]
    if not regions:
        raise InjectError(f"{path}: no pubtrack:{' or pubtrack:'.join(sections)} region")
    bodies = render_sections(sorted({r.spec for r in regions}))
    for region in regions:
        if not bodies[region.spec].strip() and text[region.start : region.end].strip():
            line = text.count("\n", 0, region.start) + 1
            raise UnsafeWriteError(
                f"{path}:{line}: pubtrack:{region.section} would become empty (no "
                f"{region.section} read); nothing written (the file is left as it was)"
            )
    new_text = splice(text, regions, bodies)
    if new_text == text:
        return False
    write_atomic(path, new_text)
    return True
