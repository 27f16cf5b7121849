"""Links and ids in link-carrying fields (pubtrack.bibtex.links and the reader)."""

from __future__ import annotations

from pubtrack.bibtex import read_string
from pubtrack.bibtex.links import doi_in_url, link, urls


def _one(entry: str) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    library = read_string(entry)
    work = library.works[0]
    return work.ids.arxiv, work.ids.doi, [(x.label, x.url) for x in work.links]


def test_urls_from_html_commands_and_lists() -> None:
    assert urls('<a href="https://example.org/p">the paper</a>') == ["https://example.org/p"]
    assert urls("<a href='https://a.org/x?a=1&amp;b=2'>x</a>") == ["https://a.org/x?a=1&b=2"]
    assert urls(r"\url{https://github.com/a/b\_c}") == ["https://github.com/a/b_c"]
    assert urls(r"\href{https://a.org}{A}, see also https://b.org/y.") == [
        "https://a.org",
        "https://b.org/y",
    ]
    assert urls("http://a.org/x.pdf; https://b.org/y, (https://c.org/z)") == [
        "http://a.org/x.pdf",
        "https://b.org/y",
        "https://c.org/z",
    ]
    assert urls("doi:10.1000/ABC and 10.1000/def") == [
        "https://doi.org/10.1000/abc",
        "https://doi.org/10.1000/def",
    ]
    assert urls("arXiv:math.GT/0309136v2") == ["https://arxiv.org/abs/math/0309136"]
    assert urls("see the website") == [] and urls(None) == []


def test_single_link_fields_keep_relative_paths_and_drop_text() -> None:
    assert link("paper.pdf") == "paper.pdf"  # al-folio: relative to assets/pdf
    assert link('<a href="https://x.org/s.pdf">slides</a>') == "https://x.org/s.pdf"
    assert link("doi:<a") is None
    assert link("see the website") is None
    assert link("javascript:alert(1)") is None


def test_doi_in_publisher_urls() -> None:
    assert doi_in_url("https://dl.acm.org/doi/abs/10.1145/3503161.3547850") == (
        "10.1145/3503161.3547850"
    )
    assert doi_in_url("https://link.springer.com/chapter/10.1007/978-3-031-19839-7_40") == (
        "10.1007/978-3-031-19839-7_40"
    )
    assert doi_in_url("https://iopscience.iop.org/article/10.3847/1538-4357/ab1234/pdf") == (
        "10.3847/1538-4357/ab1234"
    )
    assert doi_in_url("https://doi.org/10.1000/xyz") == "10.1000/xyz"
    assert doi_in_url("https://www.nature.com/articles/s41586-020-2649-2") is None


def test_url_with_html_gives_the_link_and_the_doi() -> None:
    arxiv, doi, links = _one(
        '@article{a, title={T}, url={doi:<a href="https://doi.org/10.1000/jkl">10.1000/jkl</a>}}'
    )
    assert (arxiv, doi) == (None, "10.1000/jkl")
    assert links == [("DOI", "https://doi.org/10.1000/jkl")]  # no "Website" built from markup
    _, doi, links = _one(
        '@article{a, title={T}, url={<a href="https://example.org/q">doi:10.1000/xyz</a>}}'
    )
    assert doi == "10.1000/xyz"
    assert links == [("DOI", "https://doi.org/10.1000/xyz"), ("Website", "https://example.org/q")]


def test_several_urls_doi_prefix_and_bare_doi_in_url() -> None:
    _, doi, links = _one(
        "@article{a, title={T}, url={https://doi.org/10.1000/def https://example.org/page}}"
    )
    assert doi == "10.1000/def"
    assert links == [
        ("DOI", "https://doi.org/10.1000/def"),
        ("Website", "https://example.org/page"),
    ]
    assert _one("@article{a, title={T}, url={doi:10.1000/abc}}")[1:] == (
        "10.1000/abc",
        [("DOI", "https://doi.org/10.1000/abc")],
    )
    assert _one("@article{a, title={T}, url={10.1000/ghi}}")[1] == "10.1000/ghi"
    assert _one("@article{a, title={T}, url={see the website}}")[2] == []


def test_howpublished_url_gives_link_and_ids() -> None:
    assert _one(r"@misc{a, title={T}, howpublished={\url{https://github.com/x/y}}}")[2] == [
        ("Website", "https://github.com/x/y")
    ]
    arxiv, _, links = _one(
        r"@misc{a, title={T}, howpublished={\url{https://arxiv.org/abs/math.GT/0309136v2}}}"
    )
    assert arxiv == "math/0309136"
    assert links == [("arXiv", "https://arxiv.org/abs/math/0309136")]


def test_arxiv_ids_and_dois_in_every_spelling() -> None:
    for entry in (
        "@misc{a, title={T}, eprint={arXiv:math.GT/0309136}, archivePrefix={arXiv}}",
        "@misc{a, title={T}, eprint={math.GT/0309136v1}}",
        "@misc{a, title={T}, doi={10.48550/arXiv.math/0309136}}",
    ):
        assert _one(entry)[0] == "math/0309136", entry
    for entry in (
        "@misc{a, title={T}, doi={10.48550/ARXIV.2405.01234}}",
        "@misc{a, title={T}, doi={https://doi.org/10.48550/arxiv.2405.01234}}",
        "@misc{a, title={T}, url={https://doi.org/10.48550/arXiv.2405.01234}}",
        "@misc{a, title={T}, eprint={ARXIV:2405.01234V3}}",
    ):
        arxiv, doi, links = _one(entry)
        assert (arxiv, doi) == ("2405.01234", None), entry
        assert links == [("arXiv", "https://arxiv.org/abs/2405.01234")], entry


def test_talk_links_are_sanitised_too() -> None:
    library = read_string(
        '@misc{t, title={T}, url={doi:<a href="https://ev.org/t">x</a>}, slides={no link}}',
        talks=True,
    )
    assert [(x.label, x.url) for x in library.talks[0].links] == [("Website", "https://ev.org/t")]


def test_a_howpublished_link_is_not_a_venue() -> None:
    library = read_string(
        "@misc{a, title={T}, howpublished={\\url{https://github.com/x/y}}}\n"
        "@misc{b, title={T}, howpublished={Zenodo, \\url{https://zenodo.org/r/1}}}\n"
    )
    assert [w.venue for w in library.works] == ["", "Zenodo, https://zenodo.org/r/1"]
    assert [x.url for x in library.works[1].links] == ["https://zenodo.org/r/1"]
