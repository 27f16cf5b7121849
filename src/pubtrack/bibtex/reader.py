"""Reading .bib files into Works and Talks, reporting every problem with FILE:LINE.

Only bibtexparser's splitter is used (blocks, keys, raw values, line numbers,
failed blocks); the default middleware stack is skipped because it is slow,
resolves only whole-value macros, and drops entries on a duplicate field or an
unsplittable name. Everything after the split happens here in one pass:
@string macros across files (``#``, month macros, case-insensitive names),
crossref inheritance, the checks for silent mis-parses, LaTeX decoding of
displayed fields only, names, ids and links.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date  # noqa: N812
from functools import lru_cache
from pathlib import Path
from typing import Any

from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
    Preamble,
    String,
)
from bibtexparser.splitter import Splitter

from pubtrack.bibtex import links as linkfields
from pubtrack.bibtex import preamble
from pubtrack.bibtex.encoding import decode_bytes
from pubtrack.bibtex.latex import decode, unescape_url, unknown_commands
from pubtrack.bibtex.names import parse_names
from pubtrack.bibtex.splitter import FastEntry, FastField, FastPreamble, FastString, split_fast
from pubtrack.bibtex.values import (
    PREDEFINED_MACROS,
    Resolved,
    clean_space,
    day_number,
    month_number,
    parse_date,
    quick,
    resolve,
    year_number,
)
from pubtrack.errors import BibError
from pubtrack.identity import (
    ARXIV_DOI_PREFIX,
    arxiv_id_from_doi,
    normalize_arxiv_id,
    normalize_doi,
    normalize_id,
)
from pubtrack.models import (
    Author,
    Identifiers,
    Library,
    Link,
    Location,
    Problem,
    Talk,
    Work,
)
from pubtrack.util import gc_paused

# The splitter logs a warning per aborted block; we report those ourselves.
logging.getLogger("bibtexparser.splitter").setLevel(logging.ERROR)

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_.:+/-]+$")
_GOOD_NAMES: dict[str, str] = {}  # field name as written -> lower case (valid names only)
_ACL_URL = re.compile(r"aclanthology\.org/([A-Za-z0-9][\w.-]*?)(?:\.pdf)?/?$", re.IGNORECASE)
_ACL_DOI = re.compile(r"^10\.18653/v1/(.+)$")
# Matched (anchored) only on a short window after each "arxiv", so that a long
# field costs linear time whatever it holds (an unbounded search with these
# overlapping quantifiers took 39 s on 80 KB of spaces).
_ARXIV_IN_TEXT = re.compile(
    r"arxiv[:\s]{0,8}(?:preprint\s{0,4})?(?:arxiv:)?\s{0,4}([a-z\-.]{0,24}/?\d{4}\.?\d{3,5}(?:v\d+)?)",
    re.I,
)
_ARXIV_WINDOW = 80
# C0 controls but tab and newline, DEL and C1 controls: never part of a value.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bounds on @string expansion (a few doubling macros must not eat the memory).
MAX_MACRO_CHARS = 1 << 16
MAX_FIELD_CHARS = 1 << 20


def _arxiv_in_text(text: str) -> str | None:
    """The first 'arXiv preprint arXiv:2401.00001'-style id in free text; linear time."""
    lower = text.lower()
    start = lower.find("arxiv")
    while start != -1:
        m = _ARXIV_IN_TEXT.match(text, start, start + _ARXIV_WINDOW)
        if m:
            return m.group(1)
        start = lower.find("arxiv", start + 5)
    return None


_PREPRINT_WORDS = re.compile(r"arxiv|preprint|biorxiv|medrxiv|ssrn|openreview|\bcorr\b", re.I)


@lru_cache(maxsize=4096)  # venues repeat across entries
def _names_a_preprint(venue_text: str) -> bool:
    return _PREPRINT_WORDS.search(venue_text) is not None


_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^\s{}#?]+)", re.I)
_TRUE = {"true", "yes", "1", "y", "on"}

# Fields shown on a page (decoded): where unknown LaTeX commands are reported.
_DISPLAYED = (
    "title",
    "author",
    "editor",
    "journal",
    "journaltitle",
    "booktitle",
    "abbr",
    "publisher",
    "school",
    "institution",
    "howpublished",
    "organization",
    "eventtitle",
    "event",
    "location",
    "address",
    "venue",
    "type",
    "award",
    "award_name",
    "note",
    "abstract",
)
_DISPLAYED_SET = frozenset(_DISPLAYED)
_CONFERENCE_TYPES = {"inproceedings", "conference"}
_THESIS_TYPES = {"phdthesis", "mastersthesis", "thesis"}
_BOOK_TYPES = {"book", "mvbook", "collection", "mvcollection", "proceedings", "mvproceedings"}
_CHAPTER_TYPES = {"incollection", "inbook", "bookinbook", "suppbook", "suppcollection"}
_REPORT_TYPES = {"techreport", "report"}
# Parents whose title becomes the child's booktitle (biblatex inheritance).
_IN_TYPES = _CHAPTER_TYPES | {"inproceedings", "conference"}
_NOT_INHERITED = {"crossref", "xref", "ids", "entryset", "shorthand", "label", "sortkey", "key"}


@dataclass
class RawEntry:
    """One entry after macro resolution, before models are built."""

    key: str
    entry_type: str
    fields: dict[str, str]
    file: str
    line: int
    talk: bool = False
    field_lines: dict[str, int] = field(default_factory=dict)


class Reader:
    """Reads files in order; macros and keys are shared across files."""

    def __init__(self, root: Path | None = None, encoding: str | None = None) -> None:
        self.root = root.resolve() if root else None
        self.encoding = encoding or None
        self.macros: dict[str, str] = dict(PREDEFINED_MACROS)
        self.macro_where: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.entries: list[RawEntry] = []
        self.keys: dict[str, RawEntry] = {}
        self.keys_folded: dict[str, RawEntry] = {}  # lower-case key -> first entry
        # raw value -> resolved (str, or Resolved when there is something to report);
        # cleared whenever a macro is (re)defined.
        self._memo: dict[str, str | Resolved] = {}
        self.preamble_macros: dict[str, str] = {}
        # expands preamble_macros; None while there are none
        self._expand: Callable[[str], str] | None = None
        # unknown LaTeX command -> [file, line, key, field, uses]: reported once.
        self._unknown: dict[str, list[Any]] = {}

    # -- input ----------------------------------------------------------------
    def display_path(self, path: Path) -> str:
        """Path relative to the project root when inside it (for FILE:LINE)."""
        from pubtrack.bibtex import display_path

        return display_path(self.root, path)

    def add_file(self, path: Path, *, talk: bool = False, data: bytes | None = None) -> None:
        """Read one file; raises BibError only if it cannot be read at all."""
        name = self.display_path(path)
        if data is None:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise BibError(f"{name}: cannot read: {exc.strerror or exc}") from None
        decoded = decode_bytes(data, self.encoding)
        if decoded.lossy:
            self._problem(
                name,
                1,
                f"not valid {decoded.encoding}: undecodable bytes were replaced by '\ufffd' "
                "(set [bib] encoding in pubtrack.toml)",
            )
        elif decoded.how == "detected":
            self._problem(
                name,
                1,
                f"file is not UTF-8; read as {decoded.encoding} (a guess: add a "
                "'% -*- coding: ... -*-' first line or set [bib] encoding in pubtrack.toml)",
                "warning",
            )
        self.add_text(decoded.text, name, talk=talk)

    def add_text(self, text: str, file: str = "<string>", *, talk: bool = False) -> None:
        """Parse one file's text; @string definitions stay visible to later files."""
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        bad = _CONTROL.search(text)
        if bad is not None:
            # NUL, ESC & co. would reach a terminal, a page or a PDF: never kept.
            self._problem(
                file,
                text.count("\n", 0, bad.start()) + 1,
                f"control character U+{ord(bad.group()):04X} removed "
                f"({len(_CONTROL.findall(text))} in this file)",
                "warning",
            )
            text = _CONTROL.sub("", text)
        lines = text.split("\n")
        fast = split_fast(text)
        if fast is not None:
            for item in fast:
                if type(item) is FastEntry:
                    self._guarded(self._entry, item, file, talk, lines)
                elif type(item) is FastString:
                    self._string(item, file)
                elif isinstance(item, FastPreamble):
                    self._preamble(item)
            return
        real = _real_lines(text)
        for block in Splitter(text).split().blocks:
            if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
                inner = block.ignore_error_block
                if isinstance(inner, String):
                    self._string(_as_fast_string(inner, real), file)
                elif isinstance(inner, Entry):
                    self._entry(_as_fast(inner, real), file, talk, lines)
            elif isinstance(block, Entry):
                self._guarded(self._entry, _as_fast(block, real), file, talk, lines)
            elif isinstance(block, String):
                self._string(_as_fast_string(block, real), file)
            elif isinstance(block, Preamble):
                self._preamble(block)
            elif isinstance(block, ParsingFailedBlock):
                self._failed(block, file, real)

    def _guarded(self, read: Any, block: FastEntry, file: str, *args: Any) -> None:
        """One entry that trips the reader is a problem at its line; the others are read."""
        try:
            read(block, file, *args)
        except (RecursionError, ValueError, TypeError, IndexError, KeyError) as exc:
            if os.environ.get("PUBTRACK_DEBUG", "") not in ("", "0"):
                raise
            line = (block.start_line or 0) + 1
            self._problem(file, line, f"cannot read this entry ({type(exc).__name__})")

    def _preamble(self, block: Preamble | FastPreamble) -> None:
        """Parameterless macros the bib defines in @preamble (see preamble.py)."""
        text = quick(block.value.strip(), self.macros) or resolve(block.value, self.macros).value
        found = preamble.definitions(text)
        if found:
            self.preamble_macros.update(found)
            self._expand = preamble.expander(self.preamble_macros)

    def _displayed(self, fields: dict[str, str]) -> dict[str, str]:
        """The fields with the @preamble macros expanded in the displayed ones."""
        expand = self._expand
        if expand is None:
            return fields
        out = dict(fields)
        for name, value in fields.items():
            if "\\" in value and name in _DISPLAYED_SET:
                out[name] = expand(value)
        return out

    def _problem(self, file: str, line: int, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(file, line, message, severity))

    def _failed(self, block: ParsingFailedBlock, file: str, real: list[int] | None) -> None:
        line = _real_line(block.start_line, real) + 1
        error = block.error
        reason = getattr(error, "abort_reason", None) or str(error) or type(error).__name__
        head = (block.raw or "").lstrip().split("{", 1)[0].split("(", 1)[0].strip()
        what = f"{head} block" if head.startswith("@") else "block"
        hint = _hint(reason, block.raw or "")
        self._problem(file, line, f"syntax error in {what}: {reason.strip()}{hint} (block skipped)")

    def _string(self, block: String | FastString, file: str) -> None:
        line = (block.start_line or 0) + 1
        name = block.key.strip()
        if not name:
            self._problem(file, line, "@string without a name (ignored)")
            return
        res = resolve(block.value, self.macros, strip=False)
        self._report_value(res, file, line, f"@string {name}")
        lower = name.lower()
        previous = self.macro_where.get(lower)
        if previous is not None:
            self._problem(
                file,
                line,
                f"@string {name} redefined (first defined at {previous}); the new value is used",
                "warning",
            )
        value = res.value
        if len(value) > MAX_MACRO_CHARS:
            # `@string{b = a # a}` repeated doubles each time: 40 lines would need
            # terabytes. BibTeX itself caps strings; so do we.
            self._problem(
                file,
                line,
                f"@string {name} expands to {len(value):,} characters (more than "
                f"{MAX_MACRO_CHARS:,}); ignored",
            )
            value = ""
        self.macros[lower] = value
        self.macro_where[lower] = f"{file}:{line}"
        self._memo.clear()  # resolved values may depend on this macro

    def _report_value(self, res: Resolved, file: str, line: int, where: str) -> None:
        for offset, message in res.errors:
            self._problem(file, line + offset, f"{where}: {message}")
        for offset, message in res.warnings:
            self._problem(file, line + offset, f"{where}: {message}", "warning")
        for name in dict.fromkeys(res.undefined):
            self._problem(
                file,
                line,
                f"{where}: undefined @string macro '{name}' (kept as text)",
                "warning",
            )

    def _entry(self, block: FastEntry, file: str, talk: bool, lines: list[str]) -> None:
        line = (block.start_line or 0) + 1
        key = block.key.strip()
        entry_type = block.entry_type.lower()
        source_line = lines[line - 1] if line - 1 < len(lines) else ""
        if source_line.lstrip().startswith("%"):
            self._problem(
                file,
                line,
                f"entry '{key}' is on a line starting with '%', which does not comment out "
                "an entry (BibTeX still reads it); pubtrack skips it: delete the '@' or use "
                "@comment",
                "warning",
            )
            return
        if not key:
            self._problem(file, line, f"@{entry_type} entry without a key (entry skipped)")
            return
        if "," in key or "=" in key:
            self._problem(file, line, f"invalid entry key {key!r} (entry skipped)")
            return
        fields: dict[str, str] = {}
        field_lines: dict[str, int] = {}
        macros = self.macros
        memo = self._memo
        good = _GOOD_NAMES
        for name, raw_value, start_line, inner in block.fields:
            if name in good:
                # common case inlined: a simple value (or one resolved before), nothing
                # to report; anything else goes through _field
                lower = good[name]
                value: str | Resolved | None
                if inner is not None:
                    value = clean_space(inner)  # what quick() gives for a plain group
                else:
                    value = memo.get(raw_value)
                    if value is None:
                        value = quick(raw_value, macros)
                        if value is not None:
                            memo[raw_value] = value
                if type(value) is str and lower not in fields and len(value) <= MAX_FIELD_CHARS:
                    fields[lower] = value
                    field_lines[lower] = start_line + 1
                    continue
            else:
                if _FIELD_NAME.match(name):
                    _GOOD_NAMES[name] = name.lower()
                else:
                    repaired = self._repair_field_name(key, name, file, start_line + 1)
                    if repaired is None:
                        continue
                    name = repaired
                    good.setdefault(name, name.lower())
            self._field(
                key,
                good[name],
                raw_value,
                start_line + 1,
                file,
                fields,
                field_lines,
                macros,
            )
        raw = RawEntry(key, entry_type, fields, file, line, talk, field_lines)
        first = self.keys.get(key)
        if first is not None:
            self._problem(
                file,
                line,
                f"duplicate key '{key}' (first at {first.file}:{first.line}); "
                "this entry is ignored",
            )
            return
        folded_key = key.lower()
        other = self.keys_folded.get(folded_key)
        if other is not None:
            self._problem(
                file,
                line,
                f"key '{key}' differs from '{other.key}' ({other.file}:{other.line}) only in "
                "case: BibTeX treats them as the same key",
                "warning",
            )
        else:
            self.keys_folded[folded_key] = raw
        self.keys[key] = raw
        self.entries.append(raw)

    def _field(
        self,
        key: str,
        name: str,
        raw_value: str,
        line: int,
        file: str,
        fields: dict[str, str],
        field_lines: dict[str, int],
        macros: dict[str, str],
    ) -> None:
        memo = self._memo
        res = memo.get(raw_value)
        if res is None:
            res = quick(raw_value, macros)
            if res is None:
                res = resolve(raw_value, macros)
            memo[raw_value] = res
        folded: list[tuple[str, str, int]] | tuple[()] = ()
        if isinstance(res, str):
            value = res
        else:
            if res.errors or res.warnings or res.undefined:
                self._report_value(res, file, line, f"{key}: field '{name}'")
            value = res.value
            folded = res.folded
        if len(value) > MAX_FIELD_CHARS:
            self._problem(
                file, line, f"{key}: field '{name}' is {len(value):,} characters long; cut"
            )
            value = value[:MAX_FIELD_CHARS]
        if name in fields:
            self._problem(
                file,
                line,
                f"{key}: duplicate field '{name}' (first at line {field_lines[name]}); "
                "the first value is used",
            )
        else:
            fields[name] = value
            field_lines[name] = line
        for folded_name, folded_raw, offset in folded:
            self._problem(
                file,
                line + offset,
                f"{key}: missing comma before field '{folded_name}' "
                "(BibTeX would read it as part of the previous value); read as a field",
            )
            self._field(
                key,
                folded_name.lower(),
                folded_raw,
                line + offset,
                file,
                fields,
                field_lines,
                macros,
            )

    def _repair_field_name(self, key: str, raw_name: str, file: str, line: int) -> str | None:
        """`% comment\\n  title` (a '%' "comment" inside an entry) -> `title`, reported."""
        if "%" in raw_name:
            candidate = raw_name.rsplit("\n", 1)[-1].strip()
            if "\n" in raw_name and _FIELD_NAME.match(candidate):
                self._problem(
                    file,
                    line,
                    f"{key}: '%' is not a comment inside a BibTeX entry: the text before "
                    f"field '{candidate}' becomes part of its name in BibTeX; ignored here",
                    "warning",
                )
                return candidate
        shown = " ".join(raw_name.split())[:60]
        self._problem(file, line, f"{key}: invalid field name {shown!r} (field skipped)")
        return None

    # -- output ---------------------------------------------------------------
    def finish(self) -> Library:
        """Crossref inheritance, then Works and Talks, then cross-entry checks."""
        self._crossrefs()
        works: list[Work] = []
        talks: list[Talk] = []
        for raw in self.entries:
            try:
                if raw.talk:
                    talks.append(self._talk(raw))
                else:
                    works.append(self._work(raw))
            except (RecursionError, ValueError, TypeError, IndexError, KeyError) as exc:
                if os.environ.get("PUBTRACK_DEBUG", "") not in ("", "0"):
                    raise
                self._problem(raw.file, raw.line, f"{raw.key}: cannot read this entry ({exc})")
        self._same_work(works)
        self._report_unknown()
        known = {w.key for w in works}
        for talk in talks:
            if talk.publication and talk.publication not in known:
                loc = talk.location or Location("", 0)
                line = self.keys[talk.key].field_lines.get("publication", loc.line)
                self._problem(
                    loc.file,
                    line,
                    f"{talk.key}: publication '{talk.publication}' names no publication entry",
                    "warning",
                )
        order = {name: i for i, name in enumerate(dict.fromkeys(p.file for p in self.problems))}
        problems = sorted(self.problems, key=lambda p: (order[p.file], p.line))
        return Library(works=works, talks=talks, problems=problems)

    def _note_unknown(self, raw: RawEntry, names: tuple[str, ...]) -> None:
        """Remember the unknown LaTeX commands of the displayed fields (first use wins)."""
        for name in names:
            for field_name in _DISPLAYED:
                if "\\" + name in raw.fields.get(field_name, ""):
                    break
            else:
                field_name = "title"
            seen = self._unknown.get(name)
            if seen is None:
                line = raw.field_lines.get(field_name, raw.line)
                self._unknown[name] = [raw.file, line, raw.key, field_name, 1]
            else:
                seen[4] += 1

    def _unknown_in(self, raw: RawEntry, fields: dict[str, str]) -> None:
        found: tuple[str, ...] = ()
        for name, value in fields.items():
            if "\\" in value and name in _DISPLAYED_SET:
                found += unknown_commands(value)
        if found:
            self._note_unknown(raw, tuple(dict.fromkeys(found)))

    def _report_unknown(self) -> None:
        """One warning per unknown command, at its first use, never one per entry."""
        for name, (file, line, key, field_name, uses) in self._unknown.items():
            more = (
                f"; {uses - 1} more entr{'y uses' if uses == 2 else 'ies use'} it"
                if uses > 1
                else ""
            )
            self._problem(
                file,
                line,
                f"{key}: unknown LaTeX command \\{name} in field '{field_name}' "
                f"(kept as text{more})",
                "warning",
            )

    def _lookup(self, key: str) -> RawEntry | None:
        """Crossref targets match case-insensitively, as in BibTeX."""
        return self.keys.get(key) or self.keys_folded.get(key.lower())

    def _crossrefs(self) -> None:
        """Inherit fields along crossref chains, iteratively: a chain of any length or
        a cycle costs linear time and never the recursion limit."""
        done: set[str] = set()
        for start in self.entries:
            if start.key in done or "crossref" not in start.fields:
                continue
            links: list[tuple[RawEntry, RawEntry | None]] = []
            on_chain: set[str] = set()
            raw: RawEntry | None = start
            while raw is not None and raw.key not in done:
                done.add(raw.key)
                on_chain.add(raw.key)
                target = raw.fields.get("crossref")
                if not target:
                    break
                parent = self._lookup(target)
                if parent is None:
                    self._problem(
                        raw.file,
                        raw.field_lines.get("crossref", raw.line),
                        f"{raw.key}: crossref target '{target}' not found (nothing inherited)",
                        "warning",
                    )
                    break
                if parent.key in on_chain:
                    self._problem(
                        raw.file, raw.line, f"{raw.key}: crossref cycle through '{parent.key}'"
                    )
                    break
                links.append((raw, parent))
                raw = parent
            for child, parent in reversed(links):  # parents first: grandparents' fields too
                if parent is None:
                    continue
                for name, value in parent.fields.items():
                    if name not in child.fields and name not in _NOT_INHERITED:
                        child.fields[name] = value
                if (
                    child.entry_type in _IN_TYPES
                    and "booktitle" not in child.fields
                    and "title" in parent.fields
                ):
                    child.fields["booktitle"] = parent.fields["title"]

    def _name_problems(self, raw: RawEntry, name: str, messages: list[str]) -> None:
        for message in messages:
            self._problem(
                raw.file, raw.field_lines.get(name, raw.line), f"{raw.key}: {message}", "warning"
            )

    def _work(self, raw: RawEntry) -> Work:
        f = self._displayed(raw.fields)
        self._unknown_in(raw, f)
        authors: list[Author] = []
        for name in ("author", "editor"):
            if f.get(name):
                authors, messages = parse_names(f[name])
                self._name_problems(raw, name, messages)
                break
        year, month, day = _when(f)
        if year is None or month is None:  # (most entries have both)
            self._check_date(raw, year, month)
        page_urls = _page_urls(f)
        ids = _identifiers(f, page_urls)
        journal = f.get("journal") or f.get("journaltitle") or ""
        booktitle = f.get("booktitle") or ""
        kind = _kind(raw.entry_type, f, ids, journal, booktitle)
        venue = f.get("abbr") or journal or booktitle
        if not venue and kind == "preprint":
            venue = "arXiv preprint" if ids.arxiv else "Preprint"
        if not venue:
            venue = next(
                (
                    f[k]
                    for k in ("publisher", "school", "institution", "howpublished", "organization")
                    if f.get(k) and not linkfields.only_link(f[k])
                ),
                "",
            )
        award = f.get("award_name") or f.get("award")
        return Work(
            key=raw.key,
            entry_type=raw.entry_type,
            title=decode(f.get("title", "")),
            authors=authors,
            year=year,
            month=month,
            day=day,
            venue=decode(venue),
            award=decode(award) if award else None,
            kind=kind,
            ids=ids,
            links=_links(f, ids, page_urls),
            selected=f.get("selected", "").strip().lower() in _TRUE,
            abstract=decode(f.get("abstract", "")),
            note=decode(f.get("note", "")),
            location=Location(raw.file, raw.line),
            fields=raw.fields,
        )

    def _check_date(self, raw: RawEntry, year: int | None, month: int | None) -> None:
        """A year or month that says nothing a date can use: warned, entry kept."""
        f = raw.fields
        for name, value in (("year", year), ("month", month)):
            if f.get(name) and value is None:
                self._problem(
                    raw.file,
                    raw.field_lines.get(name, raw.line),
                    f"{raw.key}: {name} '{f[name]}' is not understood (sorted as unknown)",
                    "warning",
                )

    def _talk(self, raw: RawEntry) -> Talk:
        f = self._displayed(raw.fields)
        self._unknown_in(raw, f)
        year, month, day = _when(f)
        if year is None or month is None:  # (most entries have both)
            self._check_date(raw, year, month)
        when = None
        if year and month and day:
            try:
                when = Date(year, month, day)
            except ValueError:
                self._problem(raw.file, raw.line, f"{raw.key}: invalid date", "warning")
        event = next(
            (
                f[k]
                for k in ("eventtitle", "event", "booktitle", "howpublished", "organization")
                if f.get(k) and not linkfields.only_link(f[k])
            ),
            "",
        )
        place = next((f[k] for k in ("location", "address", "venue") if f.get(k)), "")
        links: list[Link] = []
        for name, label in (("slides", "Slides"), ("video", "Recording"), ("url", "Website")):
            target = linkfields.link(f.get(name))
            if target:
                links.append(Link(label, target))
        pdf = linkfields.link(f.get("pdf"))
        if pdf:
            links.append(Link("PDF", pdf))
        publication = f.get("publication", "").strip() or None
        return Talk(
            key=raw.key,
            title=decode(f.get("title", "")),
            event=decode(event),
            date=when,
            year=None if when else year,
            month=None if when else month,
            location_name=decode(place),
            talk_type=decode(f.get("type", "")),
            links=links,
            publication=publication,
            location=Location(raw.file, raw.line),
            fields=raw.fields,
        )

    def _same_work(self, works: list[Work]) -> None:
        """Two entries with one arXiv id or DOI: reported, never merged."""
        seen: dict[tuple[str, str], Work] = {}
        for work in works:
            for kind, value in (("arXiv id", work.ids.arxiv), ("DOI", work.ids.doi)):
                if not value:
                    continue
                first = seen.setdefault((kind, value), work)
                if first is not work:
                    loc = work.location or Location("", 0)
                    self._problem(
                        loc.file,
                        loc.line,
                        f"{work.key}: same work as {first.key} ({first.location}): "
                        f"both have {kind} {value}",
                        "warning",
                    )
                    break


