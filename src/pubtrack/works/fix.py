"""`pubtrack fix`: what sync learned, as a reviewed change to the .bib files.

Only fields are added or updated (``doi``, ``eprint``/``archiveprefix``, the
venue of a published preprint) and an entry's type may change; nothing is
deleted and every other byte stays as it is. The change is shown as a unified
diff, applied only when confirmed, written atomically, and a backup of each
changed file is kept beside it.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError
from pubtrack.util import write_atomic
from pubtrack.works.bibwrite import backup, edit_entry, file_style
from pubtrack.works.learned import Suggestion, suggestions

if TYPE_CHECKING:
    from pubtrack.config import Config


@dataclass
class FileFix:
    path: Path
    old: str
    new: str
    keys: list[str]
    encoding: str
    bom: bytes = b""
    backup: Path | None = None

    def diff(self, name: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )


@dataclass
class FixPlan:
    files: list[FileFix] = field(default_factory=list)
    applied: list[Suggestion] = field(default_factory=list)
    report_only: list[Suggestion] = field(default_factory=list)
    written: bool = False

    def diff(self, root: Path) -> str:
        out = []
        for f in self.files:
            try:
                name = str(f.path.resolve().relative_to(root.resolve()))
            except ValueError:
                name = str(f.path)
            out.append(f.diff(name))
        return "".join(out)


def _read(path: Path) -> tuple[str, str, bytes]:
    data = path.read_bytes()
    style = file_style(data)
    bom = b""
    for mark in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(mark):
            bom = mark
    try:
        text = data[len(bom) :].decode(style.encoding)
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: cannot decode as {style.encoding}; not changed") from None
    return text, style.encoding, bom


def plan_fixes(config: Config, keys: list[str] | None = None) -> FixPlan:
    """Every applicable suggestion as an edit of its file (nothing written)."""
    from pubtrack.bibtex import load_library

    library = load_library(config)
    files = {w.key: w.location.file for w in library.works if w.location}
    plan = FixPlan()
    by_file: dict[Path, list[Suggestion]] = {}
    for s in suggestions(config, library):
        if keys and s.key not in keys:
            continue
        if not s.fields and not s.new_type:
            plan.report_only.append(s)
            continue
        rel = files.get(s.key)
        if rel is None:
            plan.report_only.append(s)
            continue
        path = Path(rel) if Path(rel).is_absolute() else config.root / rel
        by_file.setdefault(path, []).append(s)
    for path, items in by_file.items():
        text, encoding, bom = _read(path)
        new = text
        for s in items:
            new = edit_entry(new, s.key, s.fields, s.new_type)
            plan.applied.append(s)
        if new != text:
            try:
                new.encode(encoding)
            except UnicodeEncodeError:
                raise BadInputError(f"{path}: the fix does not fit the file's encoding") from None
            plan.files.append(FileFix(path, text, new, [s.key for s in items], encoding, bom))
    return plan


def apply_fixes(plan: FixPlan) -> None:
    """Back up and atomically replace every changed file."""
    for f in plan.files:
        if _read(f.path)[0] != f.old:
            raise BadInputError(
                f"{f.path} changed since the diff was made; nothing written (run fix again)"
            )
    for f in plan.files:
        f.backup = backup(f.path)
        write_atomic(f.path, f.bom + f.new.encode(f.encoding))
    plan.written = bool(plan.files)


def fix(
    config: Config,
    *,
    keys: list[str] | None = None,
    confirm: Callable[[FixPlan], bool] | None = None,
) -> FixPlan:
    plan = plan_fixes(config, keys)
    if plan.files and (confirm is None or confirm(plan)):
        apply_fixes(plan)
    return plan
