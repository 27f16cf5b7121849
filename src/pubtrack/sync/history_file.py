"""The history file: carries the citation history across CI runs that start
with no database (DESIGN.md). Small, sorted, diffable; only changes land in it."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.db import Store, utcnow_datetime
from pubtrack.errors import (
    BadInputError,
)
from pubtrack.models import (
    CitationCount,
)
from pubtrack.util import write_atomic

if TYPE_CHECKING:
    from pubtrack.config import Config


HISTORY_COLUMNS = ("publication_key", "source", "count", "influential", "retrieved_at")


def history_path(config: Config, option: str | None) -> Path | None:
    value = option
    if value is None:
        value = config.sync.history_file or None
    if not value:
        return None
    path = Path(str(value))
    path = path if path.is_absolute() else config.root / path
    if path.exists() and not path.is_file():
        raise BadInputError(f"{path}: the history file is a directory (or not a regular file)")
    return path


def export_history(store: Store, path: Path) -> int:
    """Write the compact history (first count + every change) atomically; rows written.

    The file is rewritten only when its content changes, so an unchanged night
    leaves nothing to commit.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    rows = store.compact_history()
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in HISTORY_COLUMNS])
    text = buffer.getvalue()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return len(rows)
    write_atomic(path, text, make_parents=True)
    return len(rows)


FUTURE_SLACK = timedelta(days=1)  # a history row later than now + this is refused


_HISTORY_TIME = "%Y-%m-%dT%H:%M:%SZ"


def _history_row(row: dict[str, Any]) -> CitationCount:
    """One CSV row, checked: counts whole numbers in range, a real UTC timestamp."""

    from pubtrack.verify import MAX_COUNT

    key, source = row["publication_key"], row["source"]
    if not key or not source or len(key) > 500 or len(source) > 100:
        raise ValueError("empty or overlong key or source")
    text = (row["count"] or "").strip()
    if not text.isdigit() or len(text) > 12 or int(text) > MAX_COUNT:
        raise ValueError(f"count {text[:20]!r} is not a whole number from 0 to {MAX_COUNT:,}")
    influential = (row["influential"] or "").strip()
    if influential and (not influential.isdigit() or len(influential) > 12):
        raise ValueError(f"influential {influential[:20]!r} is not a whole number")
    stamp = (row["retrieved_at"] or "").strip()
    moment = datetime.strptime(stamp, _HISTORY_TIME)  # ValueError names the format
    if not 1970 <= moment.year <= 2200:
        raise ValueError(f"retrieved_at {stamp!r} is out of range")
    return CitationCount(
        publication_key=key,
        source=source,
        count=int(text),
        retrieved_at=stamp,
        influential=int(influential) if influential else None,
    )


def import_history(store: Store, path: Path) -> int:
    """Load a history file into an empty database, in one transaction; rows read.

    Every row is checked (count a non-negative integer, retrieved_at a time not in
    the future): a bad row names FILE:LINE and nothing is imported. Rows are
    recorded in time order, as the syncs that made them ran.
    """
    counts: list[tuple[str, int, CitationCount]] = []
    latest_ok = (utcnow_datetime() + FUTURE_SLACK).strftime(_HISTORY_TIME)
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = set(HISTORY_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise BadInputError(
                    f"{path}:1: not a pubtrack history file (missing {', '.join(sorted(missing))})"
                )
            for row in reader:
                try:
                    count = _history_row(row)
                    if count.retrieved_at > latest_ok:
                        raise ValueError(f"retrieved_at {count.retrieved_at!r} is in the future")
                    counts.append((count.retrieved_at, len(counts), count))
                except (TypeError, ValueError, KeyError, AttributeError) as exc:
                    raise BadInputError(
                        f"{path}:{reader.line_num}: bad row in the history file ({exc})"[:300]
                    ) from None
    except csv.Error as exc:
        raise BadInputError(f"{path}: not a CSV history file: {exc}") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the history file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: the history file is not UTF-8 text") from None
    counts.sort(key=lambda item: (item[0], item[1]))
    with store.transaction():
        store.record_citations(c for _, _, c in counts)
    return len(counts)
