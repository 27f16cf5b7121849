"""Answers are checked against what was asked; learned ids are chosen with care."""

from __future__ import annotations

import itertools

import pytest

from pubtrack.models import Identifiers
from pubtrack.sources.base import SourceResult, WorkRef
from pubtrack.sources.openalex import match_records
from pubtrack.verify import asked_keys, choose_learned, verify

RANK = {"arxiv": 0, "semantic_scholar": 1, "openalex": 2, "crossref": 3}


def ref(**ids: str) -> WorkRef:
    return WorkRef(
        "w", Identifiers(**ids), "Model Balancing Helps Low-data Training", ["Zihang Liu"], 2024
    )


def found(**kw: object) -> SourceResult:
    return SourceResult("w", "found", **kw)  # type: ignore[arg-type]


def test_s2_answer_must_carry_the_id_asked() -> None:
    work = ref(arxiv="2410.12178")
    asked = asked_keys("semantic_scholar", "ARXIV:2410.12178")
    good = found(external_ids={"arxiv": "2410.12178", "semantic_scholar": "a" * 40})
    other = found(external_ids={"arxiv": "2301.00001", "doi": "10.1/other"})
    assert verify("semantic_scholar", work, asked, good).status == "ok"
    verdict = verify("semantic_scholar", work, asked, other)
    assert verdict.status == "conflict" and "2301.00001" in verdict.message


@pytest.mark.parametrize(
    ("lookup", "ids"),
    [
        ("DOI:10.1/A", {"doi": "10.1000/a"}),
        ("CorpusId:42", {"corpus_id": "42"}),
        ("b" * 40, {"semantic_scholar": "b" * 40}),
        ("ARXIV:2410.12178", {"doi": "10.48550/arXiv.2410.12178"}),
    ],
)
def test_s2_id_forms_are_compared_normalised(lookup: str, ids: dict[str, str]) -> None:
    assert (
        verify(
            "semantic_scholar",
            ref(),
            asked_keys("semantic_scholar", lookup),
            found(external_ids=ids),
        ).status
        == "ok"
    )


def test_crossref_returned_doi_must_be_the_doi_asked() -> None:
    asked = asked_keys("crossref", "10.1000/xyz")
    assert verify("crossref", ref(), asked, found(external_id="10.1000/XYZ")).status == "ok"
    assert verify("crossref", ref(), asked, found(external_id="10.1000/abc")).status == "conflict"
    assert verify("crossref", ref(), asked, found()).status == "conflict"  # no DOI at all


def test_a_clearly_different_title_is_a_conflict() -> None:
    asked = asked_keys("arxiv", "2410.12178")
    answer = found(external_ids={"arxiv": "2410.12178"}, data={"title": "Quantum Gravity Loops"})
    assert verify("arxiv", ref(), asked, answer).status == "conflict"
    same = found(
        external_ids={"arxiv": "2410.12178"},
        data={"title": "Model balancing helps low data training!"},
    )
    assert verify("arxiv", ref(), asked, same).status == "ok"


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"citation_count": 10**20}, "out of range"),
        ({"citation_count": -1}, "out of range"),
        ({"citation_count": "12"}, "str"),
        ({"citation_count": True}, "bool"),
        ({"citation_count": 1.5}, "float"),
        ({"influential": [1]}, "list"),
        ({"external_id": {"paperId": "x"}}, "dict"),
        ({"counts_by_year": {99999: 1}}, "counts by year"),
        ({"counts_by_year": {2020: 10**30}}, "counts by year"),
    ],
)
def test_impossible_values_reject_the_record(fields: dict, needle: str) -> None:
    verdict = verify("semantic_scholar", ref(), set(), found(**fields))
    assert verdict.status == "rejected" and needle in verdict.message


def row(kind: str, value: str, source: str, verified: int = 1) -> dict:
    return {"kind": kind, "value": value, "source": source, "verified": verified}


def test_the_bib_always_wins_and_contradicting_rows_are_dropped() -> None:
    rows = [row("doi", "10.1000/wrong", "semantic_scholar"), row("openalex", "W1", "openalex")]
    chosen, dropped = choose_learned({"doi": "10.1000/right"}, rows, RANK)
    assert chosen == {"openalex": "W1"}
    assert dropped == [rows[0]]


def test_a_value_two_other_sources_contradict_is_dropped() -> None:
    rows = [
        row("doi", "10.1000/poison", "semantic_scholar"),
        row("doi", "10.1000/real", "arxiv"),
        row("doi", "10.1000/real", "crossref"),
    ]
    chosen, dropped = choose_learned({}, rows, RANK)
    assert chosen == {"doi": "10.1000/real"} and dropped == [rows[0]]


def test_verified_rows_come_before_title_matches() -> None:
    rows = [row("doi", "10.1000/a", "arxiv", verified=0), row("doi", "10.1000/b", "crossref")]
    chosen, dropped = choose_learned({}, rows, RANK)
    assert chosen == {"doi": "10.1000/b"} and not dropped


def _oa(oa_id: str, doi: str, arxiv_location: str | None = None) -> dict:
    record: dict = {"id": f"https://openalex.org/{oa_id}", "doi": f"https://doi.org/{doi}"}
    if arxiv_location:
        record["locations"] = [{"landing_page_url": f"https://arxiv.org/abs/{arxiv_location}"}]
    record["cited_by_count"] = int(oa_id[1:])
    return record


def test_openalex_matching_does_not_depend_on_answer_order() -> None:
    preprint = WorkRef("pre", Identifiers(arxiv="2401.00001"), "T", [], 2024)
    journal = WorkRef("pub", Identifiers(doi="10.1000/j.1"), "T", [], 2024)
    records = [
        _oa("W2", "10.1000/j.1", arxiv_location="2401.00001"),  # lists the preprint too
        _oa("W1", "10.48550/arxiv.2401.00001"),
    ]
    asked = {"pre": "10.48550/arxiv.2401.00001", "pub": "10.1000/j.1"}
    for order in itertools.permutations(records):
        results = match_records([preprint, journal], list(order), asked)
        assert [r.external_id for r in results] == ["W1", "W2"], order


def test_a_retitled_journal_version_with_a_shared_author_is_not_a_conflict() -> None:
    asked = asked_keys("crossref", "10.1000/xyz")
    retitled = found(
        external_id="10.1000/xyz",
        data={"title": "Spectral Diagnostics for Neural Networks", "authors": ["Zihang Liu"]},
    )
    assert verify("crossref", ref(), asked, retitled).status == "ok"
    stranger = found(
        external_id="10.1000/xyz",
        data={"title": "Spectral Diagnostics for Neural Networks", "authors": ["Jo Other"]},
    )
    assert verify("crossref", ref(), asked, stranger).status == "conflict"
