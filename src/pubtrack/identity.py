"""Identifier normalisation (arXiv ids, DOIs).

Every id is stored and compared in one canonical form, so that
``arXiv:2410.12178v2``, ``https://arxiv.org/pdf/2410.12178.pdf`` and
``2410.12178`` are the same work, and so are ``DOI:10.18653/V1/...`` and
``https://doi.org/10.18653/v1/...``.
"""

from __future__ import annotations

import re

# New-style (0704.0001 onwards, 4 or 5 digits after the dot) and old-style
# (archive[.subject]/YYMMNNN) arXiv ids, with an optional version.
_ARXIV_NEW = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?P<version>v\d+)?", re.IGNORECASE)
_ARXIV_OLD = re.compile(
    r"(?P<id>[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?P<version>v\d+)?", re.IGNORECASE
)
_ARXIV_PREFIX = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)", re.IGNORECASE
)
_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/|https?://doi\.org/)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
ARXIV_DOI_PREFIX = "10.48550/arxiv."


def split_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """('2410.12178', 2) from any spelling of an arXiv id; None if it is not one."""
    if not text:
        return None
    value = _ARXIV_PREFIX.sub("", text.strip())
    if value.lower().endswith(".pdf"):
        value = value[:-4]
    value = value.rstrip("/")
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.fullmatch(value)
        if match:
            version = match.group("version")
            arxiv_id = match.group("id")
            if pattern is _ARXIV_OLD:
                archive, number = arxiv_id.split("/")
                arxiv_id = f"{archive.lower()}/{number}"
            return arxiv_id, int(version[1:]) if version else None
    return None


def normalize_arxiv_id(text: str | None) -> str | None:
    """Canonical arXiv id without version ('2410.12178', 'hep-th/9901001')."""
    parts = split_arxiv_id(text)
    return parts[0] if parts else None


def normalize_doi(text: str | None) -> str | None:
    """Canonical DOI: lower case, no resolver prefix; None if it is not a DOI."""
    if not text:
        return None
    value = _DOI_PREFIX.sub("", text.strip()).strip()
    value = value.rstrip(".,;")
    if not _DOI.match(value):
        return None
    return value.lower()


def arxiv_doi(arxiv_id: str) -> str:
    """The DataCite DOI arXiv assigns: 10.48550/arxiv.<id> (lower case, canonical)."""
    return f"{ARXIV_DOI_PREFIX}{arxiv_id.lower()}"


def arxiv_id_from_doi(doi: str | None) -> str | None:
    """'2410.12178' from '10.48550/arXiv.2410.12178'; None for other DOIs."""
    value = normalize_doi(doi)
    if value and value.startswith(ARXIV_DOI_PREFIX):
        return normalize_arxiv_id(value[len(ARXIV_DOI_PREFIX) :])
    return None
