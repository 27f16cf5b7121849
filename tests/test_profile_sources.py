"""Parsers of the add / import sources against recorded real responses (corpora/api).

Each test skips when ../shared is absent; nothing from the corpora is copied.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pubtrack.sources import crossref, datacite, dblp, openalex, orcid
from pubtrack.testing.fake_api import read_cassette


def _bodies(path: Path) -> list[tuple[str, str]]:
    """(uri, body) of every interaction of a cassette, block-scalar bodies included."""
    found: list[tuple[str, str]] = []
    for rec in read_cassette(path):
        if rec.body.strip() not in ("|", "|-", ">", ">-", ""):
            found.append((rec.uri, rec.body))
    lines = path.read_text(encoding="utf-8").splitlines()
    uri = ""
    i = 0
    while i < len(lines):
        match = re.match(r"\s*uri: (.*)$", lines[i])
        if match:
            uri = match.group(1).strip()
        block = re.match(r"^(\s*)string: [|>]-?\s*$", lines[i])
        if block:
            indent, buf = len(block.group(1)), []
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent
            ):
                buf.append(lines[i])
                i += 1
            found.append((uri, textwrap.dedent("\n".join(buf))))
            continue
        i += 1
    return found


def _json(path: Path, uri_part: str) -> list[Any]:
    return [json.loads(b) for u, b in _bodies(path) if uri_part in u]


# -- ORCID ------------------------------------------------------------------------


def test_orcid_works_one_per_group_with_normalised_dois(corpora_api: Path):
    path = corpora_api / "orcid" / "rorcid_works__person_and_works_0000-0003-1444-9135.yml"
    empty, full = _json(path, "/works")
    assert orcid.works_from_body(empty) == []
    works = orcid.works_from_body(full)
    assert len(works) == len(full["group"]) == 111
    assert all(w.title for w in works)
    dois = [w.doi for w in works if w.doi]
    assert dois and all(d == d.lower() and d.startswith("10.") for d in dois)
    # 14 summaries carry no external id: those works are title-only (found by title later).
    assert sum(1 for w in works if not w.doi and not w.arxiv) >= 1


def test_orcid_grouped_duplicates_become_one_work(corpora_api: Path):
    path = corpora_api / "orcid" / "rorcid_identifiers__person_and_works_0000-0001-8607-8025.yml"
    (body,) = _json(path, "/works")
    summaries = sum(len(g["work-summary"]) for g in body["group"])
    works = orcid.works_from_body(body)
    assert summaries > len(works) == len(body["group"])
    multi = [w for w in works if len(w.put_codes) > 1]
    assert multi and all(w.doi for w in multi)


def test_orcid_sandbox_works_and_person_name(corpora_api: Path):
    body = json.loads(
        (
            corpora_api / "orcid" / "kbase_orcidlink_sandbox_works_0000-0003-4997-3076.json"
        ).read_text()
    )
    works = orcid.works_from_body(body)
    assert len(works) == 6
    path = corpora_api / "orcid" / "rorcid_works__person_and_works_0000-0003-1444-9135.yml"
    people = _json(path, "/person")
    names = [orcid.person_name(p) for p in people]
    assert all(n == n.strip() for n in names) and any(" " in n for n in names)


def test_orcid_ids_checked_before_any_request():
    assert orcid.normalize_orcid("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert orcid.normalize_orcid("0000-0002-1694-233X") == "0000-0002-1694-233X"
    assert orcid.normalize_orcid("0000-0002-1825-0098") is None  # wrong check digit
    assert orcid.normalize_orcid("asdfadf") is None


# -- Crossref --------------------------------------------------------------------------


def test_crossref_work_records(corpora_api: Path):
    path = corpora_api / "crossref" / "rcrossref_cr_works_parses_funders__works_9_dois.yml"
    messages = [b["message"] for b in _json(path, "/works/")]
    assert len(messages) == 9
    records = [crossref.work_record(m) for m in messages]
    kinds = {m["type"]: r.kind for m, r in zip(messages, records, strict=True)}
    assert kinds["journal-article"] == "article"
    assert kinds["proceedings-article"] == "inproceedings"
    for message, record in zip(messages, records, strict=True):
        assert record.doi == message["DOI"].lower()
        assert record.title and record.year
        assert len(record.authors) == len(message.get("author", []))
    with_orcid = [p for r in records for p in r.authors if p.ids.get("orcid")]
    assert with_orcid and all(re.fullmatch(r"[\dX-]{19}", p.ids["orcid"]) for p in with_orcid)


def test_crossref_article_with_pages_and_month(corpora_api: Path):
    path = (
        corpora_api
        / "crossref"
        / (
            "commonmeta_bibtex_writer_test_article_with_pages__ra_and_works_"
            "10.1371_journal.ppat.1008184.yaml"
        )
    )
    (body,) = _json(path, "api.crossref.org/works/")
    record = crossref.work_record(body["message"])
    assert record.kind == "article" and record.doi == "10.1371/journal.ppat.1008184"
    assert record.pages and record.volume and record.venue == "PLOS Pathogens"
    assert record.month is not None and len(record.authors) == 5


# -- DataCite ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, arxiv",
    [
        (
            "commonmeta_crossref_xml_writer_test_arxiv__datacite_dois_10.48550_arxiv.2311.16162.yaml",
            "2311.16162",
        ),
        (
            "commonmeta_schema_org_reader_test_arxiv__abs_page_ra_and_datacite_10.48550_arxiv.1902.02534.yaml",
            "1902.02534",
        ),
    ],
)
def test_datacite_arxiv_doi_records(corpora_api: Path, name: str, arxiv: str):
    (body,) = _json(corpora_api / "datacite" / name, "api.datacite.org/dois/")
    attrs = body["data"]["attributes"]
    record = datacite.doi_record(attrs)
    assert record.arxiv == arxiv and record.doi is None and record.preprint
    assert record.kind == "misc" and record.year == attrs["publicationYear"]
    assert [p.family for p in record.authors] == [c["familyName"] for c in attrs["creators"]]
    assert record.pdf == f"https://arxiv.org/pdf/{arxiv}"


# -- dblp ---------------------------------------------------------------------------------------


def test_dblp_record_bibtex_in_every_variant(corpora_api: Path):
    folder = corpora_api / "dblp"
    std = dblp.bib_record((folder / "bibtex-dblp_rec_conf_spire_BastMW06_standard.bib").read_text())
    condensed = dblp.bib_record(
        (folder / "bibtex-dblp_rec_conf_spire_BastMW06_condensed.bib").read_text()
    )
    with_crossref = dblp.bib_record(
        (folder / "bibtex-dblp_rec_conf_spire_BastMW06_crossref.bib").read_text()
    )
    book = dblp.bib_record((folder / "papis_rec_series_sci_2023-1062.bib").read_text())
    assert std is not None and condensed is not None and with_crossref is not None
    assert std.dblp == condensed.dblp == with_crossref.dblp == "conf/spire/BastMW06"
    assert std.kind == "inproceedings" and std.doi == "10.1007/11880561_13"
    assert std.pages == "150--162" and [p.family for p in std.authors] == [
        "Bast",
        "Mortensen",
        "Weber",
    ]
    assert condensed.venue == "SPIRE"  # braces decoded, no LaTeX left
    assert book is not None and book.kind == "book" and book.doi == "10.1007/978-3-031-16400-2"


def test_dblp_ids_from_urls():
    assert dblp.record_key("https://dblp.org/rec/conf/spire/BastMW06.html") == "conf/spire/BastMW06"
    assert dblp.normalize_pid("https://dblp.org/pid/66/4615.html") == "66/4615"
    assert dblp.strip_suffix("Wei Wang 0001") == "Wei Wang"


# -- OpenAlex ---------------------------------------------------------------------------------


def test_openalex_work_records_from_a_real_list(corpora_api: Path):
    body = json.loads((corpora_api / "works.json").read_text())
    records = [openalex.work_record(w) for w in body["results"]]
    assert len(records) == 49
    for work, record in zip(body["results"], records, strict=True):
        assert record.openalex == work["id"].rsplit("/", 1)[1].upper()
        assert len(record.authors) == len(work["authorships"])
        assert all(p.ids.get("openalex", "").startswith("A") for p in record.authors)


def test_openalex_cursor_paging_follows_next_cursor(corpora_api: Path):
    path = (
        corpora_api
        / "openalex"
        / "openalexPro_pro_snowball__works_filter_cursor_paging_and_400_errors.yml"
    )
    pages = [json.loads(b) for u, b in _bodies(path) if "cursor" in u or "per_page" in u]
    first, last = pages[0], pages[-1]
    assert first["meta"]["next_cursor"] and not last["meta"]["next_cursor"]

    class Replay:
        def __init__(self) -> None:
            self.calls: list[dict[str, str]] = []

        def request(self, source: str, method: str, url: str, **kw: Any) -> Any:
            self.calls.append(kw["params"])
            body = first if len(self.calls) == 1 else last
            return type("R", (), {"body": body, "status": 200})()

    replay = Replay()
    works = openalex.author_works(replay, "https://api.openalex.org", "A1")  # type: ignore[arg-type]
    assert len(works) == len(first["results"]) == 2
    assert [c["cursor"] for c in replay.calls] == ["*", first["meta"]["next_cursor"]]
    assert all(c["filter"] == "author.id:A1" for c in replay.calls)


def test_openalex_single_work_with_orcid_authors(corpora_api: Path):
    path = (
        corpora_api
        / "openalex"
        / "commonmeta_openalex_reader_test_doi_with_orcid__works_doi_10.1155_2012_291294.yaml"
    )
    (work,) = _json(path, "api.openalex.org/works/")
    record = openalex.work_record(work)
    assert record.doi == "10.1155/2012/291294"
    assert any(p.ids.get("orcid") for p in record.authors)


def test_openalex_knows_the_author_id_filter(corpora_api: Path):
    """The filter import and discover page through is one OpenAlex lists as valid."""
    path = (
        corpora_api
        / "openalex"
        / "openalexPro_pro_snowball__works_filter_cursor_paging_and_400_errors.yml"
    )
    errors = [json.loads(b) for u, b in _bodies(path) if "DOESNTEXIST%3A1" in u]
    assert errors and "author.id" in errors[0]["message"]


def test_openalex_author_and_a_merged_away_author(corpora_api: Path):
    folder = corpora_api / "openalex"
    live = openalex.author_summary(
        json.loads((folder / "openalex-python_authors_A5023888391.json").read_text())
    )
    assert live["id"] == "A5023888391" and live["name"] == "Jason Priem"
    assert live["orcid"] == "0000-0001-6187-6610" and not live["deleted"]
    assert live["works_count"] and "Priem Jason" in live["alternatives"]
    gone = openalex.author_summary(
        json.loads((folder / "openalex-python_authors_A5317838346_deleted_author.json").read_text())
    )
    assert gone["deleted"] and gone["works_count"] == 0


def test_orcid_bulk_work_contributors_once_each(corpora_api: Path):
    folder = corpora_api / "orcid"
    bulk = json.loads((folder / "kbase_orcidlink_sandbox_bulk_works_1487805.json").read_text())
    (item,) = bulk["bulk"]
    record = orcid.bulk_record(item["work"])
    contributors = item["work"]["contributors"]["contributor"]
    names = [c["credit-name"]["value"] for c in contributors]
    assert len(record.authors) == len(dict.fromkeys(names)) < len(names)  # once per person
    assert record.title == item["work"]["title"]["title"]["value"]
    with_orcid = [p for p in record.authors if p.ids.get("orcid")]
    assert with_orcid and all(re.fullmatch(r"[\dX-]{19}", p.ids["orcid"]) for p in with_orcid)
    error = json.loads(
        (folder / "kbase_orcidlink_sandbox_bulk_works_bad_put_code_error.json").read_text()
    )

    class Replay:
        def request(self, *args: Any, **kw: Any) -> Any:
            return type("R", (), {"body": error, "status": 200})()

    assert orcid.fetch_bulk(Replay(), "u", "0000-0002-1825-0097", [1487805]) == []  # type: ignore[arg-type]
