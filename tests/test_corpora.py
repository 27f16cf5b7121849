"""Real users' BibTeX (../shared/corpora/bib): read everything, report every failure with its line.

Expected counts are bibtexparser 2.1.0's (corpora results.md) except where
pubtrack deliberately differs, which each case says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pubtrack.bibtex import read_file, read_files
from pubtrack.models import Library

# file -> works pubtrack returns (= bibtexparser's entry count unless commented)
EXPECTED_WORKS = {
    "al-folio-template/papers.bib": 9,
    "al-folio-user-3c-lab/papers.bib": 35,
    "al-folio-user-pjlab/papers.bib": 37,
    "bibtex-ruby/bibdesk.bib": 3,
    "bibtex-ruby/decoret.bib": 5,
    "bibtex-ruby/errors.bib": 1,
    "carlostome-latex-biblio/dblp.bib": 296,
    "plk-biber/definitions.bib": 0,
    "plk-biber/encoding1.bib": 1,
    "plk-biber/encoding3.bib": 1,
    # bibtexparser: 40. Two `%@BOOK{...}` entries are meant as commented out; pubtrack
    # skips them with a warning (BibTeX would read them).
    "plk-biber/names.bib": 38,
    "plk-biber/papers.bib": 2157,
    "plk-biber/tugboat.bib": 3644,
    "plk-biblatex/biblatex-examples.bib": 92,
    "pybtex/cyrillic.bib": 5,
    "pybtex/xampl.bib": 36,
    "python-bibtexparser/article_missing_coma.bib": 4,
    "python-bibtexparser/article_start_with_bom.bib": 1,
    "python-bibtexparser/features2.bib": 1,
    "python-bibtexparser/gbk_test.bib": 1,
    "python-bibtexparser/traps.bib": 1,
    "thammegowda-dissertation/anthology.bib": 228,
    # bibtexparser: 5. The `% @manual{rlang,...}` commented-out entry is skipped (warned).
    "typst-biblatex/comments.bib": 4,
    "typst-biblatex/gral_rep_key.bib": 83,
    "typst-biblatex/incorrect_syntax.bib": 1,
}


def _read(corpora: Path, name: str) -> Library:
    return read_file(corpora / name, root=corpora)


def _lines(library: Library, needle: str, severity: str | None = None) -> list[int]:
    return [
        p.line
        for p in library.problems
        if needle in p.message and (severity is None or p.severity == severity)
    ]


def test_every_corpus_file_is_listed(corpora_bib: Path) -> None:
    found = {str(p.relative_to(corpora_bib)) for p in corpora_bib.rglob("*.bib")}
    assert found == set(EXPECTED_WORKS)


@pytest.mark.parametrize("name", sorted(EXPECTED_WORKS))
def test_each_file_reads_with_expected_count_and_located_problems(
    corpora_bib: Path, name: str
) -> None:
    library = _read(corpora_bib, name)
    assert len(library.works) == EXPECTED_WORKS[name]
    for problem in library.problems:
        assert problem.file == name
        assert problem.line >= 1
        assert problem.message and problem.severity in ("error", "warning")
    keys = [w.key for w in library.works]
    assert len(keys) == len(set(keys))
    for work in library.works:
        assert work.location is not None and work.location.file == name


def test_errors_bib_reports_every_failure_with_its_line(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "bibtex-ruby/errors.bib")
    errors = sorted({p.line for p in library.problems if p.severity == "error"})
    # 9/12: unbalanced @string values; 15, 21, 30, 34, 44, 53: syntax errors;
    # 40: missing comma between fields; 50: duplicate key
    assert errors == [9, 12, 15, 21, 30, 34, 40, 44, 50, 53]
    assert _lines(library, "missing comma before field 'title'") == [40]
    assert _lines(library, "duplicate key 'key'") == [50]
    assert _lines(library, "the entry has no key") == [30]
    assert _lines(library, "a comma is missing after the key 'key'") == [34]
    assert _lines(library, "@string foo redefined", "warning") == [12, 18]
    (work,) = library.works
    assert (work.key, work.title, work.authors[0].display) == ("key", "The Title", "An Author")


def test_decoret_duplicates_and_concatenated_month(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "bibtex-ruby/decoret.bib")
    assert _lines(library, "duplicate key 'key01'") == [21]
    assert _lines(library, "duplicate key 'steward03'") == [55]
    assert _lines(library, "syntax error in @Comment block") == [54]
    sweig = next(w for w in library.works if w.key == "sweig42")
    assert (sweig.year, sweig.month, sweig.day) == (1942, 3, 1)  # month = "1~" # mar
    py03 = next(w for w in library.works if w.key == "py03")
    assert py03.authors[0].display == "Xavier Décoret"


def test_pjlab_duplicate_key(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "al-folio-user-pjlab/papers.bib")
    (problem,) = library.problems
    assert (problem.line, problem.severity) == (56, "error")
    assert "duplicate key 'yuan2023ad' (first at al-folio-user-pjlab/papers.bib:46)" in str(problem)


def test_anthology_five_duplicates(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "thammegowda-dissertation/anthology.bib")
    assert _lines(library, "duplicate key") == [1350, 1367, 1436, 1763, 2702]
    # entries that are one work under two keys: warned, both kept
    assert _lines(library, "same work as", "warning")
    assert len(library.errors) == 5


def test_typst_incorrect_syntax_line(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "typst-biblatex/incorrect_syntax.bib")
    (problem,) = library.problems
    assert problem.line == 11 and problem.severity == "error"
    assert "Expected a `=`" in problem.message
    assert library.works[0].key == "rashid2016"


def test_typst_comments_and_duplicate(corpora_bib: Path) -> None:
    comments = _read(corpora_bib, "typst-biblatex/comments.bib")
    assert [w.key for w in comments.works] == [
        "mcelreath2007mathematical",
        "fischer2022equivalence",
        "roes2003belief",
        "wong2016null",
    ]
    fischer = comments.works[1]
    assert fischer.fields["publisher"] == "PsyArXiv"  # not "% An inline comment...publisher"
    assert _lines(comments, "commented", "warning") == []  # message says "line starting with '%'"
    assert _lines(comments, "on a line starting with '%'") == [37]
    assert comments.works[3].title == "Null hypothesis testing (I)-5% significance level"
    rep = _read(corpora_bib, "typst-biblatex/gral_rep_key.bib")
    assert _lines(rep, "duplicate key 'ishihara2012'") == [803]


def test_biber_papers_resolve_macros_from_definitions(corpora_bib: Path) -> None:
    alone = _read(corpora_bib, "plk-biber/papers.bib")
    undefined = _lines(alone, "undefined @string macro")
    assert len(undefined) == 1851
    both = read_files(
        [corpora_bib / "plk-biber/definitions.bib", corpora_bib / "plk-biber/papers.bib"],
        root=corpora_bib,
    )
    assert len(both.works) == 2157
    # every macro resolved; the one remaining remark is a real one: `year = "???"`
    assert [(p.line, p.message) for p in both.problems] == [
        (5067, "Dress??: year '???' is not understood (sorted as unknown)")
    ]
    first = both.works[0]
    assert first.venue and first.venue != first.fields.get("journal", "").lower()


def test_non_utf8_files_have_the_right_characters(corpora_bib: Path) -> None:
    latin9 = _read(corpora_bib, "plk-biber/encoding1.bib")  # -*- coding: latin-9 -*-
    assert latin9.works[0].key == "testŠ"
    assert latin9.works[0].title == "Šome title"
    assert latin9.problems == []
    latin1 = _read(corpora_bib, "plk-biber/encoding3.bib")  # -*- coding: latin-1 -*-
    assert latin1.works[0].title == "Söme title"
    gbk = _read(corpora_bib, "python-bibtexparser/gbk_test.bib")  # no header: detected
    work = gbk.works[0]
    assert work.key == "凯撒2013"
    assert work.authors[0].display == "凯撒"
    assert work.venue == "测试期刊"
    (warning,) = gbk.problems
    assert warning.severity == "warning" and "gb18030" in warning.message


def test_features2_strings_and_concatenation(corpora_bib: Path) -> None:
    (work,) = _read(corpora_bib, "python-bibtexparser/features2.bib").works
    assert work.fields["note"] == "Email: John.Doe@example.com"
    assert work.authors[0].display == "John Doe"


def test_bom_and_traps(corpora_bib: Path) -> None:
    (bom,) = _read(corpora_bib, "python-bibtexparser/article_start_with_bom.bib").works
    assert not bom.key.startswith("\ufeff")
    (trap,) = _read(corpora_bib, "python-bibtexparser/traps.bib").works
    assert trap.month == 1
    assert "{" not in trap.title and "}" not in trap.title


def test_xampl_crossref_and_concatenation(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "pybtex/xampl.bib")
    works = {w.key: w for w in library.works}
    assert (
        works["inproceedings-full"].venue
        == "Proc. Fifteenth Annual ACM Symposium on the Theory of Computing"
    )
    assert works["book-full"].month == 1
    crossref = works["inproceedings-crossref"]
    assert crossref.fields["crossref"] == "whole-proceedings"
    assert crossref.year == 1983  # inherited from whole-proceedings


def test_biblatex_examples_dates_concat_and_markup(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "plk-biblatex/biblatex-examples.bib")
    works = {w.key: w for w in library.works}
    assert works["nietzsche:ksa"].fields["publisher"] == (
        "Deutscher Taschenbuch-Verlag and Walter de Gruyter"
    )
    assert works["knuth:ct:a"].title == "The TeX book"
    assert all(w.year for w in library.works if "date" in w.fields)


def test_al_folio_template_marks_and_macros(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "al-folio-template/papers.bib")
    works = {w.key: w for w in library.works}
    epr = works["PhysRev.47.777"]
    assert [a.last for a in epr.authors] == ["Einstein", "Podolsky", "Rosen"]
    assert epr.authors[0].marks == ("*", "†")
    assert epr.fields["publisher"].startswith("American Physical Society")  # @string aps
    assert works["einstein1905molekularkinetischen"].title.startswith("Über")


def test_names_torture_test(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "plk-biber/names.bib")
    works = {w.key: w for w in library.works}

    def parts(key: str) -> tuple[str, str, str, str]:
        a = works[key].authors[0]
        return (a.first, a.von, a.last, a.jr)

    assert parts("L10") == ("James", "", "Jolly", "III")
    assert parts("L12") == ("Charles Louis Xavier Joseph", "de la", "Vallée Poussin", "")
    assert parts("L5") == ("Egbert", "von", "Eel", "")
    assert works["L25"].authors[0].corporate
    assert works["L31"].authors[0].last == "Z̃elly"
    assert _lines(library, "on a line starting with '%'", "warning") == [118, 123]


def test_tugboat_reads_cleanly(corpora_bib: Path) -> None:
    library = _read(corpora_bib, "plk-biber/tugboat.bib")
    # Only the macros of tugboat.def (\\bs, \\ssf, ...) are unknown: one warning each.
    assert library.problems and {p.severity for p in library.problems} == {"warning"}
    unknown = [p.message.split("\\", 1)[1].split()[0] for p in library.problems]
    assert all("unknown LaTeX command" in p.message for p in library.problems)
    assert len(unknown) == len(set(unknown)) and "bs" in unknown and "ssf" in unknown
    months = [w.month for w in library.works if w.fields.get("month")]
    assert months and all(m is not None for m in months)
    ack = library.works[0].fields.get("acknowledgement", "")
    assert " and " in ack and "Beeton" in ack  # ack-bnb # " and " # ack-nhfb
    # no LaTeX left in titles: a backslash only where the source types one (\\char`\\)
    for work in library.works:
        if "\\" in work.title:
            assert "\\char" in work.fields["title"], work.title
    braced = [w.title for w in library.works if "{" in w.title]
    assert braced == ["{Meta}Font Forum redux"]  # the source writes $ \{ $Meta$ \} $
