"""dblp: a person's publication list (``/pid/{pid}.xml``) and single records
(``/rec/{key}.bib``), for init / import / discover / add.

dblp disambiguates namesakes by pid and by a numeric suffix on the name
("Wei Wang 0001"): the suffix is dropped from display names, the pid kept as
the author id. Records that dblp marks ``publtype="informal"`` (CoRR) are
preprints; their ``ee`` links carry the arXiv id.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from pubtrack.errors import BadInputError
from pubtrack.identity import arxiv_id_from_doi, normalize_arxiv_id, normalize_doi
from pubtrack.models import plain
from pubtrack.sources.base import LookupApi
from pubtrack.works.record import Person, Record


class Dblp(LookupApi):
    """dblp's person pages and records (read by import, discover and add)."""

    name = "dblp"
    label = "dblp"
    order = 20  # listings: ORCID, dblp, DataCite
    default_url = "https://dblp.org"
    url_env = "PUBTRACK_DBLP_API_URL"
    record_trust = 20
    min_interval = 1.0  # no published limit; it asks for restraint (429 + Retry-After)
    headers = {"Accept": "application/xml"}


if TYPE_CHECKING:
    from pubtrack.sources.http import HttpClient

NAME = Dblp.name
_SUFFIX = re.compile(r"\s+\d{4}$")
_TYPES = {
    "article": "article",
    "inproceedings": "inproceedings",
    "incollection": "incollection",
    "book": "book",
    "phdthesis": "phdthesis",
    "mastersthesis": "mastersthesis",
}
_PID = re.compile(r"(?:dblp\.org/pid/|^)(?P<pid>[a-z0-9]+/[0-9a-z-]+?)(?:\.html|\.xml)?/?$", re.I)
_REC = re.compile(
    r"dblp(?:\.uni-trier\.de|\.org)/rec/(?:bibtex/|xml/)?(?P<key>[\w\-/+.]+?)(?:\.html|\.bib|\.xml)?$"
)


def normalize_pid(text: str) -> str | None:
    """'66/4615' from a pid or a dblp person URL."""
    match = _PID.search(text.strip())
    return match.group("pid") if match else None


def record_key(text: str) -> str | None:
    """'conf/spire/BastMW06' from a dblp record URL; None otherwise."""
    match = _REC.search(text.strip())
    return match.group("key") if match else None


def strip_suffix(name: str) -> str:
    return _SUFFIX.sub("", name.strip())


def person_records(root: ET.Element) -> tuple[str, list[Record]]:
    """(the person's name, their records) from a ``dblpperson`` document."""
    name = strip_suffix(root.get("name") or "")
    records = []
    for r in root.findall("r"):
        for item in r:
            record = item_record(item)
            if record is not None:
                records.append(record)
    return name, records


def item_record(item: ET.Element) -> Record | None:
    kind = _TYPES.get(item.tag)
    if kind is None:
        return None
    informal = item.get("publtype") == "informal"
    authors = []
    for author in item.findall("author"):
        full = strip_suffix("".join(author.itertext()))
        given, _, family = full.rpartition(" ")
        pid = author.get("pid")
        ids = {"dblp": pid} if pid else {}
        authors.append(Person(given=given, family=family, name=full, ids=ids))
    doi = arxiv = None
    for ee in item.findall("ee"):
        url = (ee.text or "").strip()
        if "doi.org/" in url:
            value = normalize_doi(url)
            if value and arxiv_id_from_doi(value):
                arxiv = arxiv or arxiv_id_from_doi(value)
            elif value:
                doi = doi or value
        elif "arxiv.org/" in url:
            arxiv = arxiv or normalize_arxiv_id(url.split("?")[0])
    title = " ".join("".join(item.findtext("title") or "").split()).rstrip(".")
    title_el = item.find("title")
    if title_el is not None:
        title = " ".join("".join(title_el.itertext()).split()).rstrip(".")
    year = item.findtext("year") or ""
    venue = item.findtext("journal") or item.findtext("booktitle") or ""
    if informal or venue.strip().lower() == "corr":
        venue = ""
    return Record(
        title=title,
        authors=authors,
        year=int(year) if year.isdigit() else None,
        kind="misc" if informal else kind,
        venue=venue.strip(),
        volume=(item.findtext("volume") or "").strip() if not informal else "",
        number=(item.findtext("number") or "").strip(),
        pages=(item.findtext("pages") or "").strip().replace("-", "--").replace("----", "--"),
        doi=doi,
        arxiv=arxiv,
        dblp=item.get("key"),
        preprint=informal,
        source=NAME,
    )


def fetch_person(http: HttpClient, base_url: str, pid: str) -> tuple[str, list[Record]]:
    ident = normalize_pid(pid)
    if ident is None:
        raise BadInputError(f"{pid!r} is not a dblp pid (like 66/4615) or person URL")
    response = http.request(
        NAME, "GET", f"{base_url}/pid/{ident}.xml", expect="xml", allow_status=(404, 410)
    )
    if response.status in (404, 410) or response.body is None:
        raise BadInputError(f"dblp person {ident} not found")
    return person_records(response.body)


def fetch_record(http: HttpClient, base_url: str, key: str) -> Record | None:
    """One dblp record, from its BibTeX export (``/rec/{key}.bib``)."""
    response = http.request(
        NAME,
        "GET",
        f"{base_url}/rec/{key}.bib",
        expect="text",
        headers={"Accept": "application/x-bibtex"},
        allow_status=(404, 410),
    )
    if response.status in (404, 410):
        return None
    return bib_record(response.text)


def bib_record(text: str) -> Record | None:
    """A Record from dblp's BibTeX export of one record (``/rec/{key}.bib``)."""
    from pubtrack.bibtex import read_string

    library = read_string(text, "dblp.bib")
    if not library.works:
        return None
    work = library.works[0]
    key = work.key[5:] if work.key.startswith("DBLP:") else None
    authors = [
        Person(given=a.first, family=" ".join(p for p in (a.von, a.last) if p))
        for a in work.authors
        if not a.is_others
    ]
    arxiv = work.ids.arxiv
    return Record(
        title=work.title.rstrip("."),
        authors=authors,
        year=work.year,
        month=work.month,
        kind=_TYPES.get(work.entry_type, "misc"),
        venue=plain(work.venue),
        volume=work.fields.get("volume", ""),
        number=work.fields.get("number", ""),
        pages=work.fields.get("pages", ""),
        publisher=work.fields.get("publisher", ""),
        doi=work.ids.doi,
        arxiv=arxiv,
        dblp=key,
        source=NAME,
    )
