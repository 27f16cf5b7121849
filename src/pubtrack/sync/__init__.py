"""`pubtrack sync`: one module per job.

``run`` (``run_sync`` and ``SyncRun``: plan -> fetch -> store, the plan shared
by ``--dry-run`` and the real run), ``report`` (what a run reports, and the
printed summary), ``history_file`` (the CSV that carries the citation history
across CI runs). Duplicate and conflict detection for `check` is in
``pubtrack.checks`` (on ``identity.find_duplicate_works``), not here.
"""

from __future__ import annotations

from pubtrack.sync.history_file import (
    HISTORY_COLUMNS,
    export_history,
    history_path,
    import_history,
)
from pubtrack.sync.report import (
    CitationChange,
    HeldDrop,
    Progress,
    SourceReport,
    SyncEvent,
    SyncReport,
    format_summary,
    scrub,
    source_line,
)
from pubtrack.sync.run import (
    SourcePlan,
    SyncOptions,
    SyncRun,
    accept_drops_setting,
    bib_fingerprint,
    hold_sharp_drops,
    run_sync,
    select_sources,
)

__all__ = [
    "HISTORY_COLUMNS",
    "CitationChange",
    "HeldDrop",
    "Progress",
    "SourcePlan",
    "SourceReport",
    "SyncEvent",
    "SyncOptions",
    "SyncReport",
    "SyncRun",
    "accept_drops_setting",
    "hold_sharp_drops",
    "bib_fingerprint",
    "export_history",
    "format_summary",
    "history_path",
    "import_history",
    "run_sync",
    "scrub",
    "select_sources",
    "source_line",
]
