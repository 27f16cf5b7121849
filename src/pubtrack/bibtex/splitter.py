"""A fast path for bibtexparser's splitter, for files made only of ordinary blocks.

Profiling a cold render of a 10,000-entry bib showed most of the reader's time
in bibtexparser's ``Splitter``: it steps from mark to mark (braces, quotes,
commas, equals signs and every newline) through several method calls each.
``split_fast`` runs the same state machine over the same marks in one
function, leaves newlines out (line numbers come from counting them between
marks) and builds plain objects. It handles ``{``-delimited entries,
``@string``, ``@preamble`` and ``@comment`` blocks, and gives up (returns None)
on anything else: a ``(``-delimited block, a syntax error, a duplicate field.
The reader then splits that file with bibtexparser as before, so every
problem is still reported exactly as bibtexparser sees it. A test checks that
both agree, block for block, on every file of the shared corpora.
"""

from __future__ import annotations

import re

# bibtexparser's marks (splitter._MARK_PATTERN) without the newline.
_MARK = re.compile(r"(?<!\\)[\{\}\",=]|@[\w]*( |\t)*(?=[{(])")
# An ordinary field and what ends it: no mark inside the value (no nested brace, no
# quote, no '@', no backslash before a delimiter or another backslash), so that
# bibtexparser's mark-by-mark reading would find the same name, value and end.
_PLAIN = r"[^{}\"@\\]*(?:\\[^{}\"\\][^{}\"@\\]*)*"  # unrolled: (?:[^..]|\\[^..])*
_FIELD = re.compile(
    r"\s*([^\s{}\",=@\\%#]+)\s*(=)\s*"
    r"(\{(" + _PLAIN + r")\}|\"(" + _PLAIN + r")\"|[^\s{}\",=@#\\]+)"
    r"\s*([,}])"
)
_CLOSE = re.compile(r"\s*\}")


# One field as (name, raw value, 0-based line, inner): ``inner`` is the text between
# the delimiters of a value that is one braced or quoted group with no brace, quote
# or '#' inside (most values), else None: the reader then needs no macro or brace
# handling, only white-space cleaning. Tuples, not objects: a large bib has
# hundreds of thousands of fields.
FastField = tuple[str, str, int, str | None]


class FastEntry:
    __slots__ = ("entry_type", "key", "fields", "start_line")

    def __init__(self, entry_type: str, key: str, fields: list[FastField], start_line: int):
        self.entry_type = entry_type
        self.key = key
        self.fields = fields
        self.start_line = start_line


class FastString:
    __slots__ = ("key", "value", "start_line")

    def __init__(self, key: str, value: str, start_line: int) -> None:
        self.key = key
        self.value = value
        self.start_line = start_line


class _GiveUp(Exception):
    """Something bibtexparser's splitter would handle differently: use it instead."""


class FastPreamble:
    """``@preamble{...}``: the text between the braces, as bibtexparser keeps it."""

    __slots__ = ("value", "start_line")

    def __init__(self, value: str, start_line: int) -> None:
        self.value = value
        self.start_line = start_line


Block = FastEntry | FastString | FastPreamble


def split_fast(text: str) -> list[Block] | None:
    """The entries and @string blocks of ``text`` as bibtexparser's splitter finds
    them (same keys, raw values and 0-based start lines), or None to use bibtexparser."""
    try:
        return _split(text)
    except _GiveUp:
        return None


