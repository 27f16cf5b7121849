"""Identifier normalisation (arXiv ids, DOIs).

Every id is stored and compared in one canonical form, so that
``arXiv:2410.12178v2``, ``https://arxiv.org/pdf/2410.12178.pdf`` and
``2410.12178`` are the same work, and so are ``DOI:10.18653/V1/...`` and
``https://doi.org/10.18653/v1/...``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

# New-style (0704.0001 onwards, 4 or 5 digits after the dot) and old-style
# (archive[.subject]/YYMMNNN) arXiv ids, with an optional version.
_ARXIV_NEW = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?P<version>v\d+)?", re.IGNORECASE)
_ARXIV_OLD = re.compile(
    r"(?P<id>[a-z][a-z\-]*(?:\.[a-z][a-z\-]*)?/\d{7})(?P<version>v\d+)?", re.IGNORECASE
)
_ARXIV_PREFIX = re.compile(
    r"^(?:arxiv:\s*|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|ps)/)",
    re.IGNORECASE,
)
_DOI_PREFIX = re.compile(
    r"^(?:doi:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/|info:doi/|urn:doi:)", re.IGNORECASE
)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
# A DOI the slow path would return unchanged (but lower-cased): no prefix, no space,
# no %-escape, query or fragment, no trailing punctuation.
_DOI_PLAIN = re.compile(r"10\.\d{4,9}/[^\s%?#]*[^\s%?#.,;]")
ARXIV_DOI_PREFIX = "10.48550/arxiv."


def split_arxiv_id(text: str | None) -> tuple[str, int | None] | None:
    """('2410.12178', 2) from any spelling of an arXiv id; None if it is not one."""
    if not text:
        return None
    plain = _ARXIV_NEW.fullmatch(text)  # "2410.12178v2" as written: nothing to strip
    if plain is not None:
        version = plain.group("version")
        return plain.group("id"), int(version[1:]) if version else None
    value = _ARXIV_PREFIX.sub("", text.strip())
    if " " in value or "[" in value:
        # "arXiv:2410.12178v2 [cs.LG]", "2410.12178 (2024)": the id is the first word
        value = value.split("[", 1)[0].split()[0] if value.split("[", 1)[0].strip() else ""
    if value.lower().endswith(".pdf"):
        value = value[:-4]
    value = value.rstrip("/").rstrip(".,;")
    for pattern in (_ARXIV_NEW, _ARXIV_OLD):
        match = pattern.fullmatch(value)
        if match:
            version = match.group("version")
            arxiv_id = match.group("id")
            if pattern is _ARXIV_OLD:
                # "math.GT/0309136": arXiv's own form drops the subject class
                archive, number = arxiv_id.split("/")
                arxiv_id = f"{archive.split('.', 1)[0].lower()}/{number}"
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
    if _DOI_PLAIN.fullmatch(text):
        return text.lower()  # a bare DOI as written: nothing to strip or decode
    value = _DOI_PREFIX.sub("", text.strip()).strip()
    if "%" in value and value[:3] == "10.":
        value = unquote(value)  # https://doi.org/10.1000%2Fxyz
    value = value.split("?", 1)[0].split("#", 1)[0] if "doi.org/" in text.lower() else value
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


# --------------------------------------------------------------------------
# Version linking and duplicate works (sync). A preprint and its published
# version are one work when one bib entry holds both ids, or when a source
# reports the link (arXiv `doi`, S2 externalIds, the arXiv DOI). Two bib
# entries that turn out to be one work are reported, never merged.
# --------------------------------------------------------------------------

LINKABLE_IDS = ("arxiv", "doi", "semantic_scholar", "openalex", "corpus_id")


def normalize_id(kind: str, value: str | None) -> str | None:
    """Canonical form of one id of the given kind; None when unusable."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if kind == "arxiv":
        return normalize_arxiv_id(text)
    if kind == "doi":
        return normalize_doi(text)
    if kind == "openalex":
        text = text.rsplit("/", 1)[-1]
        return text.upper() if text[:1].lower() == "w" else None
    if kind == "semantic_scholar":
        return text.lower()
    return text


