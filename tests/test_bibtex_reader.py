"""The BibTeX reader on small inline files: every feature, every problem with its line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pubtrack.bibtex import load_library, read_file, read_files, read_string
from pubtrack.config import Config
from pubtrack.errors import BibError
from pubtrack.models import EM_CLOSE, EM_OPEN, Library


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def _messages(library: Library) -> list[str]:
    return [str(p) for p in library.problems]


def _find(library: Library, needle: str) -> list[str]:
    return [m for m in _messages(library) if needle in m]


# -- macros, concatenation, months, crossref, dates ------------------------------


def test_strings_concatenation_chains_and_case_insensitive_names() -> None:
    lib = read_string(
        """@String{FOO = "Foo"}
@string{BaR = foo # " Bar"}
@article{k,
  title = bar # { and } # "more",
  journal = MyJournal,
  year = 2020,
  month = "1~" # mar,
}
@string{myjournal = "Late"}
"""
    )
    work = lib.works[0]
    assert work.title == "Foo Bar and more"
    assert work.year == 2020 and work.month == 3 and work.day == 1
    # macro defined after the entry: undefined at that point (BibTeX order), reported
    assert work.fields["journal"] == "MyJournal"
    assert _find(lib, "undefined @string macro 'MyJournal'")


def test_month_macros_names_and_numbers() -> None:
    lib = read_string(
        "@misc{a, title={A}, year=2020, month=jan}\n"
        "@misc{b, title={B}, year=2020, month={September}}\n"
        "@misc{c, title={C}, year=2020, month={11}}\n"
        '@misc{d, title={D}, year=2020, month=oct # "-" # nov}\n'
    )
    assert [w.month for w in lib.works] == [1, 9, 11, 10]
    assert lib.problems == []


def test_macros_of_an_earlier_file_are_visible_in_later_files(tmp_path: Path) -> None:
    defs = _write(tmp_path / "definitions.bib", '@string{focs89 = "Proc. FOCS"}\n')
    papers = _write(tmp_path / "papers.bib", "@inproceedings{p, title={T}, booktitle=FOCS89}\n")
    lib = read_files([defs, papers])
    assert lib.works[0].venue == "Proc. FOCS"
    assert lib.problems == []
    alone = read_file(papers)
    assert alone.works[0].venue == "FOCS89"
    assert _find(alone, "undefined @string macro 'FOCS89'")


def test_crossref_inheritance_child_fields_win() -> None:
    lib = read_string(
        """@inproceedings{child,
  title = {Child paper},
  author = {Doe, Jane},
  crossref = {proc},
  year = {2021},
}
@proceedings{proc,
  title = {Proceedings of Things},
  year = {1999},
  publisher = {ACM},
}
@inproceedings{orphan, title = {Orphan}, crossref = {missing}}
"""
    )
    child = next(w for w in lib.works if w.key == "child")
    assert child.year == 2021
    assert child.fields["publisher"] == "ACM"
    assert child.venue == "Proceedings of Things"  # parent title -> booktitle
    (warning,) = _find(lib, "crossref target 'missing' not found")
    assert warning.startswith("<string>:12:")


def test_unusable_year_or_month_is_a_warning() -> None:
    lib = read_string("@misc{k, title={T},\n  year={n.d.},\n  month={someday}}\n")
    assert [(p.line, p.severity) for p in lib.problems] == [(2, "warning"), (3, "warning")]
    assert "year 'n.d.' is not understood" in lib.problems[0].message
    assert lib.works[0].sort_date == (0, 0, 0)


def test_biblatex_date_fields() -> None:
    lib = read_string(
        "@article{a, title={A}, date={2024-11-12}}\n"
        "@article{b, title={B}, date={2024-11}}\n"
        "@article{c, title={C}, date={2023-05-01/2023-06-30}}\n"
    )
    assert [w.sort_date for w in lib.works] == [(2024, 11, 12), (2024, 11, 0), (2023, 5, 1)]


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = "\ufeff@article{k,\r\n  title = {A\r\n  title},\r\n  year = {2020}\r\n}\r\n"
    path = _write(tmp_path / "a.bib", text)
    lib = read_file(path)
    assert lib.works[0].key == "k"
    assert lib.works[0].title == "A title"
    assert all("\r" not in v for v in lib.works[0].fields.values())
    assert lib.works[0].location is not None and lib.works[0].location.line == 1


# -- problems, each with file and line --------------------------------------------


def test_syntax_errors_unbalanced_braces_and_missing_key() -> None:
    lib = read_string(
        """@article{good, title = {Good}}

@article{bad,
  title = {Unbalanced
}

@article{, title = {No key}}
@book{key
  author = "An Author"
}
@article{last, title = {Last}}
"""
    )
    assert [w.key for w in lib.works] == ["good", "last"]
    messages = _messages(lib)
    assert any(m.startswith("<string>:3: syntax error in @article block") for m in messages)
    assert any(m.startswith("<string>:7: @article entry without a key") for m in messages)
    assert any(m.startswith("<string>:8: syntax error in @book block") for m in messages)
    assert all(p.severity == "error" for p in lib.problems)


def test_duplicate_keys_within_and_across_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.bib", "@misc{x, title={First}}\n\n@misc{x, title={Second}}\n")
    b = _write(tmp_path / "b.bib", "@misc{y, title={Y}}\n@misc{x, title={Third}}\n")
    lib = read_files([a, b], root=tmp_path)
    assert [(w.key, w.title) for w in lib.works] == [("x", "First"), ("y", "Y")]
    assert _find(lib, "a.bib:3: duplicate key 'x' (first at a.bib:1)")
    assert _find(lib, "b.bib:2: duplicate key 'x' (first at a.bib:1)")


def test_duplicate_field_keeps_entry_with_first_value() -> None:
    lib = read_string("@article{k,\n  title = {One},\n  Title = {Two},\n  year = 2020\n}\n")
    assert lib.works[0].title == "One"
    (message,) = _messages(lib)
    assert message.startswith("<string>:3: k: duplicate field 'title' (first at line 2)")
    assert "first value is used" in message


def test_exact_duplicate_field_bibtexparser_drops_is_kept() -> None:
    # bibtexparser turns this entry into a DuplicateFieldKeyBlock (entry dropped)
    lib = read_string("@misc{k,\n  year = 2001,\n  year = 2002,\n  title = {T}\n}\n")
    assert [(w.key, w.year, w.title) for w in lib.works] == [("k", 2001, "T")]
    assert [(p.line, p.severity) for p in lib.problems] == [(3, "error")]


def test_missing_comma_between_fields_is_detected_and_recovered() -> None:
    lib = read_string('@book{key,\n\tauthor = "An Author"\n\ttitle = "The Title"\n}\n')
    work = lib.works[0]
    assert work.fields["author"] == "An Author"
    assert work.title == "The Title"
    (message,) = _messages(lib)
    assert message.startswith("<string>:3: key: missing comma before field 'title'")


def test_percent_comments_inside_entries() -> None:
    lib = read_string(
        """@article{k,  % after the key
  title = {A 5\\% title},
  % on its own line
  year = {2020},  % after a value
  publisher = {P}  % before the end
}
% @misc{commented, title = {Out}}
"""
    )
    assert [w.key for w in lib.works] == ["k"]
    work = lib.works[0]
    assert work.title == "A 5% title"
    assert work.year == 2020 and work.fields["publisher"] == "P"
    assert _find(lib, "<string>:2: k: '%' is not a comment")
    assert _find(lib, "<string>:4: k: '%' is not a comment")
    assert _find(lib, "<string>:5: k: field 'publisher': '%' after a value")
    assert _find(lib, "<string>:7: entry 'commented' is on a line starting with '%'")
    assert all(p.severity == "warning" for p in lib.problems)


def test_undefined_macro_is_a_warning_and_kept_as_text() -> None:
    lib = read_string("@article{k, title = {T}, journal = jacm}\n")
    assert lib.works[0].venue == "jacm"
    (problem,) = lib.problems
    assert problem.severity == "warning" and problem.line == 1


def test_same_arxiv_id_or_doi_is_reported_never_merged(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.bib",
        "@misc{pre, title={T}, eprint={2410.12178}, archiveprefix={arXiv}}\n"
        "@inproceedings{pub, title={T}, booktitle={EMNLP}, url={https://arxiv.org/abs/2410.12178v2}}\n"
        "@article{j1, title={J}, journal={J}, doi={10.1000/ABC}}\n"
        "@article{j2, title={J}, journal={J}, url={https://doi.org/10.1000/abc}}\n",
    )
    lib = read_file(path, root=tmp_path)
    assert len(lib.works) == 4
    assert _find(lib, "p.bib:2: pub: same work as pre (p.bib:1)")
    assert _find(lib, "p.bib:4: j2: same work as j1 (p.bib:3)")


def test_unreadable_file_raises_bib_error(tmp_path: Path) -> None:
    with pytest.raises(BibError, match="missing.bib"):
        read_file(tmp_path / "missing.bib")


# -- works: venue, kind, ids, links, award, selected --------------------------------


def test_al_folio_style_entry() -> None:
    lib = read_string(
        r"""@inproceedings{liu2024,
  title     = {Model \emph{Balancing} Helps},
  author    = {Liu*, Zihang and Hu, Yuanzhe$^\dagger$ and others},
  booktitle = {Proceedings of the 2024 Conference on Empirical Methods in NLP},
  abbr      = {EMNLP},
  year      = {2024},
  month     = nov,
  doi       = {10.18653/v1/2024.emnlp-main.78},
  eprint    = {2410.12178},
  archiveprefix = {arXiv},
  award_name = {Oral},
  award     = {true},
  pdf       = {https://example.org/paper.pdf},
  code      = {https://github.com/x/y},
  slides    = {https://example.org/slides},
  poster    = {https://example.org/poster.pdf},
  video     = {https://youtu.be/abc},
  html      = {https://example.org/a\_b},
  selected  = {true},
  abstract  = {We {\em study} it.},
  note      = {Oral at {EMNLP}},
}"""
    )
    w = lib.works[0]
    assert w.title == f"Model {EM_OPEN}Balancing{EM_CLOSE} Helps"
    assert [a.last for a in w.authors] == ["Liu", "Hu", ""]
    assert w.authors[0].marks == ("*",) and w.authors[1].marks == ("†",)
    assert w.authors[2].is_others
    assert (w.year, w.month, w.venue, w.award, w.kind) == (2024, 11, "EMNLP", "Oral", "conference")
    assert w.ids.arxiv == "2410.12178"
    assert w.ids.doi == "10.18653/v1/2024.emnlp-main.78"
    assert w.ids.acl == "2024.emnlp-main.78"
    assert [(link.label, link.url) for link in w.links] == [
        ("arXiv", "https://arxiv.org/abs/2410.12178"),
        ("DOI", "https://doi.org/10.18653/v1/2024.emnlp-main.78"),
        ("PDF", "https://example.org/paper.pdf"),
        ("Code", "https://github.com/x/y"),
        ("Slides", "https://example.org/slides"),
        ("Poster", "https://example.org/poster.pdf"),
        ("Recording", "https://youtu.be/abc"),
        ("Website", "https://example.org/a_b"),
    ]
    assert w.selected
    assert w.abstract == f"We {EM_OPEN}study{EM_CLOSE} it."
    assert w.note == "Oral at EMNLP"
    assert w.location is not None and w.location.line == 1
    assert w.fields["abbr"] == "EMNLP"


@pytest.mark.parametrize(
    ("entry", "kind", "venue", "arxiv"),
    [
        (
            "@misc{k, title={T}, eprint={2210.05278}, archiveprefix={arXiv}}",
            "preprint",
            "arXiv preprint",
            "2210.05278",
        ),
        (
            "@article{k, title={T}, journal={arXiv preprint arXiv:2301.00001}}",
            "preprint",
            "arXiv preprint arXiv:2301.00001",
            "2301.00001",
        ),
        ("@article{k, title={T}, journal={Nature}}", "journal", "Nature", None),
        (
            "@article{k, title={T}, journaltitle={J. Stuff}, date={2020}}",
            "journal",
            "J. Stuff",
            None,
        ),
        (
            "@article{k, title={T}, arxiv={hep-th/9901001v2}}",
            "preprint",
            "arXiv preprint",
            "hep-th/9901001",
        ),
        (
            "@misc{k, title={T}, url={https://arxiv.org/pdf/2101.00001v1.pdf}}",
            "preprint",
            "arXiv preprint",
            "2101.00001",
        ),
        ("@phdthesis{k, title={T}, school={MIT}}", "thesis", "MIT", None),
        ("@book{k, title={T}, publisher={Springer}}", "book", "Springer", None),
        ("@incollection{k, title={T}, booktitle={Handbook}}", "chapter", "Handbook", None),
        ("@techreport{k, title={T}, institution={CMU}}", "report", "CMU", None),
        ("@misc{k, title={T}, howpublished={Blog}}", "other", "Blog", None),
        ("@conference{k, title={T}, booktitle={{ICML}}}", "conference", "ICML", None),
    ],
)
def test_kind_venue_and_arxiv_id(entry: str, kind: str, venue: str, arxiv: str | None) -> None:
    work = read_string(entry).works[0]
    assert (work.kind, work.venue, work.ids.arxiv) == (kind, venue, arxiv)


def test_urls_are_never_latex_decoded() -> None:
    work = read_string(
        r"@misc{k, title={T}, url={https://x.org/~user/a\_b--c%20d}, doi={10.1000/A\_B}}"
    ).works[0]
    assert work.links[-1].url == "https://x.org/~user/a_b--c%20d"
    assert work.ids.doi == "10.1000/a_b"


def test_arxiv_doi_becomes_the_arxiv_id_and_other_ids_are_read() -> None:
    work = read_string(
        "@misc{k, title={T}, doi={10.48550/arXiv.2410.12178}, s2_id={ABCDEF}, "
        "openalex={https://openalex.org/W123}}"
    ).works[0]
    assert work.ids.arxiv == "2410.12178" and work.ids.doi is None
    assert work.ids.semantic_scholar == "abcdef"
    assert work.ids.openalex == "W123"


def test_url_ending_pdf_is_the_pdf_link_and_not_repeated() -> None:
    work = read_string("@misc{k, title={T}, url={https://x.org/p.pdf}}").works[0]
    assert [(link.label, link.url) for link in work.links] == [("PDF", "https://x.org/p.pdf")]


def test_unsplittable_author_keeps_the_entry() -> None:
    lib = read_string('@article{key01, author = "Simon {"}the {saint", title = {T}}')
    assert [w.key for w in lib.works] == ["key01"]
    assert lib.works[0].authors  # kept as one display name
    assert lib.problems and all(p.line == 1 for p in lib.problems)


# -- talks and load_library -------------------------------------------------------------


def _project(tmp_path: Path, pubs: str, talks: str, toml: str = "") -> Config:
    from pubtrack.config import load_config

    _write(tmp_path / "bib" / "publications.bib", pubs)
    _write(tmp_path / "bib" / "talks.bib", talks)
    (tmp_path / "pubtrack.toml").write_text(toml, encoding="utf-8")
    return load_config(tmp_path / "pubtrack.toml")


def test_load_library_reads_works_and_talks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    config = _project(
        tmp_path,
        "@inproceedings{paper, title={P}, booktitle={B}, year=2024}\n",
        """@misc{t1,
  title = {Invited \\emph{talk}},
  eventtitle = {EMNLP 2024},
  date = {2024-11-12},
  location = {Miami, FL},
  type = {Oral presentation},
  slides = {https://x.org/s},
  video = {https://x.org/v},
  url = {https://x.org/w},
  publication = {paper},
}
@misc{t2, title = {Seminar}, howpublished = {Lab seminar}, year = 2023, month = may,
  publication = {nope}}
""",
    )
    lib = load_library(config)
    assert [w.key for w in lib.works] == ["paper"]
    t1, t2 = lib.talks
    assert t1.title == f"Invited {EM_OPEN}talk{EM_CLOSE}"
    assert (t1.event, t1.date, t1.location_name, t1.talk_type) == (
        "EMNLP 2024",
        date(2024, 11, 12),
        "Miami, FL",
        "Oral presentation",
    )
    assert [link.label for link in t1.links] == ["Slides", "Recording", "Website"]
    assert t1.publication == "paper"
    assert (t2.event, t2.date, t2.year, t2.month) == ("Lab seminar", None, 2023, 5)
    (problem,) = lib.problems
    assert problem.file == "bib/talks.bib" and problem.line == 13
    assert "publication 'nope'" in problem.message and problem.severity == "warning"
    assert lib.fingerprint


def test_encoding_setting_forces_the_codec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    config = _project(tmp_path, "", "", '[bib]\nencoding = "cp1252"\n')
    # not UTF-8: without the setting this would be a guess, reported as a warning
    (tmp_path / "bib" / "publications.bib").write_bytes(
        "@misc{k, title={Caf\u00e9 \u0160}}\n".encode("cp1252")
    )
    lib = load_library(config)
    assert lib.works[0].title == "Café Š"
    assert lib.problems == []


def test_cache_second_load_same_result_and_invalidation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PUBTRACK_NO_CACHE", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    config = _project(tmp_path, "@misc{a, title={A}, journal=undefinedmacro}\n", "")
    first = load_library(config)
    cache_files = list(config.cache_dir.glob("bibtex-*.pickle"))
    assert len(cache_files) == 1
    second = load_library(config)
    assert second.fingerprint == first.fingerprint
    assert [w.key for w in second.works] == ["a"]
    assert [str(p) for p in second.problems] == [str(p) for p in first.problems]
    # a corrupt cache is ignored
    cache_files[0].write_bytes(b"not a pickle")
    assert [w.key for w in load_library(config).works] == ["a"]
    # a change to a file changes the fingerprint and the result
    _write(tmp_path / "bib" / "publications.bib", "@misc{b, title={B}}\n")
    third = load_library(config)
    assert [w.key for w in third.works] == ["b"] and third.fingerprint != first.fingerprint
    # PUBTRACK_NO_CACHE=1: nothing written
    for path in config.cache_dir.glob("*"):
        path.unlink()
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    load_library(config)
    assert list(config.cache_dir.glob("*")) == []


def test_configured_file_that_is_missing_is_a_warning_at_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    config = _project(
        tmp_path,
        "@misc{a, title={A}}\n",
        "",
        '[owner]\nname = "X"\n\n[bib]\npublications = ["bib/publications.bib"]\n'
        'talks = ["bib/gone.bib"]\n',
    )
    lib = load_library(config)
    assert [w.key for w in lib.works] == ["a"]
    (problem,) = lib.problems
    assert (problem.file, problem.line, problem.severity) == ("pubtrack.toml", 6, "warning")
    assert problem.message == "[bib] talks: 'bib/gone.bib' matches no file"


def test_arxiv_ids_in_howpublished_urls_and_dblp_corr() -> None:
    lib = read_string(
        "@misc{a, title={A}, howpublished={\\url{https://arxiv.org/abs/2101.00001v3}}}\n"
        "@article{b, title={B}, journal={CoRR}, volume={abs/1409.0473}, eprint={1409.0473},\n"
        "  eprinttype={arXiv}}\n"
        "@misc{c, title={C}, note={see arXiv:2202.00002 for details}}\n"
    )
    a, b, c = lib.works
    assert (a.ids.arxiv, a.kind, a.venue) == ("2101.00001", "preprint", "arXiv preprint")
    assert (b.ids.arxiv, b.kind, b.venue) == ("1409.0473", "preprint", "CoRR")
    assert c.ids.arxiv is None  # free text in a note is not an id


def test_problems_are_sorted_by_file_then_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.bib",
        "@misc{a, title={A}, crossref={nope}}\n@misc{b, title={B}, journal=undefinedmacro}\n",
    )
    lib = read_file(path, root=tmp_path)
    assert [p.line for p in lib.problems] == [1, 2]


def test_keys_differing_only_in_case_are_warned_and_crossref_ignores_case() -> None:
    lib = read_string(
        "@proceedings{Proc, title={Proc Title}, year=2000}\n"
        "@inproceedings{c, title={C}, crossref={PROC}}\n"
        "@misc{proc, title={Other}}\n"
    )
    assert [w.key for w in lib.works] == ["Proc", "c", "proc"]
    assert lib.works[1].venue == "Proc Title" and lib.works[1].year == 2000
    (problem,) = lib.problems
    assert problem.line == 3 and problem.severity == "warning"
    assert "differs from 'Proc' (<string>:1) only in case" in problem.message


def test_macros_defined_in_preamble_are_expanded_in_displayed_fields() -> None:
    library = read_string(
        '@preamble{"\\providerobustcmd*{\\addat}{@}"}\n'
        '@preamble{"\\newcommand{\\ournet}{Our{N}et} \\newcommand{\\twice}[1]{#1#1}"'
        ' # "\\def\\venue{Proc. of \\ournet}"}\n'
        "@inproceedings{a, title={\\ournet is fast: TyDe\\addat ICFP},\n"
        "  booktitle={\\venue}, author={Smith, J.}}\n"
    )
    work = library.works[0]
    assert work.title == "OurNet is fast: TyDe@ICFP"
    assert work.venue == "Proc. of OurNet"  # a body may use another macro
    assert work.fields["title"] == "\\ournet is fast: TyDe\\addat ICFP"  # raw fields untouched
    assert library.problems == []  # defined macros are not unknown commands


def test_preamble_macro_that_refers_to_itself_stops() -> None:
    library = read_string(
        '@preamble{"\\def\\loop{a\\loop}"}\n@article{a, title={x \\loop{} y}, author={A, B}}\n'
    )
    assert library.works[0].title.startswith("x aaaa")


# A value with a line ending in a backslash, then more entries; a `(`-delimited
# block at the end sends the whole file through bibtexparser's splitter instead of
# the fast one: both must give the same lines and the same entries.
BACKSLASH_LINE = (
    "@misc{a, title = {x\\\n y}}\n% a comment\n@misc{b, title={z}}\n@misc{a, title={w}}\n"
)


@pytest.mark.parametrize("tail", ["", "@misc(c, title={v})\n"])
def test_lines_after_a_backslash_line_are_right_on_either_splitter(tail: str) -> None:
    library = read_string(BACKSLASH_LINE + tail)
    assert [w.key for w in library.works] == ["a", "b"] + (["c"] if tail else [])
    assert [str(p) for p in library.problems] == [
        "<string>:5: duplicate key 'a' (first at <string>:1); this entry is ignored"
    ]
    assert library.works[1].location is not None and library.works[1].location.line == 4