def _split(text: str) -> list[Block]:
    blocks: list[Block] = []
    marks = _MARK.finditer(text)
    count = text.count
    line = 0  # newlines before ``at``
    at = 0

    def line_of(pos: int) -> int:
        nonlocal line, at
        line += count("\n", at, pos)
        at = pos
        return line

    def at_line_start(pos: int) -> bool:
        start = text.rfind("\n", 0, pos) + 1
        return not text[start:pos].strip()

    def value_end(start: int) -> tuple[int, str]:
        """bibtexparser's _move_to_comma_or_closing_delimiter: (index, mark).

        A value in braces or quotes with nothing inside that is a mark to the
        state machine (no nested brace, no escaped delimiter, no '@') is skipped
        in one step: most values are like that, and their commas (author lists)
        would otherwise be visited one by one.
        """
        nonlocal marks
        p = start
        while text[p : p + 1] in (" ", "\t", "\n"):
            p += 1
        opener = text[p : p + 1]
        if opener == "{" or opener == '"':
            close = text.find("}" if opener == "{" else '"', p + 1)
            if close > 0 and text[close - 1] != "\\":
                inner = text[p + 1 : close]
                if "{" not in inner and "}" not in inner and "@" not in inner and '"' not in inner:
                    q = close + 1
                    while text[q : q + 1] in (" ", "\t", "\n"):
                        q += 1
                    after = text[q : q + 1]
                    if after == "," or after == "}":
                        marks = _MARK.finditer(text, q + 1)
                        return q, after
        in_quotes = False
        depth = 0
        for m in marks:
            c = m.group()
            if c == '"':
                if depth:
                    continue
                if in_quotes:
                    pos = m.start()
                    if 0 < pos < len(text) - 2 and text[pos - 1] == "{" and text[pos + 1] == "}":
                        continue  # {"}: a literal quote inside quotes
                in_quotes = not in_quotes
            elif c == "{":
                if not in_quotes:
                    depth += 1
            elif c == "}":
                if in_quotes:
                    continue
                if depth:
                    depth -= 1
                else:
                    return m.start(), c
            elif c == ",":
                if not in_quotes and not depth:
                    return m.start(), c
            elif c[0] == "@" and at_line_start(m.start()):
                raise _GiveUp  # a block starts inside a value: an error bibtexparser reports
        raise _GiveUp  # end of file inside a value

    def closing_end() -> int:
        """bibtexparser's _move_to_closing_delimiter for a {-block: the closing brace."""
        depth = 0
        for m in marks:
            c = m.group()
            if c == "{":
                depth += 1
            elif c == "}":
                if not depth:
                    return m.start()
                depth -= 1
            elif c[0] == "@" and at_line_start(m.start()):
                raise _GiveUp
        raise _GiveUp

    while True:
        m = next(marks, None)  # (not a for loop: value_end may restart ``marks``)
        if m is None:
            break
        c = m.group()
        if c[0] != "@":
            continue  # implicit comment between blocks
        block_type = c[1:].strip().lower()
        start_line = line_of(m.start())
        if text[m.end()] != "{":
            raise _GiveUp  # (-delimited
        opening = next(marks, None)  # the "{" (always the next mark)
        if opening is None or opening.start() != m.end():
            raise _GiveUp
        if block_type.startswith("comment"):
            closing_end()
            continue
        if block_type.startswith("preamble"):
            end = closing_end()
            blocks.append(FastPreamble(text[opening.end() : end], start_line))
            continue
        if block_type.startswith("string"):
            equals = next(marks, None)
            if equals is None or equals.group() != "=":
                raise _GiveUp
            key = text[opening.end() : equals.start()].strip()
            end = closing_end()
            blocks.append(FastString(key, text[equals.end() : end].strip(), start_line))
            continue
        first = next(marks, None)
        if first is None:
            raise _GiveUp
        if first.group() == "}":
            key = text[opening.end() : first.start()].strip()
            blocks.append(FastEntry(block_type, key, [], start_line))
            continue
        if first.group() != ",":
            raise _GiveUp
        key = text[opening.end() : first.start()].strip()
        fields: list[FastField] = []
        names: set[str] = set()
        key_start = first.end()
        while True:
            # One C-level match for an ordinary field: `name = {text}` / "text" / word,
            # then `,` or the closing brace; anything else goes mark by mark below.
            fm = _FIELD.match(text, key_start)
            if fm is not None:
                name, value, braced, quoted, end_mark = fm.group(1, 3, 4, 5, 6)
                inner = braced if braced is not None else quoted
                if inner is not None and "#" in inner:
                    inner = None
                if name in names:
                    raise _GiveUp
                names.add(name)
                equals_at = fm.start(2)
                line += count("\n", at, equals_at)  # line_of, inlined: once per field
                at = equals_at
                fields.append((name, value, line, inner))
                key_start = fm.end()
                if end_mark == "}":
                    marks = _MARK.finditer(text, key_start)
                    break
                continue
            closing = _CLOSE.match(text, key_start)
            if closing is not None:  # a trailing comma, then the closing brace
                marks = _MARK.finditer(text, closing.end())
                break
            marks = _MARK.finditer(text, key_start)
            equals = next(marks, None)
            if equals is None:
                raise _GiveUp
            ec = equals.group()
            if ec == "}":
                if text[key_start : equals.start()].strip():
                    raise _GiveUp  # a dangling key
                break
            if ec != "=":
                raise _GiveUp
            field_line = line_of(equals.start())
            end, mark = value_end(equals.end())
            name = text[key_start : equals.start()].strip()
            if name in names:
                raise _GiveUp  # bibtexparser wraps the entry in a DuplicateFieldKeyBlock
            names.add(name)
            fields.append((name, text[equals.end() : end].strip(), field_line, None))
            if mark == "}":
                marks = _MARK.finditer(text, end + 1)
                break
            key_start = end + 1
        blocks.append(FastEntry(block_type, key, fields, start_line))
    return blocks
