"""Author lists: BibTeX name forms, marks, corporate names, failures kept."""

from __future__ import annotations

from pubtrack.bibtex.names import parse_names, split_marks


def _parts(value: str) -> list[tuple[str, str, str, str]]:
    authors, _ = parse_names(value)
    return [(a.first, a.von, a.last, a.jr) for a in authors]


def test_last_first_and_first_last() -> None:
    assert _parts("Liu, Zihang and Yaoqing Yang") == [
        ("Zihang", "", "Liu", ""),
        ("Yaoqing", "", "Yang", ""),
    ]


def test_von_and_jr_parts() -> None:
    assert _parts("Ludwig van Beethoven") == [("Ludwig", "van", "Beethoven", "")]
    assert _parts("van Beethoven, Ludwig") == [("Ludwig", "van", "Beethoven", "")]
    assert _parts("Jolly, III, James") == [("James", "", "Jolly", "III")]
    assert _parts("Pimentel, Jr. ,Joseph J.") == [("Joseph J.", "", "Pimentel", "Jr.")]


def test_corporate_names_and_others() -> None:
    authors, problems = parse_names("{Barnes and Noble, Inc.} and {{R Core Team}} and others")
    assert problems == []
    assert [a.corporate for a in authors] == [True, True, False]
    assert authors[0].display == "Barnes and Noble, Inc."
    assert authors[1].display == "R Core Team"
    assert authors[2].is_others and authors[2].display == "et al."


def test_marks_are_roles_not_part_of_the_surname() -> None:
    authors, _ = parse_names(
        r"Liu*, Zihang and Yuanzhe Hu$^\dagger$ and Yang, Yaoqing$^{*\dagger}$ and "
        r"Pang\textsuperscript{\ddag}, Tianyu and Ren†, Pu"
    )
    assert [(a.last, a.marks) for a in authors] == [
        ("Liu", ("*",)),
        ("Hu", ("†",)),
        ("Yang", ("*", "†")),
        ("Pang", ("‡",)),
        ("Ren", ("†",)),
    ]
    assert authors[0].first == "Zihang"
    assert split_marks("Plain Name") == ("Plain Name", ())


def test_latex_in_names_is_decoded() -> None:
    authors, _ = parse_names(r"D\'ecoret, Xavier and {\'E}mile Zola and M{\"u}ller, J{\"o}rg")
    assert [a.display for a in authors] == ["Xavier Décoret", "Émile Zola", "Jörg Müller"]


def test_biblatex_extended_name_format() -> None:
    authors, problems = parse_names("family=Smith, given=Jean, prefix=de and Doe, John")
    assert problems == []
    assert (authors[0].first, authors[0].von, authors[0].last) == ("Jean", "de", "Smith")
    assert authors[1].last == "Doe"


def test_stray_commas_between_names() -> None:
    assert _parts("Ruby, Sam, and Thomas, Dave") == [
        ("Sam", "", "Ruby", ""),
        ("Dave", "", "Thomas", ""),
    ]


def test_unsplittable_name_is_kept_and_reported() -> None:
    authors, problems = parse_names('Simon {"}the {saint Templar and Doe, John')
    assert len(problems) == 1 and "cannot be split" in problems[0]
    assert len(authors) >= 1
    assert "Simon" in authors[0].display
