"""`pubtrack check`: every problem with the bib files, in one list."""

from __future__ import annotations

from pubtrack.bibtex import load_library
from pubtrack.config import Config
from pubtrack.models import Library


def check_project(config: Config) -> Library:
    """The library with every problem: the reader's, plus entries that earlier
    syncs showed to be one work (an arXiv entry and the journal DOI arXiv
    reports for it). Pairs sharing an id in the bib are already the reader's."""
    from pubtrack.sync import conflict_problems, duplicate_problems

    library = load_library(config)
    library.problems.extend(duplicate_problems(config, library, linked_only=True))
    # What sync learned (issue 10): unknown ids, ids to add, published preprints,
    # entries without the owner.
    from pubtrack.works.learned import suggestion_problems

    library.problems.extend(suggestion_problems(config, library))
    # Sources that answered about another paper: the user should look at the ids.
    library.problems.extend(conflict_problems(config, library))
    return library