def id_keys(ids: Any) -> set[tuple[str, str]]:
    """Every (kind, value) a work is known by; the arXiv DOI and the arXiv id are one.

    ``ids`` is an ``Identifiers`` or a mapping with the same keys.
    """
    get = ids.get if isinstance(ids, dict) else (lambda k: getattr(ids, k, None))
    out: set[tuple[str, str]] = set()
    for kind in LINKABLE_IDS:
        value = normalize_id(kind, get(kind))
        if value is None:
            continue
        if kind == "doi":
            arxiv = arxiv_id_from_doi(value)
            if arxiv:
                out.add(("arxiv", arxiv))
                continue
        out.add((kind, value))
    return out


def merged_ids(ids: Any, *learned: dict[str, str] | None) -> dict[str, str]:
    """The bib's ids plus ids learned from sources; what the bib says always wins.

    An arXiv DOI learned for a work is kept as its arXiv id (if it has none),
    never as its DOI: the DOI slot is for the published version.
    """
    get = ids.get if isinstance(ids, dict) else (lambda k: getattr(ids, k, None))
    out: dict[str, str] = {}
    for kind in LINKABLE_IDS:
        value = normalize_id(kind, get(kind))
        if value:
            out[kind] = value
    for extra in learned:
        for kind, raw in (extra or {}).items():
            value = normalize_id(kind, raw)
            if not value:
                continue
            if kind == "doi" and arxiv_id_from_doi(value):
                out.setdefault("arxiv", arxiv_id_from_doi(value) or "")
                continue
            out.setdefault(kind, value)
    return out


_ID_LABELS = {
    "arxiv": "arXiv",
    "doi": "DOI",
    "semantic_scholar": "Semantic Scholar id",
    "openalex": "OpenAlex id",
    "corpus_id": "S2 corpus id",
}


def find_duplicate_works(
    works: Iterable[Any], learned_ids: Mapping[str, Iterable[dict[str, str]]] | None = None
) -> list[tuple[str, str, str]]:
    """Pairs of bib entries that are the same work: ``(key_a, key_b, reason)``.

    ``works`` have ``.key`` and ``.ids``; ``learned_ids`` maps a key to the id
    dicts sources reported for it (``SourceResult.external_ids``). Two works
    are the same when they share an id directly (same DOI, arXiv id, or the
    arXiv DOI of one is the other's arXiv id), or through ids a source learned
    (one entry has the arXiv id, another the journal DOI arXiv reports for it).
    Reported for the user to fix; never merged.
    """
    learned_ids = learned_ids or {}
    owners: dict[tuple[str, str], list[str]] = {}
    own: dict[str, set[tuple[str, str]]] = {}
    for work in works:
        keys = id_keys(work.ids)
        own[work.key] = keys
        for extra in learned_ids.get(work.key, ()):
            keys = keys | id_keys(extra)
        for id_key in keys:
            bucket = owners.setdefault(id_key, [])
            if work.key not in bucket:
                bucket.append(work.key)
    pairs: dict[tuple[str, str], str] = {}
    for (kind, value), sharing in sorted(owners.items()):
        for i, a in enumerate(sharing):
            for b in sharing[i + 1 :]:
                pair = (a, b) if a < b else (b, a)
                if pair in pairs:
                    continue
                direct = (kind, value) in own[a] and (kind, value) in own[b]
                how = "both entries have" if direct else "a source links them through"
                pairs[pair] = f"{how} {_ID_LABELS.get(kind, kind)} {value}"
    return [(a, b, reason) for (a, b), reason in sorted(pairs.items())]


# --------------------------------------------------------------------------
# Title matching (Semantic Scholar /paper/search/match). A search engine
# always returns *something*; a wrong automatic match silently attaches
# another paper's citations to the user's work (betterbib #203). So a
# candidate is accepted only when the title is nearly the same AND at least
# one author is shared AND the year fits; anything else stays unresolved.
# --------------------------------------------------------------------------

TITLE_MATCH_THRESHOLD = 0.9
YEAR_TOLERANCE = 1


