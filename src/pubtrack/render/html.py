"""HTML fragment: <section>s with <h2>, an <ol> of works, a talks <table>.

Jinja autoescape is on: anything from the bib (a title holding ``<script>``)
is inert; filters return ``Markup`` built from escaped pieces only. Class
names (``pubtrack-…``) are there for the user's stylesheet.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from pubtrack.render.base import Format
from pubtrack.render.urls import safe_url


class Html(Format):
    name = "html"
    autoescape = True
    templates = {"default": "publications.html.j2", "compact": "compact.html.j2"}

    def escape(self, text: str) -> str:
        return str(escape(text))

    def url(self, url: str) -> str:
        # Links with other schemes never get here (Format.links, safe_link drop
        # them); an unsafe URL given to url() directly becomes an empty href.
        checked = safe_url(url)
        if checked is None:
            return ""
        return str(escape(checked.replace(" ", "%20")))

    def markup(self, text: str) -> str:
        return Markup(text)

    def joined(self, parts: list[Any], sep: str) -> str:
        """Parts that are not Markup (plain template strings) are escaped here."""
        return Markup(escape(sep)).join([p for p in parts if p])

    def strong(self, escaped: str) -> str:
        return f"<strong>{escaped}</strong>"

    def emph(self, escaped: str) -> str:
        return f"<em>{escaped}</em>"

    def owner(self, escaped: str) -> str:
        return f'<strong class="pubtrack-owner">{escaped}</strong>'

    def mark(self, marks: str) -> str:
        return f'<sup class="pubtrack-mark">{self.escape(marks)}</sup>'

    def link(self, label: str, url: str) -> str:
        return Markup(f'<a href="{self.url(url)}">{self.escape(label)}</a>')


HTML = Html()
