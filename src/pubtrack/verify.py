"""Is a source's answer about the work that was asked for? And are its values sane?

A source can answer about another paper (an S2 batch slot filled with a
different paper, a Crossref DOI that resolves elsewhere, an OpenAlex record
matched by a stray location). Stored, that answer would attach another
paper's count, title and ids to the user's work, and the wrong ids would be
used for every later lookup. So before anything is stored or learned, each
answer is checked against what was asked:

- the id the source was asked with must be among the ids the answer carries
  (S2 ``externalIds``/``paperId``, Crossref's ``DOI``, OpenAlex's DOI/ids, the
  arXiv entry id); an answer that carries ids but not that one is a conflict;
- the answer's title (and authors, where both sides have them) must not
  clearly disagree with the bib entry.

Values are checked too: a count that is not a whole number from 0 to
``MAX_COUNT``, or an id that is not a string, rejects that one record.

Pure functions on ``SourceResult``/``WorkRef``: no SQL, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pubtrack.identity import (
    arxiv_id_from_doi,
    author_overlap,
    id_keys,
    normalize_id,
    title_similarity,
)
from pubtrack.sources.base import SourceResult, WorkRef
from pubtrack.sources.registry import registry

# No paper has a billion citations; anything above is a broken answer (and
# 10**20 does not even fit in SQLite's INTEGER).
MAX_COUNT = 10**9
# Without author lists on both sides, a title below CONFLICT similarity is
# another paper; with them, one below LOOSE that shares no author is.
TITLE_CONFLICT = 0.35
TITLE_LOOSE = 0.6


@dataclass(frozen=True)
class Verdict:
    """'ok', 'conflict' (about another work) or 'rejected' (values out of range)."""

    status: str
    message: str = ""
    # The answer did carry the id asked, yet is another paper: the id itself is
    # wrong (a learned one is then forgotten). False when the source mixed up.
    blames_id: bool = False


OK = Verdict("ok")


def asked_keys(source: str, lookup: str | None) -> set[tuple[str, str]]:
    """The (kind, value) pairs of the id ``source`` was asked with (its class's
    ``Source.lookup_keys``); empty for a source the registry does not know."""
    cls = registry().get(source)
    return cls.lookup_keys(lookup) if cls is not None else set()


def answer_keys(source: str, result: SourceResult) -> set[tuple[str, str]]:
    """Every (kind, value) the answer says the paper has: its ``external_ids`` and
    its ``external_id``, of the kind the source's class names (``external_id_kind``)."""
    ids: dict[str, Any] = dict(result.external_ids or {})
    cls = registry().get(source)
    kind = cls.external_id_kind if cls is not None else ""
    keys = set()
    for name, value in ids.items():
        if isinstance(value, str):
            keys |= id_keys({name: value})
    if kind and isinstance(result.external_id, str):
        keys |= id_keys({kind: result.external_id})
    return keys


