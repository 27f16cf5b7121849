"""`pubtrack init`: a new project a user can fill in."""

from __future__ import annotations

from pathlib import Path

from pubtrack.errors import BadInputError

CONFIG_TEMPLATE = """\
# pubtrack configuration. Paths are relative to this file.

[owner]
# Your name as it appears in author lists; it is shown in bold.
name = ""
# Other spellings of your name ("Z. Liu", "Liu, Zihang"); matched case- and
# accent-insensitively, in either name order.
aliases = []
# Sent to Crossref as a contact address (mailto); empty sends none.
email = ""
# Optional: your Semantic Scholar author id.
semantic_scholar_id = ""
# Optional: your Google Scholar profile id (enables the google_scholar source,
# which needs `pip install 'pubtrack[scholar]'`).
google_scholar_id = ""
# Optional: your ORCID iD, OpenAlex author id (A…) and dblp pid (e.g. 123/4567).
# `pubtrack discover` reads your profiles through these ids.
orcid = ""
openalex_id = ""
dblp = ""

[bib]
# BibTeX files with your publications (globs allowed). Talk files are excluded.
publications = ["bib/*.bib"]
# BibTeX files with your talks (@misc entries with eventtitle and date).
talks = ["bib/talks.bib"]

[database]
# SQLite database with metadata and the history of citation counts.
path = "data/pubtrack.db"

[sync]
# Sources queried by `pubtrack sync`. openalex needs OPENALEX_API_KEY.
sources = ["semantic_scholar", "arxiv", "crossref", "openalex"]
# Works fetched more recently than this are skipped (s, m, h, d, w).
max_age = "20h"
"""

PUBLICATIONS_TEMPLATE = """\
% Your publications, one entry per work. pubtrack changes this file only when you
% run `pubtrack add`, `import` or `fix`, and then only by appending entries or fields.
% Useful fields beyond the usual ones:
%   eprint = {2410.12178}        arXiv id (archiveprefix = {arXiv})
%   doi = {10.18653/v1/...}      DOI
%   award = {Oral}               shown next to the venue
%   code = {https://...}         link to code; also pdf, slides, video, url
%   selected = {true}            for `pubtrack render --selected`
"""

TALKS_TEMPLATE = """\
% Your talks: one misc entry per talk (key e.g. me2024talk) with fields like
%   title       = {Title of the Talk},
%   eventtitle  = {Conference 2024},
%   date        = {2024-11-12},
%   location    = {City},
%   video       = {https://...},
%   publication = {key_of_the_related_paper},
% (An example entry is not written here: BibTeX reads entries even inside % lines.)
"""


def init_project(directory: str | Path) -> list[Path]:
    """Create the files of a new project; refuse if any already exists."""
    root = Path(directory)
    files = {
        root / "pubtrack.toml": CONFIG_TEMPLATE,
        root / "bib" / "publications.bib": PUBLICATIONS_TEMPLATE,
        root / "bib" / "talks.bib": TALKS_TEMPLATE,
    }
    if root.exists() and not root.is_dir():
        raise BadInputError(f"{root} exists and is not a directory; pubtrack init needs a folder")
    existing = [p for p in files if p.exists() or p.is_symlink()]
    if existing:
        raise BadInputError(f"{existing[0]} already exists; pubtrack init never overwrites files")
    created: list[Path] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as fh:  # "x": fail rather than clobber
                fh.write(text)
            created.append(path)
        data = root / "data"
        if not data.exists():
            data.mkdir(parents=True)
            created.append(data)
    except OSError as exc:
        where = exc.filename or root
        raise BadInputError(
            f"cannot create the project in {root}: {where}: {exc.strerror or exc}"
        ) from None
    return created


def set_owner(config_path: Path, values: dict[str, str]) -> None:
    """Fill ``key = ""`` lines of [owner] with values (only empty ones; atomic)."""
    import json
    import re

    from pubtrack.util import write_atomic

    text = config_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    section = ""
    for i, line in enumerate(lines):
        header = re.match(r"\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
            continue
        match = re.match(r'(\s*)([A-Za-z_]+)(\s*=\s*)""(\s*)$', line)
        if section == "owner" and match and values.get(match.group(2)):
            value = json.dumps(values[match.group(2)], ensure_ascii=False)
            lines[i] = f"{match.group(1)}{match.group(2)}{match.group(3)}{value}{match.group(4)}"
    write_atomic(config_path, "".join(lines))
