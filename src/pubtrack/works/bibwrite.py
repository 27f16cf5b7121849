"""BibTeX out: clean entries, keys, and edits that leave every other byte alone.

``append_entries`` adds entries at the end of a file: the existing bytes are
kept exactly (encoding, line endings, the presence or absence of a final
newline), the addition uses the file's own line ending and encoding, and the
file is replaced atomically. ``edit_entry`` changes or adds single fields of
one entry (for ``fix``) the same way. Nothing here re-formats a user's file.
"""

from __future__ import annotations

import codecs
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pubtrack.errors import BadInputError
from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN, plain
from pubtrack.util import write_atomic
from pubtrack.works.record import Record

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_ACCENTS = {
    "\u0301": "'",
    "\u0300": "`",
    "\u0302": "^",
    "\u0308": '"',
    "\u0303": "~",
    "\u0304": "=",
    "\u0307": ".",
    "\u0327": "c",
    "\u030c": "v",
    "\u0306": "u",
    "\u030b": "H",
    "\u0328": "k",
    "\u030a": "r",
    "\u0323": "d",
}
_LETTERS = {
    "ø": r"{\o}",
    "Ø": r"{\O}",
    "ß": r"{\ss}",
    "æ": r"{\ae}",
    "Æ": r"{\AE}",
    "œ": r"{\oe}",
    "Œ": r"{\OE}",
    "ł": r"{\l}",
    "Ł": r"{\L}",
    "ı": r"{\i}",
    "đ": r"{\dj}",
    "Đ": r"{\DJ}",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "\u00a0": "~",
}
_SPECIAL = {
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_MARKUP = {EM_OPEN: "\\emph{", EM_CLOSE: "}", STRONG_OPEN: "\\textbf{", STRONG_CLOSE: "}"}
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "on",
        "of",
        "for",
        "in",
        "to",
        "and",
        "with",
        "from",
        "by",
        "at",
        "via",
        "towards",
        "toward",
        "is",
        "are",
        "do",
        "does",
        "can",
        "how",
        "what",
        "when",
        "why",
        "we",
        "our",
        "its",
    ]
)


