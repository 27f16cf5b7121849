"""Markdown (GitHub flavour): numbered items with hard line breaks, a talks table.

Text is escaped so that titles like "*Star* [1] <tag> | x" or "1. Intro" never
turn into emphasis, links, HTML, table cells or a new list.
"""

from __future__ import annotations

import re

from pubtrack.render.base import Format

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$])")
_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&amp;" would be read as an entity
_LINE_START = re.compile(r"^(?:([#+=-])|(\d+)([.)])(?=\s|$))")
_NEEDS_ESCAPE = re.compile(r"[\\`*_\[\]<>|~$&]|^(?:[#+=-]|\d)")
_URL_UNSAFE = str.maketrans(
    {c: f"%{ord(c):02X}" for c in ' ()<>\\`"'} | {chr(i): f"%{i:02X}" for i in range(32)}
)
_URL_NEEDS_ESCAPE = re.compile(r'[\x00-\x20()<>\\`"]')  # exactly the keys of _URL_UNSAFE


def _escape_line_start(m: re.Match[str]) -> str:
    """'# x' -> '\\# x'; '1. x' -> '1\\. x' (a backslash before a digit escapes nothing)."""
    return f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}"


class Markdown(Format):
    name = "md"
    templates = {"default": "publications.md.j2", "compact": "compact.md.j2"}

    def escape(self, text: str) -> str:
        if not _NEEDS_ESCAPE.search(text):
            return text  # the common case, and render's hot path
        text = _ENTITY.sub(r"\\&", _SPECIAL.sub(r"\\\1", text))
        # Whatever starts the text may start a line: "# x", "- x", "1. x" stay text.
        return _LINE_START.sub(_escape_line_start, text)

    def url(self, url: str) -> str:
        url = url.strip()
        # translate() with a dict looks up every character: skip it when nothing would change.
        return url.translate(_URL_UNSAFE) if _URL_NEEDS_ESCAPE.search(url) else url

    def strong(self, escaped: str) -> str:
        return f"**{escaped}**"

    def emph(self, escaped: str) -> str:
        return f"*{escaped}*"

    def link(self, label: str, url: str) -> str:
        return f"[{self.escape(label)}]({self.url(url)})"


MARKDOWN = Markdown()
