"""`pubtrack badge`: shields.io endpoint JSON for total citations and h-index, from the
stats report (so a badge says what `pubtrack stats` says)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.errors import BadInputError, PubtrackError
from pubtrack.util import write_atomic

if TYPE_CHECKING:
    from pubtrack.config import Config
from pubtrack.stats import StatsReport, stats_report

BADGE_METRICS = ("citations", "h-index")


def badge_payload(report: StatsReport, metric: str, source: str | None = None) -> dict[str, Any]:
    """``{"schemaVersion": 1, "label": ..., "message": ..., "color": "blue"}``."""
    if metric not in BADGE_METRICS:
        raise BadInputError(f"unknown badge metric {metric!r} (known: citations, h-index)")
    candidates = [source] if source else list(report.sources)
    chosen = next((s for s in candidates if s in report.sources and report.sources[s].works), None)
    if chosen is None:
        where = f" from {source}" if source else ""
        raise PubtrackError(f"no citation counts{where} yet: run `pubtrack sync` first")
    stats = report.sources[chosen]
    value = stats.total_citations if metric == "citations" else stats.h_index
    return {"schemaVersion": 1, "label": metric, "message": str(value), "color": "blue"}


@dataclass
class BadgeResult:
    written: list[Path]
    payload: dict[str, Any] | None  # printed when no --output was given


def badges(
    config: Config,
    *,
    metric: str | None = None,
    source: str | None = None,
    output: str | None = None,
) -> BadgeResult:
    """One badge (``metric``) to a file or stdout, or every badge into a directory.

    With ``metric``: ``output`` is the file to write (stdout when None).
    Without: ``output`` is a directory (default ``badges/``) receiving
    ``citations.json`` and ``h-index.json``.
    """
    report = stats_report(config, source=source)
    if metric is not None:
        payload = badge_payload(report, metric, source)
        if output is None:
            return BadgeResult([], payload)
        path = Path(output)
        write_atomic(path, json.dumps(payload) + "\n", make_parents=True)
        return BadgeResult([path], None)
    directory = Path(output or "badges")
    if directory.exists() and not directory.is_dir():
        raise BadInputError(f"{directory}: not a directory (give --metric to write one file)")
    payloads = {m: badge_payload(report, m, source) for m in BADGE_METRICS}
    written = []
    for name, payload in payloads.items():
        path = directory / f"{name}.json"
        write_atomic(path, json.dumps(payload) + "\n", make_parents=True)
        written.append(path)
    return BadgeResult(written, None)