def _real_lines(text: str) -> list[int] | None:
    """bibtexparser's 0-based line number -> the real one, or None when they agree.

    Its splitter does not count a newline right after a backslash (its marks skip
    escaped characters); FILE:LINE counts every line, as the fast splitter does."""
    if "\\\n" not in text:
        return None
    real = [0]
    for number, line in enumerate(text.split("\n")[:-1]):
        if not line.endswith("\\"):
            real.append(number + 1)
    return real


def _real_line(line: int | None, real: list[int] | None) -> int:
    line = line or 0
    return real[line] if real is not None and line < len(real) else line


def _as_fast(entry: Entry, real: list[int] | None = None) -> FastEntry:
    """bibtexparser's entry in the fast splitter's shape (the reader reads one shape)."""
    fields: list[FastField] = [
        (f.key, f.value, _real_line(f.start_line, real), None) for f in entry.fields
    ]
    return FastEntry(entry.entry_type, entry.key, fields, _real_line(entry.start_line, real))


def _as_fast_string(block: String, real: list[int] | None) -> FastString:
    return FastString(block.key, block.value, _real_line(block.start_line, real))


def _hint(reason: str, raw: str) -> str:
    """A likelier cause for the splitter's messages about a missing key or comma."""
    if not reason.startswith("Expected comma after entry key, but found ="):
        return ""
    head = raw.split("{", 1)[-1].split("=", 1)[0]
    words = head.split()
    if len(words) >= 2:
        return f" (a comma is missing after the key '{words[0]}')"
    return " (the entry has no key: it starts with a field)"


