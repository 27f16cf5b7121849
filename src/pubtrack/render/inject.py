"""`render --inject FILE`: refresh the marked regions of a README, homepage or CV.

Only text between ``<!-- pubtrack:publications -->`` and
``<!-- /pubtrack:publications -->`` (and the ``talks`` pair; in .tex files
``% pubtrack:publications`` … ``% /pubtrack:publications`` lines) is replaced.
The rest of the file is kept byte for byte (newline style, BOM, mode). A file
is written only when its bytes change, atomically, so a nightly job can commit
only real changes; a file without markers or with broken ones is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pubtrack.errors import InjectError
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
# Markdown code (fenced blocks, inline spans): markers shown there are documentation.
_MD_CODE = re.compile(r"^[ \t]*(```+|~~~+).*?^[ \t]*\1[ \t]*$|`[^`\n]+`", re.MULTILINE | re.DOTALL)


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
    code = [] if tex or fmt != "md" else [m.span() for m in _MD_CODE.finditer(text)]
    regions: list[Region] = []
    open_name: str | None = None
    open_end = open_line = 0
    open_options: Options = ()
    for match in pattern.finditer(text):
        if any(a <= match.start() < b for a, b in code):
            continue
        closing, name = match.group(1) == "/", match.group(2)
        line = text.count("\n", 0, match.start()) + 1
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
    new_text = splice(text, regions, bodies)
    if new_text == text:
        return False
    write_atomic(path, new_text)
    return True
