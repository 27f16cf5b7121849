"""The owner recognised by author id and by every spelling of their name."""

from __future__ import annotations

import pytest

from pubtrack.models import Author
from pubtrack.works.owner import Owner
from pubtrack.works.record import Person


@pytest.mark.parametrize(
    "spelling",
    [
        "Alec Thomson",
        "A. Thomson",
        "A. J. M. Thomson",
        "Alec J. M. Thomson",
        "Thomson, Alec",
        "Thomson, A. J.",
        "ALEC THOMSON",
    ],
)
def test_initials_and_middle_names_match(spelling: str):
    assert Owner(["Alec Thomson"]).name_match(spelling)


@pytest.mark.parametrize(
    "spelling",
    [
        "M. J. García-López",
        "M. J. García López",
        "M. J. Garcia-Lopez",
        "M. J. García\u2010López",  # Unicode hyphen
        "M. J. García\u2013López",  # en dash
        "María José García López",
        "García López, María José",
        "Garcia-Lopez, M.",
    ],
)
def test_compound_surnames_hyphens_and_accents(spelling: str):
    assert Owner(["María José García-López"]).name_match(spelling)


@pytest.mark.parametrize(
    "other", ["Alexandra Thomson", "Alec Johnson", "Thomson", "José García-López", "B. Thomson"]
)
def test_different_people_do_not_match(other: str):
    owner = Owner(["Alec Thomson", "María José García-López"])
    assert not owner.name_match(other)


def test_particles_either_way_and_bib_authors():
    owner = Owner(["Ludwig van Beethoven"])
    assert owner.name_match("L. Beethoven")
    assert owner.name_match("Beethoven, Ludwig van")
    assert owner.name_match(Author(first="Ludwig", von="van", last="Beethoven"))
    assert owner.name_match(Author(first="L.", last="Van Beethoven"))


def test_author_ids_decide_before_names():
    owner = Owner(["Alec Thomson"], {"semantic_scholar": "1741101", "orcid": "0000-0002-1825-0097"})
    namesake = Person("Alexandra", "Thomson", ids={"semantic_scholar": "999"})
    assert owner.id_match(namesake) is False
    assert owner.match(namesake) is None
    me = Person("A.", "Thomson", ids={"orcid": "https://orcid.org/0000-0002-1825-0097"})
    assert owner.match(me) == "id"
    authors = [Person("Alec", "Thomson"), me]
    assert owner.find(authors) == (1, "id")  # an id match wins over an earlier name match
