"""Links and ids inside link-carrying fields (``url``, ``howpublished``, ``pdf``, ...).

Real bibliographies put more than one URL in ``url``, paste HTML
(``<a href="...">...</a>``), write ``doi:10.1234/x`` or a bare DOI, or wrap
the address in ``\\url{...}`` inside ``howpublished``. These helpers pull out
the addresses a page can link to, so that a DOI becomes a DOI link and no
"Website" link is ever built from markup such as ``doi:<a``.
"""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from pubtrack.identity import normalize_arxiv_id, normalize_doi

_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_URL_COMMAND = re.compile(r"\\(?:url|nolinkurl|path)\s*\{([^{}]*)\}|\\href\s*\{([^{}]*)\}")
_CANDIDATE = re.compile(
    r"""(?:https?|ftp)://[^\s<>"'{}\\|^`]+
      |(?<![\w/.])doi:\s*10\.\d{4,9}/[^\s<>"'{}]+
      |(?<![\w/.])10\.\d{4,9}/[^\s<>"'{}]+
      |(?<![\w/.])arxiv:\s*(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[a-z][a-z\-]*)?/\d{7})(?:v\d+)?""",
    re.IGNORECASE | re.X,
)
# A DOI inside a publisher's URL: .../doi/[abs/|full/|pdf/]10.x/y, Springer's
# /article/10.x/y and /chapter/..., APS's /abstract/10.x/y, IOP's /article/...
_DOI_IN_PATH = re.compile(
    r"/(?:doi(?:/(?:abs|full|pdf|epdf|reader|book))?|article|chapter|abstract|book)"
    r"/(10\.\d{4,9}/[^?#\s]+)",
    re.IGNORECASE,
)
_DOI_TAIL = re.compile(r"(?:/(?:pdf|meta|full|fulltext|abstract|epdf|html))+/?$|\.pdf$", re.I)
_TRAILING = ".,;:"
_PLAIN_URL = re.compile(r"[^\s<>\"'{}\\|^`,;]+")


def _clean(url: str) -> str:
    url = url.rstrip(_TRAILING)
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(_TRAILING)
    return url


def _unescape(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\_", "_").replace("\\%", "%").replace("\\&", "&")
        text = text.replace("\\#", "#").replace("\\~{}", "~").replace("\\~", "~")
    return text


def _plain(value: str) -> str:
    """The field's text with HTML reduced to its hrefs and LaTeX link commands to their URL."""
    text = value
    if "<" in text and ">" in text:
        hrefs = [next(g for g in m.groups() if g is not None) for m in _HREF.finditer(text)]
        # the anchors' targets first, then their text (which may hold a DOI)
        text = html.unescape(" ".join([*hrefs, _TAG.sub(" ", text)]))
    if "\\" in text:
        text = _URL_COMMAND.sub(lambda m: f" {m.group(1) or m.group(2)} ", text)
        text = _unescape(text)
    if "{" in text or "}" in text:
        text = text.replace("{", "").replace("}", "")
    return text


def urls(value: str | None) -> list[str]:
    """Every absolute link in a field value, in order, without duplicates.

    ``doi:10.1/x`` and bare DOIs become ``https://doi.org/...``, ``arXiv:id``
    becomes its abstract page; HTML anchors give their ``href``.
    """
    if not value:
        return []
    if value.startswith(("https://", "http://")) and _PLAIN_URL.fullmatch(value):
        return [_clean(value)]  # the common case: one plain URL
    found: list[str] = []
    for m in _CANDIDATE.finditer(_plain(value)):
        raw = _clean(m.group())
        lower = raw.lower()
        if lower.startswith(("http://", "https://", "ftp://")):
            url = raw
        elif lower.startswith("arxiv:"):
            arxiv = normalize_arxiv_id(raw)
            if not arxiv:
                continue
            url = f"https://arxiv.org/abs/{arxiv}"
        else:
            doi = normalize_doi(raw)
            if not doi:
                continue
            url = f"https://doi.org/{doi}"
        if url not in found:
            found.append(url)
    return found


def link(value: str | None) -> str | None:
    """The one link of a single-link field (``pdf``, ``code``, ``slides``, ``video``).

    An absolute URL when there is one; otherwise a relative path as written
    (al-folio's ``pdf = {paper.pdf}``); None for text that is no link at all.
    """
    if not value:
        return None
    found = urls(value)
    if found:
        return found[0]
    text = _plain(value).strip()
    if not text or any(c in text for c in " \t\n<>\"'") or re.match(r"^[a-z][\w+.-]*:", text, re.I):
        return None
    return text


def only_link(value: str) -> bool:
    """`\\url{https://…}` or a bare URL and nothing else: a link, not a venue or event."""
    text = value.strip()
    if text.startswith("\\url") or text.startswith("\\href"):
        m = _URL_COMMAND.match(text)
        return bool(m) and m.end() == len(text)
    return bool(re.fullmatch(r"(?:https?|ftp)://\S+", text))


def doi_in_url(url: str) -> str | None:
    """The DOI a URL names: doi.org links, and publisher paths such as ``/doi/10.x/y``."""
    if "10." not in url:
        return None
    doi = normalize_doi(url)
    if doi:
        return doi
    m = _DOI_IN_PATH.search(url)
    if not m:
        return None
    return normalize_doi(_DOI_TAIL.sub("", unquote(m.group(1))))


def arxiv_in_url(url: str) -> str | None:
    """The arXiv id of an arxiv.org abstract/PDF link (or an arXiv DOI link)."""
    lower = url.lower()
    if "arxiv.org/" in lower:
        return normalize_arxiv_id(url.split("?", 1)[0].split("#", 1)[0])
    return None
