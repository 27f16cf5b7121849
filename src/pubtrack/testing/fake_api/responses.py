"""Response bodies in the shapes the real services answer with (checked against
the recordings in corpora/api by the tests)."""

from __future__ import annotations

import re
import time
from typing import Any
from xml.sax.saxutils import escape

from pubtrack.testing.fake_api.catalogue import FakePaper, FakePerson, _aid, _date_parts

S2_TOO_MANY = (
    "Too Many Requests. Please wait and try again or apply for a key for higher rate "
    "limits. https://www.semanticscholar.org/product/api#api-key-form"
)


ARXIV_NS = "http://arxiv.org/schemas/atom"


S2_FIELDS = [
    "paperId",
    "corpusId",
    "externalIds",
    "url",
    "title",
    "abstract",
    "venue",
    "year",
    "publicationDate",
    "journal",
    "openAccessPdf",
    "tldr",
    "citationCount",
    "influentialCitationCount",
    "referenceCount",
    "isOpenAccess",
    "fieldsOfStudy",
    "publicationTypes",
    "authors",
    "publicationVenue",
]


def s2_paper(paper: FakePaper, fields: list[str] | None = None) -> dict[str, Any]:
    """A Graph v1 paper object with the requested fields (paperId always)."""
    external: dict[str, Any] = {}
    if paper.arxiv_id:
        external["ArXiv"] = paper.arxiv_id
    if paper.doi:
        external["DOI"] = paper.doi
    elif paper.arxiv_id:
        external["DOI"] = f"10.48550/arXiv.{paper.arxiv_id}"
    external["CorpusId"] = paper.corpus_id
    pdf = (
        {"url": f"https://arxiv.org/pdf/{paper.arxiv_id}", "status": "GREEN"}
        if paper.arxiv_id
        else None
    )
    full: dict[str, Any] = {
        "paperId": paper.s2_id,
        "corpusId": paper.corpus_id,
        "externalIds": external,
        "url": f"https://www.semanticscholar.org/paper/{paper.s2_id}",
        "title": paper.title,
        "abstract": paper.abstract or None,
        "venue": paper.venue if paper.doi else "arXiv.org",
        "year": paper.year,
        "publicationDate": paper.published or None,
        "journal": {"name": paper.venue} if paper.doi else {"name": "ArXiv"},
        "openAccessPdf": pdf,
        "tldr": {"model": "tldr@v2.0.0", "text": paper.tldr} if paper.tldr else None,
        "citationCount": paper.citation_count,
        "influentialCitationCount": paper.influential_count,
        "referenceCount": 30,
        "isOpenAccess": pdf is not None,
        "fieldsOfStudy": ["Computer Science"],
        "publicationTypes": ["JournalArticle"] if paper.doi else None,
        "authors": [
            {"authorId": _aid(paper, i, "s2") or str(1000 + abs(hash(name)) % 10**8), "name": name}
            for i, name in enumerate(paper.authors)
        ],
        "publicationVenue": None,
    }
    wanted = fields or ["title"]
    return {"paperId": paper.s2_id, **{f: full[f] for f in wanted if f in full}}


