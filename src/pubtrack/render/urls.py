"""Which URLs may become links, in every output format alike.

A CV links to web pages, papers and mail addresses. ``javascript:``,
``data:``, ``vbscript:``, ``file:`` (and any other scheme) are dropped, also
when hidden behind HTML entities (``&#106;avascript&colon;``), mixed case,
or tabs and newlines a browser would strip. Linear time in the URL's length.
"""

from __future__ import annotations

import html
import re

SAFE_SCHEMES = frozenset({"http", "https", "ftp", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# What browsers ignore inside a URL (and what a .bib should never hold anyway).
_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def safe_url(url: str | None) -> str | None:
    """The URL, stripped, when it is safe to link to; None when it must be dropped."""
    if not url:
        return None
    text = _IGNORED.sub(" ", str(url)).strip()
    if not text:
        return None
    probe = text
    for _ in range(3):  # &amp;#106; decodes to &#106; decodes to j
        decoded = html.unescape(probe)
        if decoded == probe:
            break
        probe = decoded
    probe = _IGNORED.sub("", probe)
    # A scheme ends at the first ':' before any '/', '?' or '#'.
    head = re.split(r"[/?#]", probe, maxsplit=1)[0]
    match = _SCHEME.match(head)
    if match is None:
        if ":" in head or "\\" in probe[:2]:
            return None  # "java script:", "\\host\share": nothing a CV links to
        return text  # relative: "papers/x.pdf", "//host/path"
    if match.group(1).lower() not in SAFE_SCHEMES:
        return None
    return text
