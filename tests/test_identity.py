import pytest

from pubtrack.identity import (
    arxiv_doi,
    arxiv_id_from_doi,
    normalize_arxiv_id,
    normalize_doi,
    split_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2410.12178", ("2410.12178", None)),
        ("2410.12178v2", ("2410.12178", 2)),
        ("arXiv:2410.12178v1", ("2410.12178", 1)),
        ("https://arxiv.org/abs/2210.05278v2", ("2210.05278", 2)),
        ("https://arxiv.org/pdf/2210.05278.pdf", ("2210.05278", None)),
        ("http://export.arxiv.org/abs/hep-th/9901001v3", ("hep-th/9901001", 3)),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("math.GT/0309136", ("math/0309136", None)),  # arXiv drops the subject class
        ("0704.0001", ("0704.0001", None)),
    ],
)
def test_split_arxiv_id(text: str, expected: tuple[str, int | None]) -> None:
    assert split_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["abc", "", None, "2410.121", "10.1000/xyz", "12345.6789"])
def test_not_arxiv_ids(text: str | None) -> None:
    assert normalize_arxiv_id(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "10.18653/v1/2024.emnlp-main.78",
        "10.18653/V1/2024.EMNLP-MAIN.78",
        "doi:10.18653/v1/2024.emnlp-main.78",
        "https://doi.org/10.18653/v1/2024.emnlp-main.78",
        "http://dx.doi.org/10.18653/v1/2024.emnlp-main.78",
        " DOI: 10.18653/v1/2024.emnlp-main.78. ",
    ],
)
def test_normalize_doi(text: str) -> None:
    assert normalize_doi(text) == "10.18653/v1/2024.emnlp-main.78"


def test_not_a_doi() -> None:
    assert normalize_doi("2410.12178") is None
    assert normalize_doi("https://example.org/paper") is None


def test_arxiv_doi_round_trip() -> None:
    assert arxiv_doi("2410.12178") == "10.48550/arxiv.2410.12178"
    assert arxiv_id_from_doi("10.48550/arXiv.2410.12178") == "2410.12178"
    assert arxiv_id_from_doi("10.18653/v1/2024.emnlp-main.78") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # old-style ids with a subject class: arXiv's own form drops the class
        ("math.GT/0309136", "math/0309136"),
        ("arXiv:math.GT/0309136v2", "math/0309136"),
        ("cond-mat.mes-hall/0101001", "cond-mat/0101001"),
        ("physics.acc-ph/0101001v3", "physics/0101001"),
        ("https://arxiv.org/abs/math.AG/0101001", "math/0101001"),
        # prefixes, versions and case
        ("ARXIV:2410.12178V2", "2410.12178"),
        ("arXiv: 1706.03762", "1706.03762"),
        ("arXiv:2410.12178v2 [cs.LG]", "2410.12178"),
        ("arxiv.org/pdf/2410.12178v3.pdf", "2410.12178"),
        ("http://export.arxiv.org/abs/astro-ph/0001001v1", "astro-ph/0001001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("not an id", None),
    ],
)
def test_arxiv_id_forms(text: str, expected: str | None) -> None:
    assert normalize_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "doi",
    [
        "10.48550/arXiv.2410.12178",
        "10.48550/ARXIV.2410.12178",
        "https://doi.org/10.48550/arxiv.2410.12178",
        "DOI:10.48550/ArXiv.2410.12178v2",
        "doi.org/10.48550/arXiv.2410.12178",
    ],
)
def test_arxiv_dois_in_every_case(doi: str) -> None:
    assert arxiv_id_from_doi(doi) == "2410.12178"
    assert arxiv_id_from_doi("10.48550/arXiv.math/0309136") == "math/0309136"


def test_doi_resolver_forms() -> None:
    for text in (
        "doi:10.1000/XYZ",
        "https://www.doi.org/10.1000/xyz",
        "http://dx.doi.org/10.1000/xyz",
        "https://doi.org/10.1000%2Fxyz",
        "info:doi/10.1000/xyz",
    ):
        assert normalize_doi(text) == "10.1000/xyz", text