def arxiv_entry(paper: FakePaper, version: int | None = None) -> str:
    """One Atom <entry>, laid out like export.arxiv.org's 2026 answers."""
    assert paper.arxiv_id
    v = version or paper.arxiv_version
    ident = f"{paper.arxiv_id}v{v}"
    published = f"{paper.published}T12:00:00Z"
    updated = published if v == 1 else f"{paper.published}T12:00:00Z".replace("T12", "T18")
    parts = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{ident}</id>",
        f"    <title>{escape(paper.title)}</title>",
        f"    <updated>{updated}</updated>",
        f'    <link href="https://arxiv.org/abs/{ident}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{ident}" rel="related" '
        'type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(paper.abstract)}</summary>",
    ]
    parts += [
        f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>'
        for c in paper.categories
    ]
    parts.append(f"    <published>{published}</published>")
    if paper.comment:
        parts.append(f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>")
    parts.append(f'    <arxiv:primary_category term="{paper.categories[0]}"/>')
    if paper.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>")
    for name in paper.authors:
        parts += ["    <author>", f"      <name>{escape(name)}</name>", "    </author>"]
    if paper.doi and paper.arxiv_lists_doi:
        parts.append(f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>")
        parts.append(
            f'    <link rel="related" href="https://doi.org/{escape(paper.doi)}" title="doi"/>'
        )
    parts.append("  </entry>")
    return "\n".join(parts)


def arxiv_feed(entries: list[str], query: str, total: int, per_page: int) -> str:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        f'xmlns:arxiv="{ARXIV_NS}" xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>https://arxiv.org/api/{abs(hash(query)) % 10**12:012d}</id>\n"
        f"  <title>arXiv Query: {escape(query)}</title>\n"
        f"  <updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}</updated>\n"
        f'  <link href="https://arxiv.org/api/query?{escape(query)}" '
        'type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
    )
    return head + "".join(e + "\n" for e in entries) + "</feed>\n"


def arxiv_error_feed(bad_id: str) -> str:
    """What arXiv answers (HTTP 400) for a malformed id."""
    slug = re.sub(r"\s+", "_", f"incorrect id format for {bad_id}")
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        f'xmlns:arxiv="{ARXIV_NS}" xmlns="http://www.w3.org/2005/Atom">\n'
        "  <id>https://arxiv.org/</id>\n"
        "  <title>arXiv Search Results</title>\n"
        f"  <updated>{when}</updated>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        "  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{escape(slug)}</id>\n"
        "    <title>Error</title>\n"
        f"    <updated>{when}</updated>\n"
        f'    <link href="https://arxiv.org/api/errors#{escape(slug)}" rel="alternate" '
        'type="text/html"/>\n'
        f"    <summary>incorrect id format for {escape(bad_id)}</summary>\n"
        "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    )


def openalex_work(paper: FakePaper, *, as_preprint: bool = False) -> dict[str, Any]:
    """An OpenAlex Work. ``as_preprint``: the arXiv record of a paper OpenAlex keeps apart."""
    doi = paper.arxiv_doi if (as_preprint or not paper.doi) else paper.doi
    oa_id = paper.openalex_id + ("P" if as_preprint else "")
    ids = {"openalex": f"https://openalex.org/{oa_id}", "doi": f"https://doi.org/{doi}"}
    locations = []
    if paper.doi and not as_preprint:
        locations.append(
            {
                "is_oa": False,
                "landing_page_url": f"https://doi.org/{paper.doi}",
                "pdf_url": None,
                "source": {"id": "https://openalex.org/S1", "display_name": paper.venue},
                "version": "publishedVersion",
            }
        )
    if paper.arxiv_id:
        locations.append(
            {
                "is_oa": True,
                "landing_page_url": f"http://arxiv.org/abs/{paper.arxiv_id}",
                "pdf_url": f"http://arxiv.org/pdf/{paper.arxiv_id}",
                "source": {
                    "id": "https://openalex.org/S4306400194",
                    "display_name": "arXiv (Cornell University)",
                    "type": "repository",
                },
                "version": "submittedVersion",
            }
        )
    return {
        "id": f"https://openalex.org/{oa_id}",
        "doi": f"https://doi.org/{doi}",
        "title": paper.title,
        "display_name": paper.title,
        "publication_year": paper.year,
        "publication_date": paper.published or f"{paper.year}-01-01",
        "ids": ids,
        "language": "en",
        "primary_location": locations[0] if locations else None,
        "type": "preprint" if (as_preprint or not paper.doi) else "article",
        "authorships": [
            {
                "author_position": "first" if i == 0 else "middle",
                "author": {
                    "id": f"https://openalex.org/{_aid(paper, i, 'openalex') or f'A{i}'}",
                    "display_name": n,
                    "orcid": (
                        f"https://orcid.org/{_aid(paper, i, 'orcid')}"
                        if _aid(paper, i, "orcid")
                        else None
                    ),
                },
                "institutions": [],
            }
            for i, n in enumerate(paper.authors)
        ],
        "cited_by_count": paper.citation_count,
        "locations_count": len(locations),
        "locations": locations,
        "counts_by_year": [
            {"year": y, "cited_by_count": c}
            for y, c in sorted(paper.counts_by_year.items(), reverse=True)
        ],
        "updated_date": "2026-11-01T00:00:00.000000",
        "created_date": f"{paper.year}-01-01",
    }


def crossref_message(paper: FakePaper) -> dict[str, Any]:
    assert paper.doi
    authors = []
    for i, name in enumerate(paper.authors):
        given, _, family = name.rpartition(" ")
        author = {"given": given, "family": family, "sequence": "first" if i == 0 else "additional"}
        if _aid(paper, i, "orcid"):
            author["ORCID"] = f"https://orcid.org/{_aid(paper, i, 'orcid')}"
        authors.append(author)
    return {
        "status": "ok",
        "message-type": "work",
        "message-version": "1.0.0",
        "message": {
            "DOI": paper.doi,
            "URL": f"https://doi.org/{paper.doi}",
            "title": [paper.title],
            "container-title": [paper.venue],
            "author": authors,
            "published": {"date-parts": [_date_parts(paper)]},
            "type": paper.crossref_type,
            **({"volume": paper.volume} if paper.volume else {}),
            **({"page": paper.pages} if paper.pages else {}),
            "is-referenced-by-count": paper.citation_count,
            "references-count": 30,
            "publisher": "Fake Publisher",
        },
    }


def orcid_works_body(person: FakePerson) -> dict[str, Any]:
    """``/works`` of a person: one group per work; a published preprint is one group of two."""
    groups = []
    for n, paper in enumerate(person.orcid_papers):
        summaries = []
        if paper.doi:
            summaries.append(_orcid_summary(paper, 1000 + 2 * n, "journal-article", paper.doi))
        if paper.arxiv_id:
            summaries.append(
                _orcid_summary(paper, 1001 + 2 * n, "preprint", f"10.48550/arXiv.{paper.arxiv_id}")
            )
        groups.append(
            {
                "last-modified-date": {"value": 1700000000000},
                "external-ids": {
                    "external-id": [x for s in summaries for x in s["external-ids"]["external-id"]]
                },
                "work-summary": summaries,
            }
        )
    for n, paper in enumerate(person.orcid_only):
        summary = _orcid_summary(paper, ORCID_ONLY_CODES + n, "other", "")
        summary["external-ids"] = {"external-id": []}
        groups.append({"external-ids": {"external-id": []}, "work-summary": [summary]})
    return {"last-modified-date": {"value": 1700000000000}, "group": groups, "path": "/works"}


ORCID_ONLY_CODES = 9000


def orcid_full_work(person: FakePerson, put_code: int) -> dict[str, Any] | None:
    """One full work of the bulk endpoint: contributors once per CRediT role, like ORCID."""
    n = put_code - ORCID_ONLY_CODES
    if not 0 <= n < len(person.orcid_only):
        return None
    paper = person.orcid_only[n]
    contributors = []
    for i, name in enumerate(paper.authors):
        orcid = _aid(paper, i, "orcid")
        for role in ("conceptualization", "writing-original-draft"):
            contributors.append(
                {
                    "contributor-orcid": {
                        "uri": f"https://orcid.org/{orcid}" if orcid else None,
                        "path": orcid or None,
                        "host": "orcid.org" if orcid else None,
                    },
                    "credit-name": {"value": name},
                    "contributor-attributes": {
                        "contributor-sequence": None,
                        "contributor-role": f"http://credit.niso.org/contributor-roles/{role}/",
                    },
                }
            )
    summary = _orcid_summary(paper, put_code, "other", "")
    summary["external-ids"] = {"external-id": []}
    return {**summary, "contributors": {"contributor": contributors}}


def _orcid_summary(paper: FakePaper, put_code: int, kind: str, doi: str) -> dict[str, Any]:
    year, *rest = _date_parts(paper)
    date: dict[str, Any] = {"year": {"value": str(year)}, "month": None, "day": None}
    if rest:
        date["month"] = {"value": f"{rest[0]:02d}"}
    return {
        "put-code": put_code,
        "source": {"source-name": {"value": "Crossref" if kind != "preprint" else "DataCite"}},
        "title": {"title": {"value": paper.title}, "subtitle": None, "translated-title": None},
        "external-ids": {
            "external-id": [
                {
                    "external-id-type": "doi",
                    "external-id-value": doi,
                    "external-id-normalized": {"value": doi.lower(), "transient": True},
                    "external-id-url": {"value": f"https://doi.org/{doi}"},
                    "external-id-relationship": "self",
                }
            ]
        },
        "type": kind,
        "publication-date": date,
        "journal-title": {"value": paper.venue} if kind != "preprint" else None,
        "visibility": "public",
    }


def dblp_person_xml(person: FakePerson) -> str:
    out = [
        f'<?xml version="1.0" encoding="US-ASCII"?>\n<dblpperson name="{escape(person.name)}" '
        f'pid="{person.dblp_pid}" n="{len(person.dblp_papers)}">'
    ]
    for paper in person.dblp_papers:
        tag = "article" if paper.doi else "article"
        attrs = ' publtype="informal"' if not paper.doi else ""
        out.append(f'<r><{tag} key="{_dblp_key(paper)}" mdate="2026-01-01"{attrs}>')
        for i, name in enumerate(paper.authors):
            pid = _aid(paper, i, "dblp") or f"00/{i}"
            out.append(f'<author pid="{pid}">{escape(name)}</author>')
        out.append(f"<title>{escape(paper.title)}.</title>")
        out.append(f"<journal>{escape(paper.venue if paper.doi else 'CoRR')}</journal>")
        if paper.volume:
            out.append(f"<volume>{escape(paper.volume)}</volume>")
        if paper.pages:
            out.append(f"<pages>{escape(paper.pages)}</pages>")
        out.append(f"<year>{paper.year}</year>")
        if paper.doi:
            out.append(f"<ee>https://doi.org/{escape(paper.doi)}</ee>")
        if paper.arxiv_id:
            out.append(f"<ee>https://arxiv.org/abs/{escape(paper.arxiv_id)}</ee>")
        out.append(f"</{tag}></r>")
    out.append("</dblpperson>\n")
    return "\n".join(out)


def _dblp_key(paper: FakePaper) -> str:
    return (
        f"journals/fake/P{paper.corpus_id}" if paper.doi else f"journals/corr/abs-{paper.arxiv_id}"
    )
