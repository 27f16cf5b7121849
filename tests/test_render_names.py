"""Owner highlighting: configured name and aliases, any order, accents, initials."""

from __future__ import annotations

import pytest

from pubtrack.models import Author
from pubtrack.render.names import OwnerMatcher

MATCH = OwnerMatcher(["Zihang Liu", "Z. Liu"])


@pytest.mark.parametrize(
    "author",
    [
        Author("Zihang", "", "Liu"),
        Author("ZIHANG", "", "liu"),
        Author("Zíhang", "", "Líu"),
        Author("Z.", "", "Liu"),
        Author("Z", "", "Liu"),
        Author("Liu", "", "Zihang"),  # "Liu Zihang" written without a comma
        Author("", "", "Zihang Liu", corporate=True),  # "{Zihang Liu}"
        Author("Zihang", "", "Liu", marks=("*",)),
    ],
)
def test_owner_variants_match(author: Author) -> None:
    assert MATCH(author)


@pytest.mark.parametrize(
    "author",
    [
        Author("Zhe", "", "Liu"),  # same initial, different person
        Author("Zihang", "", "Li"),
        Author("Y.", "", "Liu"),
        Author("Z. H.", "", "Liu"),
        Author(is_others=True),
        Author("", "", "Liu"),
    ],
)
def test_other_people_do_not_match(author: Author) -> None:
    assert not MATCH(author)


def test_last_first_config_and_von_parts() -> None:
    match = OwnerMatcher(["van Beethoven, Ludwig", "Jean-Pierre Dupont"])
    assert match(Author("Ludwig", "van", "Beethoven"))
    assert match(Author("L.", "van", "Beethoven"))
    assert match(Author("J.-P.", "", "Dupont"))
    assert match(Author("Jean-Pierre", "", "Dupont"))
    assert not match(Author("Jean", "", "Dupont"))


def test_no_owner_configured_matches_nobody() -> None:
    match = OwnerMatcher([])
    assert not match and not match(Author("Zihang", "", "Liu"))


def test_compound_surnames_with_any_hyphen_are_bolded() -> None:
    match = OwnerMatcher(["María José García-López"])
    assert match(Author("M. J.", "", "García López"))
    assert match(Author("Maria Jose", "", "Garcia\u2010Lopez"))  # Unicode hyphen, no accents
    assert match(Author("M. J.", "", "{García López}"))
    assert not match(Author("M.", "", "García-López"))  # as many given names as configured
    assert not match(Author("José", "", "García-López"))
