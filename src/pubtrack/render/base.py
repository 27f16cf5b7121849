"""What a text format is: its escaping, its emphasis, its links; and the Jinja set-up.

Each format module (markdown, html, latex) subclasses ``Format``. Templates
(bundled or the user's own) get the same filters in every format, so one
template idea works everywhere while escaping stays right for each:

``text``     escape for the format and turn emphasis markers into its emphasis
``plain``    drop emphasis markers (no escaping)
``url``      escape a URL for the format
``link``     ``link(label, url)``: a hyperlink
``authors``  a whole author list, owner highlighted, marks kept, "…" for gaps
``links``    a work's or talk's links joined by the format's separator
``cited_by`` "Cited by N (Source, 28 Nov 2026)" (plus other sources), or ""
``sentence`` add a final period unless there is one
``joined``   ``parts|joined(sep)``: the non-empty parts joined by sep
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from pubtrack.errors import BadInputError
from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN, Link, plain
from pubtrack.render.context import AuthorView, CitationView, PublicationView
from pubtrack.render.urls import safe_url

TEMPLATE_DIR = Path(__file__).parent / "templates"
_CACHE_LIMIT = 200_000  # escaped strings remembered per format (names and venues repeat)


class Format:
    """Plain-text defaults; subclasses override the escaping and markup."""

    name = "text"
    autoescape = False
    separator = " · "  # between links, between venue and award
    ellipsis = "…"
    templates = {"default": "", "compact": ""}
    sparklines = True  # block characters most LaTeX fonts lack: Latex turns this off

    def __init__(self) -> None:
        self._text_cache: dict[str, str] = {}
        self._author_cache: dict[tuple[Any, ...], str] = {}

    # -- escaping --------------------------------------------------------
    def escape(self, text: str) -> str:
        return text

    def url(self, url: str) -> str:
        return url

    def markup(self, text: str) -> str:
        """Mark text that is already in the target format as safe (HTML only)."""
        return text

    # -- markup built from escaped pieces --------------------------------
    def strong(self, escaped: str) -> str:
        return escaped

    def emph(self, escaped: str) -> str:
        return escaped

    def owner(self, escaped: str) -> str:
        return self.strong(escaped)

    def mark(self, marks: str) -> str:
        return self.escape(marks)

    def link(self, label: str, url: str) -> str:
        return self.markup(f"{self.escape(label)} ({self.url(url)})")

    def safe_link(self, label: str, url: str) -> str:
        """``link``, or just the label when the URL may not be linked (see urls.py)."""
        checked = safe_url(url)
        return self.link(label, checked) if checked else self.markup(self.escape(label))

    # -- filters -----------------------------------------------------------
    def text(self, value: Any, bold: bool = False) -> str:
        """Escape, then turn the reader's emphasis markers into this format's.

        ``bold=True`` for text the template already sets in bold: inner bold
        markers are dropped (Markdown cannot nest ``**`` in ``**``).
        """
        key = str(value or "")
        if bold and STRONG_OPEN in key:
            key = key.replace(STRONG_OPEN, "").replace(STRONG_CLOSE, "")
        done = self._text_cache.get(key)
        if done is None:
            escaped = self.escape(" ".join(key.split()))
            if EM_OPEN in escaped or STRONG_OPEN in escaped:
                escaped = _replace_markers(escaped, self)
            done = self.markup(escaped)
            if len(self._text_cache) > _CACHE_LIMIT:
                self._text_cache.clear()
            self._text_cache[key] = done
        return done

    def sentence(self, value: str) -> str:
        """End with a period unless the text already ends a sentence ("et al.", "?")."""
        if not value or plain(str(value)).rstrip().endswith((".", "?", "!")):
            return value
        return self.markup(value + ".") if isinstance(value, str) else value

    def join(self, parts: list[str], sep: str) -> str:
        """Join already escaped pieces, skipping empty ones."""
        return self.markup(sep.join(p for p in parts if p))

    def joined(self, parts: list[Any], sep: str) -> str:
        """Template filter: like ``select|join``, in one step (render's hot path)."""
        return self.markup(sep.join([p for p in parts if p]))

    def authors(self, authors: list[AuthorView], style: str = "full") -> str:
        short = style == "short"
        cache = self._author_cache
        parts: list[str] = []
        append = parts.append  # render's hot loop: about seven authors per work
        for a in authors:
            if a.is_ellipsis:
                append(self.ellipsis)
                continue
            author = a.author
            assert author is not None  # only the ellipsis has none
            key = (
                author.first,
                author.von,
                author.last,
                author.jr,
                author.marks,
                author.is_others,
                a.is_owner,
                short,
            )
            done = cache.get(key)
            if done is None:
                name = self.escape(a.short if short and not a.is_owner else a.name)
                if a.is_owner:
                    name = self.owner(name)
                done = name + (self.mark(a.marks) if a.marks else "")
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                cache[key] = done
            append(done)
        return self.join(parts, ", ")

    def links(self, links: list[Link], sep: str | None = None, lower: bool = False) -> str:
        """The links a work may show (unsafe URLs are left out, see urls.py), joined."""
        link = self.link
        parts = []
        for k in links:
            url = safe_url(k.url)
            if url:
                parts.append(link(_lower(k.label) if lower else k.label, url))
        return self.join(parts, self.separator if sep is None else sep)

    def cited_by(self, pub: PublicationView, others: bool = True, short: bool = False) -> str:
        c = pub.citation
        if c is None:
            return self.markup("")
        url = pub.cited_by_url if pub.link_citations else None
        if short or pub.citation_style != "full":
            words = {"number": str(c.count), "count": f"Cited by {c.count}"}.get(
                pub.citation_style, f"cited by {c.count}"
            )
            if short and pub.citation_style == "full":
                words = f"cited by {c.count}"
            return self.link(words, url) if url else self.markup(self.escape(words))
        head = f"Cited by {c.count}"
        first = str(self.link(head, url)) if url else self.escape(head)
        first += self.escape(f" ({c.label}, {c.date})")
        if pub.sparkline and self.sparklines:
            first += self.escape(f" {pub.sparkline}")
        parts = [first]
        if others:
            parts += [self.escape(_other(o, c)) for o in pub.other_citations]
        return self.join(parts, self.separator)

    def legend(self, legend: list[tuple[str, str]]) -> str:
        """ "* Equal contribution · † Corresponding author" (marks as set by the list)."""
        return self.join(
            [self.mark(mark) + " " + self.escape(meaning) for mark, meaning in legend],
            self.separator,
        )


def _other(o: CitationView, primary: CitationView) -> str:
    """'OpenAlex 39', with its own date when it differs from the main count's."""
    return f"{o.label} {o.count}" + ("" if o.date == primary.date else f" ({o.date})")


def _lower(label: str) -> str:
    """'Code' -> 'code' but 'arXiv', 'DOI', 'PDF' stay (the compact style)."""
    return label.lower() if label[1:].islower() else label


_MARKER_PAIRS = (
    (re.compile(f"{EM_OPEN}([^{EM_OPEN}-{STRONG_CLOSE}]*){EM_CLOSE}"), "emph"),
    (re.compile(f"{STRONG_OPEN}([^{EM_OPEN}-{STRONG_CLOSE}]*){STRONG_CLOSE}"), "strong"),
)


def _replace_markers(escaped: str, fmt: Format) -> str:
    """Markers -> format emphasis, innermost pairs first; unbalanced ones are dropped."""

    def wrap(how: str) -> Callable[[re.Match[str]], str]:
        def repl(match: re.Match[str]) -> str:
            inner = match.group(1)
            core = inner.strip()
            if not core:
                return inner
            # Spaces stay outside: "* x*" is not emphasis in Markdown.
            lead = inner[: len(inner) - len(inner.lstrip())]
            trail = inner[len(inner.rstrip()) :]
            return lead + getattr(fmt, how)(core) + trail

        return repl

    while True:
        new = escaped
        for pattern, how in _MARKER_PAIRS:
            new = pattern.sub(wrap(how), new)
        if new == escaped:
            return plain(new)
        escaped = new


# ---------------------------------------------------------------------------
# Jinja
# ---------------------------------------------------------------------------


def _file_stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class _FileLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, whose compiled templates are reused only while the file's
    size, mtime and change time are those it was read with. Jinja checks the mtime
    alone: an edit that restores it (which the output cache's key, made of the
    contents, notices) would render the old template in a process that renders
    twice. The change time moves with every write and every time reset."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        candidates = (posixpath.join(p, *pieces) for p in self.searchpath)
        found = next((f for f in candidates if os.path.isfile(f)), None)
        if found is None:
            return super().get_source(environment, template)  # raises TemplateNotFound
        path: str = found
        stamp = _file_stamp(path)  # taken before reading: an edit meanwhile only reloads
        contents, filename, _ = super().get_source(environment, template)
        return contents, filename, lambda: stamp is not None and _file_stamp(path) == stamp


def make_environment(fmt: Format, template_dir: Path | None = None) -> jinja2.Environment:
    """Bundled templates (and the directory of a user's template), this format's filters."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(_FileLoader(str(template_dir)))
    loaders.append(_FileLoader(str(TEMPLATE_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=fmt.autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        text=fmt.text,
        plain=plain,
        url=fmt.url,
        authors=fmt.authors,
        links=fmt.links,
        cited_by=fmt.cited_by,
        sentence=fmt.sentence,
        joined=fmt.joined,
        legend=fmt.legend,
    )
    env.globals.update(link=fmt.safe_link, format=fmt.name)
    return env


@lru_cache(maxsize=16)
def _environment(fmt_name: str, template_dir: str | None) -> jinja2.Environment:
    from pubtrack.render.formats import FORMATS

    return make_environment(FORMATS[fmt_name], Path(template_dir) if template_dir else None)


def render_template(
    fmt: Format,
    context: dict[str, Any],
    *,
    style: str,
    template: Path | None = None,
    name: str | None = None,
) -> str:
    """Render with the user's template when given, else the bundled one for the style
    (or the bundled template ``name``)."""
    try:
        if template is not None:
            env = _environment(fmt.name, str(template.resolve().parent))
            tmpl = env.get_template(template.name)
        else:
            env = _environment(fmt.name, None)
            tmpl = env.get_template(name or fmt.templates[style])
        return tmpl.render(context)
    except jinja2.TemplateNotFound as exc:
        raise BadInputError(f"{template or exc.name}: template not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise BadInputError(f"{exc.filename or template}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        where = template or fmt.templates[style]
        raise BadInputError(f"{where}: {exc.message} (see the README for the variables)") from None