def _when(f: dict[str, str]) -> tuple[int | None, int | None, int | None]:
    year, month, day = parse_date(f.get("date"))
    if f.get("year"):
        year = year_number(f["year"]) or year
    if f.get("month"):
        month = month_number(f["month"]) or month
        if f["month"][:1].isdigit() and not f["month"].strip().isdigit():
            day = day_number(f["month"]) or day  # "1~" # mar
    if f.get("day"):
        day = day_number(f["day"]) or day
    return year, month, day


def _page_urls(f: dict[str, str]) -> list[str]:
    """The links of `url`, `html` and `howpublished` (`\\url{...}`), in that order."""
    found: list[str] = []
    for name in ("url", "html", "howpublished"):
        value = f.get(name)
        if value and (name != "howpublished" or "\\url" in value or "://" in value):
            found.extend(u for u in linkfields.urls(value) if u not in found)
    return found


def _identifiers(f: dict[str, str], page_urls: list[str]) -> Identifiers:
    get = f.get
    arxiv = None
    eprint = get("eprint")
    if eprint and eprint.strip():
        prefix = get("archiveprefix") or get("eprinttype") or ""
        if not prefix or prefix.strip().lower() in ("arxiv", ""):
            arxiv = normalize_arxiv_id(eprint.strip())
    if not arxiv and get("arxiv"):
        arxiv = normalize_arxiv_id(f["arxiv"])
    if not arxiv and page_urls:
        arxiv = next(filter(None, map(linkfields.arxiv_in_url, page_urls)), None)
    if not arxiv:
        for name in ("journal", "journaltitle", "howpublished", "note"):
            text = get(name, "")
            if "arxiv" not in text.lower():
                continue
            m = _ARXIV_URL.search(text)
            if m:
                arxiv = normalize_arxiv_id(unescape_url(m.group(1)))
            if not arxiv and name != "note":
                found = _arxiv_in_text(text)
                arxiv = normalize_arxiv_id(found) if found else None
            if arxiv:
                break
    doi = None
    raw_doi = get("doi")
    if raw_doi:
        doi = normalize_doi(unescape_url(raw_doi).replace("{", "").replace("}", ""))
        if not doi:  # several DOIs, HTML, `\\url{...}` or a DOI link with text around it
            doi = next(filter(None, map(linkfields.doi_in_url, linkfields.urls(raw_doi))), None)
    if not doi and page_urls:
        doi = next(filter(None, map(linkfields.doi_in_url, page_urls)), None)
    if doi and doi.startswith(ARXIV_DOI_PREFIX) and arxiv_id_from_doi(doi):
        arxiv = arxiv or arxiv_id_from_doi(doi)
        doi = None
    s2 = get("semantic_scholar") or get("s2_id")
    openalex = get("openalex")
    corpus = get("s2_corpus_id") or get("corpus_id") or get("corpusid")
    acl = None
    for url in page_urls:
        # Only the last "aclanthology.org/" can start a match (the id runs to the
        # end and holds no "/"): searching from there keeps this linear.
        at = url.lower().rfind("aclanthology.org/")
        m = _ACL_URL.search(url, at) if at != -1 else None
        if m:
            acl = m.group(1)
            break
    if acl is None and doi:
        m = _ACL_DOI.match(doi)
        acl = m.group(1) if m else None
    return Identifiers(
        arxiv=arxiv,
        doi=doi,
        semantic_scholar=normalize_id("semantic_scholar", s2) if s2 else None,
        openalex=normalize_id("openalex", openalex) if openalex else None,
        corpus_id=corpus.strip() if corpus and corpus.strip().isdigit() else None,
        acl=acl,
    )


