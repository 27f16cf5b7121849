"""Data files for site generators: al-folio's ``_data/citations.yml`` and the JSON
contract as ``_data/publications.json`` (Jekyll) or ``data/publications.json`` (Hugo).

Both are written atomically and only when their content changed (the JSON's
``generated_at`` and the YAML's ``last_updated`` alone do not count), so a
nightly job commits nothing on a night when no count moved. The al-folio file
never loses a count it had: a paper pubtrack has no count for (a source
failed, no sync yet) keeps the count the file already held, and a 0 never
replaces a known count. Whatever happens, the file stays valid YAML with a
``papers`` mapping, so the site build never fails on it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pubtrack.models import plain
from pubtrack.render.context import DEFAULT_CITATION_SOURCES, RenderContext
from pubtrack.util import write_atomic

# The badge al-folio draws is labelled "scholar": prefer Google Scholar's count.
ALFOLIO_SOURCES = (
    "google_scholar",
    *[s for s in DEFAULT_CITATION_SOURCES if s != "google_scholar"],
)


def _today() -> str:
    from pubtrack.db import utcnow

    return utcnow()[:10]


def alfolio_key(entry_id: str, scholar_user: str) -> str:
    """al-folio looks counts up as ``<scholar_userid>:<google_scholar_id>``; an entry id
    that already has the user part is kept as it is."""
    entry_id = entry_id.strip()
    if ":" in entry_id or not scholar_user:
        return entry_id
    return f"{scholar_user}:{entry_id}"


def alfolio_papers(ctx: RenderContext, scholar_user: str) -> dict[str, dict[str, Any]]:
    """``{key: {"citations", "title", "year", "source"}}`` for entries with a
    ``google_scholar_id`` field and at least one count."""
    papers: dict[str, dict[str, Any]] = {}
    for p in ctx.publications:
        entry_id = p.work.fields.get("google_scholar_id", "").strip()
        if not entry_id:
            continue
        source = next((s for s in ALFOLIO_SOURCES if s in p.citations), None)
        if source is None:
            source = next(iter(p.citations), None)
        if source is None:
            continue
        papers[alfolio_key(entry_id, scholar_user)] = {
            "citations": p.citations[source].count,
            "title": plain(p.title),
            "year": str(p.year) if p.year else "",
            "source": source,
        }
    return papers


_KEY_LINE = re.compile(r"^  (?P<key>\S.*?):\s*$")
_COUNT_LINE = re.compile(r"^    citations:\s*['\"]?(?P<n>\d+)['\"]?\s*$")


def read_alfolio_counts(path: Path) -> dict[str, int]:
    """The counts an existing citations.yml holds (pubtrack's or al-folio's own
    updater's layout); an unreadable file holds none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    counts: dict[str, int] = {}
    in_papers = False
    key: str | None = None
    for line in lines:
        if not line.startswith(" "):
            in_papers = line.rstrip() == "papers:"
            key = None
            continue
        if not in_papers:
            continue
        match = _KEY_LINE.match(line)
        if match:
            key = _unquote(match.group("key"))
            continue
        match = _COUNT_LINE.match(line)
        if match and key is not None:
            counts[key] = int(match.group("n"))
    return counts


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def _yaml_str(text: str) -> str:
    """A JSON string is a valid YAML double-quoted scalar: safe for any title."""
    return json.dumps(text, ensure_ascii=False)


def alfolio_yaml(papers: dict[str, dict[str, Any]], last_updated: str) -> str:
    lines = [
        "# Citation counts for al-folio (written by `pubtrack render --format alfolio`).",
        "# Keys are '<scholar_userid>:<google_scholar_id>', as al-folio's bib layout looks",
        "# them up; `source` says which service counted.",
        "metadata:",
        f"  last_updated: {_yaml_str(last_updated)}",
    ]
    if not papers:
        lines.append("papers: {}")
    else:
        lines.append("papers:")
        for key in sorted(papers):
            paper = papers[key]
            lines.append(f"  {_yaml_str(key)}:")
            lines.append(f"    citations: {int(paper['citations'])}")
            lines.append(f"    title: {_yaml_str(str(paper.get('title', '')))}")
            lines.append(f"    year: {_yaml_str(str(paper.get('year', '')))}")
            if paper.get("source"):
                lines.append(f"    source: {_yaml_str(str(paper['source']))}")
    return "\n".join(lines) + "\n"


def merge_known_counts(
    papers: dict[str, dict[str, Any]], known: dict[str, int]
) -> dict[str, dict[str, Any]]:
    """Never 0 over a known count; keep papers the file had that pubtrack cannot count now."""
    merged = {k: dict(v) for k, v in papers.items()}
    for key, count in known.items():
        paper = merged.get(key)
        if paper is None:
            merged[key] = {"citations": count, "title": "", "year": "", "source": ""}
        elif paper["citations"] == 0 and count > 0:
            paper["citations"] = count
    return merged


def render_alfolio(ctx: RenderContext, scholar_user: str, existing: Path | None = None) -> str:
    """The citations.yml text; ``existing`` (the file to replace) keeps its known counts."""
    papers = alfolio_papers(ctx, scholar_user)
    old_text = ""
    if existing is not None and existing.is_file():
        papers = merge_known_counts(papers, read_alfolio_counts(existing))
        old_text = existing.read_text(encoding="utf-8", errors="replace")
    # Unchanged papers keep the old date, so the file is not rewritten for it.
    old_date = re.search(r"^  last_updated:\s*['\"]?([\w:-]+)", old_text, re.MULTILINE)
    if old_date:
        same = alfolio_yaml(papers, old_date.group(1))
        if same == old_text:
            return same
    return alfolio_yaml(papers, _today())


def _without_dates(text: str) -> Any:
    """The JSON without ``generated_at`` and the counts' ``as_of``: what is left is what
    a reader of the data file sees change."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict):
        data.pop("generated_at", None)
        for pub in data.get("publications") or []:
            for count in (pub.get("citations") or {}).values() if isinstance(pub, dict) else ():
                if isinstance(count, dict):
                    count.pop("as_of", None)
    return data


def write_if_changed(path: Path, text: str, fmt: str) -> bool:
    """--output: atomically, and only when the content changed; True when written.

    For json, new dates alone (``generated_at``, a count fetched again unchanged and
    so a later ``as_of``) are no change: the file keeps the dates of its last change.
    """
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        old = None
    if old is not None:
        if old == text:
            return False
        if fmt == "json":
            before = _without_dates(old)
            if before is not None and before == _without_dates(text):
                return False
    write_atomic(path, text, make_parents=True)
    return True