def normalize_title(title: str | None) -> str:
    """Lower case ASCII words: no accents, punctuation, LaTeX braces or extra spaces."""
    import unicodedata

    if not title:
        return ""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"\\[a-zA-Z]+", " ", text)  # stray LaTeX commands
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.replace("_", " ").split())


@dataclass(frozen=True)
class NormalizedTitle:
    """A title normalised once (``normalize_title``) with its word set, for scoring many
    pairs without normalising each title again per pair."""

    text: str
    words: frozenset[str]

    @classmethod
    def of(cls, title: str | None) -> NormalizedTitle:
        text = normalize_title(title)
        return cls(text, frozenset(text.split()))


def normalized_similarity(left: NormalizedTitle, right: NormalizedTitle) -> float:
    """``title_similarity`` of two already normalised titles.

    The character-level ratio (rapidfuzz's Indel ratio, the same measure as
    difflib's ``ratio`` at a fraction of the cost) catches small edits; it is
    capped by the word overlap so that a short title contained in a longer one
    (a different paper with a subtitle) does not score high.
    """
    if not left.text or not right.text:
        return 0.0
    if left.text == right.text:
        return 1.0
    from rapidfuzz.fuzz import ratio as indel_ratio  # imported on first use: 35 ms

    ratio = indel_ratio(left.text, right.text) / 100.0
    jaccard = len(left.words & right.words) / len(left.words | right.words)
    return min(ratio, (ratio + jaccard) / 2 + 0.05)


def title_similarity(a: str | None, b: str | None) -> float:
    """0..1: how alike two titles are once case, accents and punctuation are ignored."""
    return normalized_similarity(NormalizedTitle.of(a), NormalizedTitle.of(b))


def _author_key(name: str) -> tuple[str, str]:
    """(surname, first initial) of 'First Last', 'F. Last' or 'Last, First'."""
    clean = normalize_title(name.replace(",", " , ")) if "," not in name else ""
    if "," in name:
        last, _, first = name.partition(",")
        last_words = normalize_title(last).split()
        first_words = normalize_title(first).split()
        surname = last_words[-1] if last_words else ""
        return surname, first_words[0][:1] if first_words else ""
    words = clean.split()
    if not words:
        return "", ""
    return words[-1], words[0][:1] if len(words) > 1 else ""


def author_overlap(a: Iterable[str], b: Iterable[str]) -> int:
    """How many authors of ``a`` also appear in ``b`` (same surname, compatible initial)."""
    keys_b = [_author_key(n) for n in b]
    shared = 0
    for name in a:
        surname, initial = _author_key(name)
        if not surname:
            continue
        for other_surname, other_initial in keys_b:
            if other_surname == surname and (
                not initial or not other_initial or initial == other_initial
            ):
                shared += 1
                break
    return shared


def is_confident_match(
    title: str,
    authors: Iterable[str],
    year: int | None,
    candidate_title: str | None,
    candidate_authors: Iterable[str],
    candidate_year: int | None,
    *,
    threshold: float = TITLE_MATCH_THRESHOLD,
) -> tuple[bool, str]:
    """(accepted, reason): a title-search hit is the work only if title, authors and year agree.

    The reason says why a candidate was rejected, for the sync summary and logs.
    """
    similarity = title_similarity(title, candidate_title)
    return confidence(similarity, authors, year, candidate_authors, candidate_year, threshold)


def confidence(
    similarity: float,
    authors: Iterable[str],
    year: int | None,
    candidate_authors: Iterable[str],
    candidate_year: int | None,
    threshold: float = TITLE_MATCH_THRESHOLD,
) -> tuple[bool, str]:
    """``is_confident_match`` for a title similarity already computed (matrix scoring)."""
    if similarity < threshold:
        return False, f"title similarity {similarity:.2f} < {threshold:.2f}"
    authors = list(authors)
    if not authors:
        return False, "the bib entry has no authors to compare"
    if author_overlap(authors, list(candidate_authors)) == 0:
        return False, "no author in common"
    if (
        year is not None
        and candidate_year is not None
        and abs(year - candidate_year) > (YEAR_TOLERANCE)
    ):
        return False, f"year {candidate_year} does not fit {year}"
    return True, f"title similarity {similarity:.2f}, authors and year agree"