def _kind(
    entry_type: str, f: dict[str, str], ids: Identifiers, journal: str, booktitle: str
) -> str:
    looks_preprint = (ids.arxiv and not journal and not booktitle) or _names_a_preprint(
        f"{journal} {f.get('howpublished', '')}"
    )
    if looks_preprint and entry_type not in _THESIS_TYPES and entry_type not in _BOOK_TYPES:
        return "preprint"
    if entry_type in ("misc", "online", "unpublished") and f.get("eprint"):
        return "preprint"
    if entry_type in _CONFERENCE_TYPES:
        return "conference"
    if entry_type == "article":
        return "journal" if journal else "other"
    if entry_type in _THESIS_TYPES:
        return "thesis"
    if entry_type in _BOOK_TYPES:
        return "book"
    if entry_type in _CHAPTER_TYPES:
        return "chapter"
    if entry_type in _REPORT_TYPES:
        return "report"
    return "other"


def _links(f: dict[str, str], ids: Identifiers, page_urls: list[str]) -> list[Link]:
    """arXiv, DOI, PDF, Code, Slides, Poster, Recording, Website: each address once."""
    found: list[tuple[str, str | None]] = []
    if ids.arxiv:
        found.append(("arXiv", f"https://arxiv.org/abs/{ids.arxiv}"))
    if ids.doi:
        found.append(("DOI", f"https://doi.org/{ids.doi}"))
    pdf = f.get("pdf")
    pdf_url = linkfields.link(pdf) if pdf else None
    if not pdf_url:
        pdf_url = next((u for u in page_urls if u.lower().endswith(".pdf")), None)
    found.append(("PDF", pdf_url))
    for name, label in _LINK_FIELDS:
        value = f.get(name)
        if value:  # (most entries have none of these)
            found.append((label, linkfields.link(value)))
    website: str | None = None
    for url in page_urls:
        if _same_as_id_link(url, ids):
            continue  # `url = {https://doi.org/... , https://real.page}`: the next one
        website = url
        break
    if not page_urls:
        # a relative `url = {paper.html}` (al-folio) is kept; text that is no link is not
        website = linkfields.link(f.get("url")) or linkfields.link(f.get("html"))
    found.append(("Website", website))
    links: list[Link] = []
    used: set[str] = set()
    for label, address in found:
        if address and address not in used:
            used.add(address)
            links.append(Link(label, address))
    return links


