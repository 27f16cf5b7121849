"""What sync learned about each entry, read through one Store method.

Today that is the ids each source reported (``source_records``); when the
learned-ids table with provenance lands, ``Store.learned_ids`` switches to it
and nothing here changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pubtrack.config import Config


def learned_by_source(config: Config) -> dict[str, dict[str, dict[str, str]]]:
    """{key: {source: {id kind: value}}}; empty without a database."""
    from pubtrack.db import Store
    from pubtrack.errors import PubtrackError

    if not config.database_path.exists():
        return {}
    try:
        store = Store.open_readonly(config.database_path)
    except PubtrackError:
        return {}
    try:
        return store.learned_ids()
    except Exception:  # noqa: BLE001 - a database from before any sync: nothing learned
        return {}
    finally:
        store.close()


def learned_ids(config: Config) -> dict[str, list[dict[str, str]]]:
    """{key: [ids one source reported, …]} for duplicate checks."""
    return {key: list(per.values()) for key, per in learned_by_source(config).items()}
