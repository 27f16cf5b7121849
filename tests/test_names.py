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


def _short(value: str) -> list[str]:
    return [a.short for a in parse_names(value)[0]]


def test_unbraced_accents_do_not_split_a_name() -> None:
    # BibTeX reads `~` as a space; an accent command written without braces must
    # stay one letter of the name (it is braced as a BibTeX "special character").
    assert _parts(r"Mu\~noz-Baena, R. and Jo\~{a}o Silva and Qui\~nones, Ana") == [
        ("R.", "", "Muñoz-Baena", ""),
        ("João", "", "Silva", ""),
        ("Ana", "", "Quiñones", ""),
    ]
    assert _parts(r"Fran\c cois Th\'eberge and \'Alvaro L\'opez and Bj\o rn Smith") == [
        ("François", "", "Théberge", ""),
        ("Álvaro", "", "López", ""),
        ("Bjørn", "", "Smith", ""),
    ]
    assert _parts(r"Ji\v{r}\'{\i} Matou\v sek and Ma\l{}gorzata \L ukasik") == [
        ("Jiří", "", "Matoušek", ""),
        ("Małgorzata", "", "Łukasik", ""),
    ]


def test_initials_follow_bibtex() -> None:
    # Tame the BeaST: a "special character" ({\relax Ch}, {\"O}) is one letter;
    # hyphenated first names give hyphenated initials, Unicode hyphens too.
    assert _short(r"{\relax Ch}ristopher Manning and {\"O}zg{\"u}r \"Ozt\"urk") == [
        "Ch. Manning",
        "Ö. Öztürk",
    ]
    assert _short("Jean-Pierre Serre and Jean\u2010Pierre Dupont and Anne\u2011Marie Smith") == [
        "J.-P. Serre",
        "J.\u2010P. Dupont",
        "A.\u2011M. Smith",
    ]
    assert _short("J.P. Smith and J.-P. Kahane and Md. Kashem and Donald Ervin Knuth") == [
        "J. P. Smith",
        "J.-P. Kahane",
        "M. Kashem",
        "D. E. Knuth",
    ]
    assert _short("{Jan Arne} Telle") == ["J. Telle"]  # a plain braced group: its first letter


def test_particles_as_bibtex_splits_them() -> None:
    # "von Last, First": the von part runs to the last lower-case word.
    assert _parts(
        "de la Fuente, Juan and van der Berg, Jan and Sanchez del Rio, Manuel "
        "and Juan de la Fuente and Ludwig van Beethoven"
    ) == [
        ("Juan", "de la", "Fuente", ""),
        ("Jan", "van der", "Berg", ""),
        ("Manuel", "Sanchez del", "Rio", ""),
        ("Juan", "de la", "Fuente", ""),
        ("Ludwig", "van", "Beethoven", ""),
    ]
    authors, _ = parse_names("Sanchez del Rio, Manuel")
    assert authors[0].display == "Manuel Sanchez del Rio"
    assert authors[0].short == "M. Sanchez del Rio"


def test_and_splits_only_outside_braces() -> None:
    assert [
        a.display for a in parse_names(r"{Barnes and Noble} and \'Alvaro Ruiz AND Li, X")[0]
    ] == [
        "Barnes and Noble",
        "Álvaro Ruiz",
        "X Li",
    ]


def test_bibtex_name_cases_from_the_xdkbibtex_summary_and_pybtex() -> None:
    # The splits BibTeX itself makes; unbraced accents count by their letter's case.
    assert _parts(r"Paul \'Emile Victor") == [("Paul Émile", "", "Victor", "")]
    assert _parts(r"Paul \'emile Victor") == [("Paul", "émile", "Victor", "")]
    assert _parts(r"Javier Rodr\'{\i}guez Laguna") == [("Javier Rodríguez", "", "Laguna", "")]
    assert _parts(r"Dominique Galouzeau de Villepin") == [
        ("Dominique Galouzeau", "de", "Villepin", "")
    ]
    assert _parts(r"Galouzeau de Villepin, Dominique") == [
        ("Dominique", "Galouzeau de", "Villepin", "")
    ]
    assert _parts(r"Andrea de Leeuw van Weenen") == [("Andrea", "de Leeuw van", "Weenen", "")]
    assert _parts(r"Ford, Jr., Henry and mr Ford, Jr., Henry") == [
        ("Henry", "", "Ford", "Jr."),
        ("Henry", "mr", "Ford", "Jr."),
    ]
    assert [a.display for a in parse_names(r"Christina A. L.\ Thiele and Jim Hef{}feron")[0]] == [
        "Christina A. L. Thiele",
        "Jim Hefferon",
    ]
