"""Suggestions from what sync stored (works/learned.py), without a server."""

from __future__ import annotations

from pubtrack.bibtex import read_string
from pubtrack.works.bibwrite import edit_entry
from pubtrack.works.learned import _work_suggestions

BIB = """@article{pre,
  title = {A Preprint},
  author = {Alec Thomson},
  journal = {arXiv preprint arXiv:2210.05278},
  year = 2022,
}
"""


def _records(**data):  # noqa: ANN003, ANN202
    return {source: {"status": "found", "data": d} for source, d in data.items()}


def test_a_published_preprint_written_as_arxiv_journal_gets_its_venue_updated():
    (work,) = read_string(BIB, "p.bib").works
    assert work.kind == "preprint" and work.ids.arxiv == "2210.05278"
    records = _records(
        arxiv={"journal_ref": "Phys. Rev. D 89, 084044"},
        crossref={"venue": "Physical Review D", "type": "journal-article"},
    )
    learned = {"arxiv": {"arxiv": "2210.05278", "doi": "10.1103/PhysRevD.89.084044"}}
    (s,) = _work_suggestions(work, records, learned)
    assert s.kind == "published" and "was published in Physical Review D" in s.message
    assert s.fields == {"doi": "{10.1103/physrevd.89.084044}", "journal": "{Physical Review D}"}
    assert s.new_type is None  # already @article
    new = edit_entry(BIB, "pre", s.fields, s.new_type)
    assert "journal = {Physical Review D}," in new and "arXiv preprint" not in new
    assert new.count("\n") == BIB.count("\n") + 1  # one field added, one updated


def test_unknown_ids_only_when_every_source_asked_said_not_found():
    (work,) = read_string(BIB, "p.bib").works
    not_found = {
        "arxiv": {"status": "not_found", "data": {}},
        "semantic_scholar": {"status": "not_found", "data": {}},
    }
    (s,) = _work_suggestions(work, not_found, {})
    assert s.kind == "unknown_ids" and "not found on arxiv, semantic_scholar" in s.message
    mixed = dict(not_found, semantic_scholar={"status": "found", "data": {}})
    assert _work_suggestions(work, mixed, {}) == []


def test_an_arxiv_doi_is_taught_as_the_arxiv_id_never_as_the_doi():
    (work,) = read_string(
        "@inproceedings{x, title={T}, author={A B}, booktitle={C}, year=2020}", "p.bib"
    ).works
    learned = {"openalex": {"doi": "10.48550/arXiv.2001.00001", "openalex": "W1"}}
    (s,) = _work_suggestions(work, _records(openalex={}), learned)
    assert s.kind == "taught_ids"
    assert s.fields == {"eprint": "{2001.00001}", "archiveprefix": "{arXiv}"}


def test_the_published_venue_comes_from_the_most_trusted_record() -> None:
    from pubtrack.works.learned import _venue

    crossref = {"data": {"venue": "Journal X", "type": "proceedings-article"}}
    s2 = {"data": {"venue": "NeurIPS"}}
    arxiv = {"data": {"journal_ref": "J. Y 12 (2024) 1-9"}}
    assert _venue({"semantic_scholar": s2, "crossref": crossref, "arxiv": arxiv}) == (
        "Journal X",
        "inproceedings",
    )
    assert _venue({"semantic_scholar": s2, "arxiv": arxiv}) == ("NeurIPS", "article")
    preprint_server = {"data": {"venue": "arXiv", "type": "posted-content"}}
    assert _venue({"crossref": preprint_server, "semantic_scholar": s2}) == ("NeurIPS", "article")
    assert _venue({"arxiv": arxiv, "no_such_source": s2}) == ("J. Y 12 (2024) 1-9", "article")
    # a preprint server is no venue, whoever names it
    assert _venue({"arxiv": {"data": {"journal_ref": "arXiv"}}}) == ("", "article")
    assert _venue({}) == ("", "article")