_LINK_FIELDS = (
    ("code", "Code"),
    ("slides", "Slides"),
    ("poster", "Poster"),
    ("video", "Recording"),
)


def _same_as_id_link(url: str, ids: Identifiers) -> bool:
    """A `url` that is just the arXiv or DOI page already linked."""
    if ids.arxiv and "arxiv.org/abs/" in url and normalize_arxiv_id(url) == ids.arxiv:
        return True
    if "doi.org/" in url.lower():
        # the DOI's own page, or the arXiv DOI of the preprint already linked
        doi = normalize_doi(url)
        return doi is not None and (doi == ids.doi or arxiv_id_from_doi(doi) == ids.arxiv)
    return False


def read_string(
    text: str, file: str = "<string>", *, talks: bool = False, macros: dict[str, str] | None = None
) -> Library:
    """Parse BibTeX text (tests, tools): a Library with its problems."""
    reader = Reader()
    if macros:
        reader.macros.update({k.lower(): v for k, v in macros.items()})
    with gc_paused():
        reader.add_text(text, file, talk=talks)
        return reader.finish()


def read_file(
    path: str | Path,
    *,
    talks: bool = False,
    encoding: str | None = None,
    root: Path | None = None,
) -> Library:
    """Parse one .bib file (any encoding, see encoding.py); BibError if unreadable."""
    reader = Reader(root, encoding)
    with gc_paused():
        reader.add_file(Path(path), talk=talks)
        return reader.finish()


def read_files(
    paths: list[Path],
    *,
    talk_paths: list[Path] | None = None,
    encoding: str | None = None,
    root: Path | None = None,
) -> Library:
    """Several files in order (macros of earlier files visible in later ones)."""
    reader = Reader(root, encoding)
    with gc_paused():
        for path in paths:
            reader.add_file(Path(path))
        for path in talk_paths or []:
            reader.add_file(Path(path), talk=True)
        return reader.finish()
