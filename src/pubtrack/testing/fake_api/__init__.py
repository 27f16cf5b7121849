"""A fake of the APIs pubtrack uses, on 127.0.0.1, for tests and benchmarks.

The package has one module per job: ``catalogue`` (the papers every API
agrees on, the owner's profiles, the bib writer), ``responses`` (bodies in the
real services' shapes), ``faults`` (what goes wrong on request, including
well-formed lies), ``server`` (the HTTP server, rate limits, counts, the
control API and the command line) and ``replay`` (recorded cassettes through
a real socket). Every name is importable from the package, as before.

One in-memory catalogue of papers answers consistently through all four
APIs (the same paper has the same ids and counts in Semantic Scholar, arXiv,
OpenAlex and Crossref), with the response *shapes* of the real services
(checked against the recordings in ``corpora/api`` by the tests). It:

- enforces rate limits the way the real services do (S2: 429 with a
  ``message`` body; arXiv: one request per 3 s and one connection at a time;
  OpenAlex: an ``api_key`` and 10 requests/s; Crossref), all intervals
  multiplied by ``time_scale`` so tests and benchmarks can run fast while the
  request-count logic stays the same;
- counts and logs every request (``request_counts``, ``endpoint_counts``,
  ``status_counts``, ``log``);
- injects faults on demand, per API, as a queue or a standing rule: 429
  (with or without Retry-After), 5xx, slow answers, connection resets,
  truncated bodies, malformed bodies, the arXiv error feed, and "down";
- changes citation counts between runs (``set_citations``).

In-process::

    with FakeApiServer(make_papers(50), time_scale=0.01) as server:
        monkeypatch.setenv(...) for each of server.env().items()

As a subprocess (the first stdout line is the base URL)::

    python -m pubtrack.testing.fake_api --port 0 --papers 100 --time-scale 0.01 --bib out.bib

with a control API: ``POST /_control/faults`` (JSON fault), ``DELETE
/_control/faults``, ``GET /_control/stats``, ``POST /_control/citations``
(``{"bump": 3}`` or ``{"counts": {"<any id>": 12}}``), ``POST
/_control/reset``.
"""

from __future__ import annotations

from pubtrack.testing.fake_api.catalogue import (  # noqa: F401
    _ADJECTIVES,
    _DOMAINS,
    _FIRST,
    _LAST,
    _METHODS,
    _TASKS,
    API_ENV,
    API_NAMES,
    API_PREFIXES,
    CLIENT_INTERVALS,
    DEFAULT_INTERVALS,
    LIMIT_WINDOWS,
    OWNER,
    OWNER_SPELLINGS,
    Catalogue,
    FakePaper,
    FakePerson,
    _aid,
    _bib_escape,
    _date_parts,
    _spread,
    builtin_apis,
    fast_sync_settings,
    make_owner_catalogue,
    make_papers,
    write_bib,
)
from pubtrack.testing.fake_api.faults import (  # noqa: F401
    ADVERSARIAL,
    FAULT_KINDS,
    Fault,
    RequestRecord,
    _by_s2_id,
    _lie_crossref,
    _lie_openalex,
    _lie_s2,
    _other,
    lie,
)
from pubtrack.testing.fake_api.replay import (  # noqa: F401
    Recorded,
    ReplayServer,
    Reply,
    _cassette_text,
    read_arxiv_recording,
    read_cassette,
)
from pubtrack.testing.fake_api.responses import (  # noqa: F401
    ARXIV_NS,
    ORCID_ONLY_CODES,
    S2_FIELDS,
    S2_TOO_MANY,
    _dblp_key,
    _orcid_summary,
    arxiv_entry,
    arxiv_error_feed,
    arxiv_feed,
    crossref_message,
    dblp_person_xml,
    openalex_work,
    orcid_full_work,
    orcid_works_body,
    s2_paper,
)
from pubtrack.testing.fake_api.server import (  # noqa: F401
    _COUNT_FIELDS,
    EXTRA_HANDLERS,
    OPENALEX_PAGE_CURSORS,
    FakeApiServer,
    _api_name,
    _endpoint,
    _extra_endpoint,
    _h_crossref_filter,
    _h_datacite,
    _h_dblp,
    _h_openalex_author,
    _h_openalex_work,
    _h_openalex_works,
    _h_orcid,
    _h_s2_author_papers,
    _h_s2_search,
    _Handler,
    _HTTPServer,
    _people,
    _person,
    _s2_fields,
    _zeroed,
    iter_records,
    main,
    openalex_author_page,
    unsupported_apis,
)

__all__ = [
    "ADVERSARIAL",
    "API_ENV",
    "API_NAMES",
    "API_PREFIXES",
    "ARXIV_NS",
    "CLIENT_INTERVALS",
    "Catalogue",
    "DEFAULT_INTERVALS",
    "EXTRA_HANDLERS",
    "FAULT_KINDS",
    "FakeApiServer",
    "FakePaper",
    "FakePerson",
    "Fault",
    "LIMIT_WINDOWS",
    "OPENALEX_PAGE_CURSORS",
    "ORCID_ONLY_CODES",
    "OWNER",
    "OWNER_SPELLINGS",
    "Recorded",
    "ReplayServer",
    "Reply",
    "RequestRecord",
    "S2_FIELDS",
    "S2_TOO_MANY",
    "arxiv_entry",
    "arxiv_error_feed",
    "arxiv_feed",
    "builtin_apis",
    "crossref_message",
    "dblp_person_xml",
    "fast_sync_settings",
    "iter_records",
    "lie",
    "main",
    "make_owner_catalogue",
    "make_papers",
    "openalex_author_page",
    "openalex_work",
    "orcid_full_work",
    "orcid_works_body",
    "read_arxiv_recording",
    "read_cassette",
    "s2_paper",
    "unsupported_apis",
    "write_bib",
]