def check_values(result: SourceResult) -> Verdict:
    """Types and ranges of what the source reported (a bad record, not a bad work)."""
    for name in ("citation_count", "influential"):
        value = getattr(result, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            return Verdict("rejected", f"{name} is {type(value).__name__} {str(value)[:40]!r}")
        if not 0 <= value <= MAX_COUNT:
            shown = str(value) if len(str(value)) <= 24 else str(value)[:20] + "…"
            return Verdict("rejected", f"{name} {shown} is out of range (0 to {MAX_COUNT:,})")
    if result.external_id is not None and not isinstance(result.external_id, str):
        return Verdict("rejected", f"the id is {type(result.external_id).__name__}, not a string")
    for name, value in (result.external_ids or {}).items():
        if not isinstance(value, str) or len(value) > 300:
            return Verdict("rejected", f"id {name} is not a short string")
    for year, count in (result.counts_by_year or {}).items():
        bad_year = not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2200
        bad_count = not isinstance(count, int) or isinstance(count, bool)
        if bad_year or bad_count or not 0 <= count <= MAX_COUNT:
            return Verdict("rejected", f"counts by year: {year!r}: {count!r} is out of range")
    return OK


def verify(source: str, ref: WorkRef, asked: set[tuple[str, str]], result: SourceResult) -> Verdict:
    """The verdict on one 'found' answer (other statuses are not about a paper).

    ``asked``: the ids the source was asked with (``Source.asked_ids``); empty
    when the source cannot say (a plugin), which skips the id check only.
    """
    if result.status != "found":
        return OK
    values = check_values(result)
    if values.status != "ok":
        return values
    answered = answer_keys(source, result)
    if asked and not asked & answered:
        # An S2 paper always carries its externalIds, Crossref its DOI, an
        # arXiv entry its id: the id asked for missing from them is a mismatch.
        shown = ", ".join(sorted(f"{k} {v}" for k, v in answered)[:4]) or "no ids"
        what = ", ".join(f"{k} {v}" for k, v in sorted(asked)[:4])
        return Verdict("conflict", f"asked for {what}, the answer is {shown}")
    title = result.data.get("title") if isinstance(result.data, dict) else None
    if isinstance(title, str) and len(ref.title.strip()) >= 8 and len(title.strip()) >= 8:
        similarity = title_similarity(ref.title, title)
        names = result.data.get("authors") if isinstance(result.data, dict) else None
        shared = (
            author_overlap(ref.authors, [n for n in names if isinstance(n, str)])
            if isinstance(names, list) and names and ref.authors
            else None
        )
        # A shared author rescues a retitled journal version; without author
        # lists only a clearly different title is a conflict.
        if (shared is None and similarity < TITLE_CONFLICT) or (
            shared == 0 and similarity < TITLE_LOOSE
        ):
            return Verdict(
                "conflict",
                blames_id=bool(asked & answered),
                message=f"the answer's title {_short(title)!r} is not the bib's "
                f"(similarity {similarity:.2f}"
                + (", no author in common)" if shared == 0 else ")"),
            )
    return OK


def _short(text: str, width: int = 50) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------
# Learned ids: which to use, which to drop
# --------------------------------------------------------------------------


def choose_learned(
    bib: dict[str, str], rows: list[dict[str, Any]], rank: dict[str, int]
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(ids to use beyond the bib's, rows to drop).

    The bib always wins: a learned id of a kind the bib gives, with another
    value, is dropped. Among sources, a value that two other sources contradict
    (they agree on another value) is dropped; of the rest, verified rows come
    first, then the source order. An arXiv DOI learned as a DOI is the arXiv id.
    """
    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for row in rows:
        kind, value = row["kind"], normalize_id(row["kind"], row["value"])
        if not value:
            continue
        if kind == "doi" and arxiv_id_from_doi(value):
            kind, value = "arxiv", arxiv_id_from_doi(value) or value
        by_kind.setdefault(kind, []).append((value, row))
    chosen: dict[str, str] = {}
    dropped: list[dict[str, Any]] = []
    for kind, values in by_kind.items():
        mine = normalize_id(kind, bib.get(kind)) if bib.get(kind) else None
        if mine is not None:
            dropped += [row for value, row in values if value != mine]
            continue
        support: dict[str, set[str]] = {}
        for value, row in values:
            support.setdefault(value, set()).add(row["source"])
        kept = []
        for value, row in values:
            strongest = max(
                (len(sources - {row["source"]}) for v, sources in support.items() if v != value),
                default=0,
            )
            if strongest >= 2 and len(support[value]) < strongest:
                dropped.append(row)
            else:
                kept.append((value, row))
        if kept:
            kept.sort(
                key=lambda vr: (-int(vr[1].get("verified") or 0), rank.get(vr[1]["source"], 99))
            )
            chosen[kind] = kept[0][0]
    return chosen, dropped
