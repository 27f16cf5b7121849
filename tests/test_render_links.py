"""Unsafe links are dropped in every format; tex URLs cannot run TeX."""

from __future__ import annotations

import pytest

from pubtrack.bibtex.reader import read_string
from pubtrack.render import RenderOptions, render_library
from pubtrack.render.urls import safe_url

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "&amp;#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "DATA:text/html,x",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "\\\\host\\share",
    "java script:alert(1)",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_safe_url_drops_dangerous_schemes(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    "url",
    ["https://example.org/a?b=1#c", "http://x.org", "mailto:me@x.org", "papers/a.pdf", "//h/p"],
)
def test_safe_url_keeps_links_a_cv_needs(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize("url", HOSTILE[:6] + HOSTILE[9:13])
@pytest.mark.parametrize("fmt", ["md", "html", "tex", "json"])
def test_hostile_links_are_dropped_in_every_format(url: str, fmt: str) -> None:
    bib = (
        "@article{a, title={Paper}, author={Ann Bee}, journal={J}, year=2020,"
        f" url={{{url}}}, code={{{url}}}, pdf={{https://ok.org/a.pdf}}}}\n"
    )
    text = render_library(read_string(bib), RenderOptions(format=fmt), owner_names=[])
    lowered = text.lower()
    for needle in ("javascript", "vbscript", "data:", "file:", "&#106;", "&colon;"):
        assert needle not in lowered, (fmt, needle)
    assert "https://ok.org/a.pdf" in text  # the safe link stays
    if fmt == "html":
        assert 'href="#"' not in text and 'href=""' not in text


def test_tex_url_cannot_read_a_file_or_escape_its_group() -> None:
    bib = (
        "@article{a, title={Paper}, author={Ann Bee}, journal={J}, year=2020,"
        " url={https://x.org/^^5cinput^^7b/etc/passwd^^7d\\\\input{x}#%}}\n"
    )
    text = render_library(read_string(bib), RenderOptions(format="tex"), owner_names=[])
    [href] = [line for line in text.splitlines() if "\\href{" in line]
    url = href.split("\\href{", 1)[1].split("}", 1)[0]
    assert "^" not in url and "\\input" not in url and "{" not in url
    # Whatever the reader keeps of such a URL, the tex format neutralises it:
    from pubtrack.render.latex import LATEX

    raw = LATEX.url("https://x.org/^^5cinput^^7b/etc/passwd^^7d\\input{x}#%")
    assert "^" not in raw and "\\input" not in raw and "{" not in raw and "}" not in raw
    assert "%5E%5E5c" in raw and "%5Cinput%7Bx%7D" in raw and raw.endswith("\\#\\%")