def latex_escape(text: str) -> str:
    """Unicode text as LaTeX-safe ASCII where a LaTeX spelling exists ({\\'e}, {\\o}, \\&).

    Characters with no LaTeX spelling (CJK, Greek) stay as they are: the file is UTF-8.
    """
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _MARKUP:
            out.append(_MARKUP[ch])
        elif ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _LETTERS:
            out.append(_LETTERS[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            decomposed = unicodedata.normalize("NFD", ch)
            base, marks = decomposed[0], decomposed[1:]
            if ord(base) < 128 and marks and all(m in _ACCENTS for m in marks):
                piece = "\\i" if base == "i" and marks[0] not in ("\u0327", "\u0328") else base
                for mark in marks:
                    cmd = _ACCENTS[mark]
                    piece = f"\\{cmd}{piece}" if not cmd.isalpha() else f"\\{cmd}{{{piece}}}"
                out.append("{" + piece + "}")
            else:
                out.append(ch)
    return "".join(out)


_PROTECT = re.compile(r"(?<![\\\w{])([A-Za-z]*[A-Z][A-Za-z]*[A-Z0-9][\w\-]*)")


def protect_title(text: str) -> str:
    """Escape a title and brace words whose capitals must survive a lower-casing style
    (acronyms and camel case: {BERT}, {GPT-4}, {ImageNet})."""
    escaped = latex_escape(text)

    def wrap(match: re.Match[str]) -> str:
        word = match.group(1)
        return "{" + word + "}"

    parts = re.split(r"(\\[a-zA-Z]+\{\}|\{[^{}]*\}|\\.)", escaped)
    return "".join(p if i % 2 else _PROTECT.sub(wrap, p) for i, p in enumerate(parts))


def ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(str.maketrans({"ø": "o", "ł": "l"})))
    return re.sub(
        r"[^a-z0-9]", "", "".join(c for c in folded if not unicodedata.combining(c)).lower()
    )


KEY_STYLES = {
    "lastnameYEARfirstword": "{lastname}{year}{firstword}",
    "lastnameYEAR": "{lastname}{year}",
    "lastname_YEAR_firstword": "{lastname}_{year}_{firstword}",
    "LastnameYEAR": "{Lastname}{year}",
}


def make_key(record: Record, style: str, taken: set[str]) -> str:
    """A key in ``style`` (a preset name or a template), unique among ``taken`` (a, b, … added)."""
    template = KEY_STYLES.get(style, style)
    first = record.authors[0] if record.authors else None
    family = ""
    if first is not None:
        family = first.family or (
            first.name.split(",")[0] if "," in first.name else first.name.rpartition(" ")[2]
        )
    # Particles ("van", "de la") are not part of the key; compound surnames are.
    lastname = ascii_word("".join(w for w in family.split() if not w[:1].islower())) or "anon"
    words = [ascii_word(w) for w in re.split(r"[\s\-:/]+", plain(record.title))]
    firstword = (
        next((w for w in words if w and w not in _STOP), words[0] if words else "") or "untitled"
    )
    values = {
        "lastname": lastname,
        "Lastname": lastname.capitalize(),
        "year": str(record.year or "nd"),
        "shortyear": str(record.year or "nd")[-2:],
        "firstword": firstword,
        "Firstword": firstword.capitalize(),
    }
    try:
        base = template.format(**values)
    except (KeyError, IndexError, ValueError):
        raise BadInputError(
            f"key style {style!r}: use a preset ({', '.join(KEY_STYLES)}) or a template with "
            "{lastname} {Lastname} {year} {shortyear} {firstword} {Firstword}"
        ) from None
    base = re.sub(r"[^\w\-:.]", "", base) or "entry"
    lowered = {k.lower() for k in taken}
    if base.lower() not in lowered:
        return base
    for suffix in (chr(c) for c in range(ord("a"), ord("z") + 1)):
        if (base + suffix).lower() not in lowered:
            return base + suffix
    n = 2
    while f"{base}{n}".lower() in lowered:
        n += 1
    return f"{base}{n}"


def bib_name(person: object) -> str:
    """'Family, Given' with LaTeX-safe accents; compound surnames braced when spaced."""
    given = getattr(person, "given", "") or ""
    family = getattr(person, "family", "") or ""
    if not family:
        name = getattr(person, "name", "") or ""
        if "," in name:
            return latex_escape(name)
        given, _, family = name.rpartition(" ")
    family_tex = latex_escape(family)
    if " " in family.strip() and not family.split()[0][:1].islower():
        family_tex = "{" + family_tex + "}"  # "García López" is one surname
    return f"{family_tex}, {latex_escape(given)}" if given else family_tex


def entry_fields(record: Record, abbr: str | None = None) -> list[tuple[str, str]]:
    """(name, braced value) in a conventional order; empty fields left out."""
    venue_field = {
        "article": "journal",
        "inproceedings": "booktitle",
        "incollection": "booktitle",
    }.get(record.kind)
    fields: list[tuple[str, str]] = [("title", "{" + protect_title(record.title) + "}")]
    if record.authors:
        fields.append(("author", "{" + " and ".join(bib_name(p) for p in record.authors) + "}"))
    if venue_field and record.venue:
        fields.append((venue_field, "{" + latex_escape(record.venue) + "}"))
    elif record.kind == "phdthesis" and record.venue:
        fields.append(("school", "{" + latex_escape(record.venue) + "}"))
    if record.year:
        fields.append(("year", "{" + str(record.year) + "}"))
    if record.month and 1 <= record.month <= 12:
        fields.append(("month", MONTHS[record.month - 1]))
    for name in ("volume", "number", "pages"):
        value = getattr(record, name)
        if value:
            if name == "pages":
                value = re.sub(r"\s*[-\u2010-\u2015]+\s*", "--", value)
            fields.append((name, "{" + latex_escape(value) + "}"))
    if record.publisher and record.kind in ("book", "incollection", "techreport"):
        fields.append(("publisher", "{" + latex_escape(record.publisher) + "}"))
    if record.doi:
        fields.append(("doi", "{" + record.doi + "}"))
    if record.arxiv:
        fields.append(("eprint", "{" + record.arxiv + "}"))
        fields.append(("archiveprefix", "{arXiv}"))
        if record.extra.get("primaryclass"):
            fields.append(("primaryclass", "{" + str(record.extra["primaryclass"]) + "}"))
    if abbr:
        fields.append(("abbr", "{" + latex_escape(abbr) + "}"))
    if record.pdf:
        fields.append(("pdf", "{" + record.pdf.replace("%", r"\%") + "}"))
    return fields


def format_entry(record: Record, key: str, abbr: str | None = None, newline: str = "\n") -> str:
    fields = entry_fields(record, abbr)
    width = max(len(n) for n, _ in fields)
    body = f",{newline}".join(f"  {name:<{width}} = {value}" for name, value in fields)
    return f"@{record.kind}{{{key},{newline}{body},{newline}}}{newline}"


# --------------------------------------------------------------------------
# Files: encoding and line endings as found; atomic replace.
# --------------------------------------------------------------------------


@dataclass
class FileStyle:
    encoding: str
    newline: str
    bom: bytes = b""


def file_style(data: bytes) -> FileStyle:
    from pubtrack.bibtex.encoding import decode_bytes

    newline = "\r\n" if b"\r\n" in data else ("\r" if b"\r" in data and b"\n" not in data else "\n")
    if data.startswith(codecs.BOM_UTF16_LE):
        return FileStyle("utf-16-le", newline.replace("\r\n", "\r\n"), codecs.BOM_UTF16_LE)
    if data.startswith(codecs.BOM_UTF16_BE):
        return FileStyle("utf-16-be", newline, codecs.BOM_UTF16_BE)
    encoding = decode_bytes(data).encoding if data else "utf-8"
    return FileStyle(encoding.replace("utf-8-sig", "utf-8"), newline)


def _encode(text: str, style: FileStyle, path: Path) -> bytes:
    try:
        return text.encode(style.encoding)
    except UnicodeEncodeError as exc:
        raise BadInputError(
            f"{path}: the new text has {exc.object[exc.start]!r}, which the file's encoding "
            f"({style.encoding}) cannot hold; nothing written"
        ) from None


def appended_bytes(data: bytes, entries: Iterable[str], path: Path) -> bytes:
    """The file's bytes followed by the entries (each separated by one blank line)."""
    style = file_style(data)
    nl = style.newline
    texts = [e.replace("\r\n", "\n").replace("\n", nl) for e in entries]
    ends_with_newline = not data or data.endswith(nl.encode(style.encoding)) or data.endswith(b"\n")
    addition = nl.join(texts)
    if data.strip():
        addition = (nl if ends_with_newline else nl + nl) + addition
    if not ends_with_newline:
        addition = addition.rstrip("\r\n")  # the file had no final newline: keep it that way
    return data + _encode(addition, style, path)


def append_entries(path: Path, entries: list[str]) -> None:
    """Append entries to ``path`` without changing a byte of what is there; atomic."""
    data = path.read_bytes() if path.exists() else b""
    new = appended_bytes(data, entries, path)
    assert new.startswith(data)
    write_atomic(path, new, make_parents=True)


def backup(path: Path) -> Path:
    """A copy beside the file (FILE.bak, FILE.bak.1, …) before it is rewritten."""
    target = path.with_name(path.name + ".bak")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.bak.{n}")
        n += 1
    shutil.copy2(path, target)
    return target


# --------------------------------------------------------------------------
# Field-level edits of one entry (fix): splice, never re-format.
# --------------------------------------------------------------------------

_ENTRY_START = r"@\s*(?P<type>[A-Za-z]+)\s*(?P<open>[{(])\s*{key}\s*,"


@dataclass
class EntrySpan:
    start: int  # index of '@'
    body: int  # index just after "key,"
    end: int  # index of the closing brace
    type_span: tuple[int, int]
    fields: dict[str, tuple[int, int, int]]  # name -> (line start, value start, value end)


def find_entry(text: str, key: str) -> EntrySpan | None:
    pattern = re.compile(_ENTRY_START.replace("{key}", re.escape(key)), re.IGNORECASE)
    match = pattern.search(text)
    if not match:
        return None
    close = "}" if match.group("open") == "{" else ")"
    i = match.end()
    depth = 0
    fields: dict[str, tuple[int, int, int]] = {}
    field_re = re.compile(r"\s*([A-Za-z][\w\-:.+]*)\s*=\s*")
    while i < len(text):
        m = field_re.match(text, i)
        if m and depth == 0:
            name = m.group(1).lower()
            line_start = text.rfind("\n", 0, m.start(1)) + 1
            v_start = m.end()
            j = v_start
            d = 0
            in_quote = False
            while j < len(text):
                ch = text[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "{":
                    d += 1
                elif ch == "}":
                    if d == 0 and not in_quote:
                        break
                    d = max(0, d - 1)
                elif ch == '"' and d == 0:
                    in_quote = not in_quote
                elif (
                    ch == close and d == 0 and not in_quote or ch == "," and d == 0 and not in_quote
                ):
                    break
                j += 1
            v_end = j
            while v_end > v_start and text[v_end - 1] in " \t\r\n":
                v_end -= 1
            fields[name] = (line_start, v_start, v_end)
            i = j + 1 if j < len(text) and text[j] == "," else j
            continue
        ch = text[i] if i < len(text) else ""
        if ch == close and depth == 0:
            return EntrySpan(match.start(), match.end(), i, match.span("type"), fields)
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    return None


def edit_entry(text: str, key: str, updates: dict[str, str], new_type: str | None = None) -> str:
    """``text`` with fields of entry ``key`` set (value text as written, e.g. '{x}'),
    missing fields added after the last one, optionally a new entry type; nothing else moves."""
    span = find_entry(text, key)
    if span is None:
        raise BadInputError(f"entry {key} not found")
    nl = "\r\n" if "\r\n" in text else "\n"
    # Indentation and alignment of the entry's own fields.
    indent, width = "  ", 0
    if span.fields:
        first_line, v0, _ = min(span.fields.values())
        line = text[first_line:v0]
        indent = line[: len(line) - len(line.lstrip())] or "  "
        # Aligned "=" signs (every field's at one column): keep the alignment.
        columns = {
            text[start:v].find("=") - len(indent) - 1 for start, v, _ in span.fields.values()
        }
        names = {len(name) for name in span.fields}
        if len(span.fields) > 1 and len(columns) == 1 and len(names) > 1:
            width = columns.pop()
    edits: list[tuple[int, int, str]] = []
    additions: list[str] = []
    for name, value in updates.items():
        if name in span.fields:
            _, v_start, v_end = span.fields[name]
            edits.append((v_start, v_end, value))
        else:
            pad = f"{name:<{width}}" if width else name
            additions.append(f"{indent}{pad} = {value}")
    if additions:
        if span.fields:
            last_end = max(v_end for _, _, v_end in span.fields.values())
            after = text[last_end : span.end]
            has_comma = after.lstrip(" \t").startswith(",")
            insert_at = last_end + (after.index(",") + 1 if has_comma else 0)
            piece = (
                ("" if has_comma else ",")
                + nl
                + f",{nl}".join(additions)
                + ("" if not has_comma else ",")
            )
            if has_comma:
                piece = nl + f",{nl}".join(additions) + ","
            edits.append((insert_at, insert_at, piece))
        else:
            edits.append((span.body, span.body, nl + f",{nl}".join(additions) + "," + nl))
    if new_type:
        edits.append((span.type_span[0], span.type_span[1], new_type))
    for start, end, value in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + value + text[end:]
    return text
