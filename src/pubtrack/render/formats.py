"""The text formats by name (json is not a template format: see json.py)."""

from __future__ import annotations

from pubtrack.render.base import Format
from pubtrack.render.html import HTML
from pubtrack.render.latex import LATEX
from pubtrack.render.markdown import MARKDOWN

FORMATS: dict[str, Format] = {"md": MARKDOWN, "html": HTML, "tex": LATEX}
