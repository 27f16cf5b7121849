"""Sharp drops are held back (issue 9): the thresholds, and what sync stores."""

from __future__ import annotations

from pubtrack.models import CitationCount
from pubtrack.sync import hold_sharp_drops


def _counts(values: dict[str, int]) -> list[CitationCount]:
    return [CitationCount(k, "openalex", n, "2026-11-02T03:00:00Z") for k, n in values.items()]


def test_small_decreases_and_rises_are_stored() -> None:
    previous = {"a": 40, "b": 8, "c": 3, "d": 100}
    keep, held = hold_sharp_drops(_counts({"a": 37, "b": 6, "c": 0, "d": 60}), previous)
    assert [c.publication_key for c in keep] == ["a", "b", "c", "d"]
    assert held == []


def test_one_paper_losing_most_of_its_citations_is_held() -> None:
    previous = {"a": 40, "b": 12}
    keep, held = hold_sharp_drops(_counts({"a": 3, "b": 13, "new": 0}), previous)
    assert [c.publication_key for c in keep] == ["b", "new"]
    assert [(c.publication_key, before) for c, before, _ in held] == [("a", 40)]
    assert "lost 37 of 40" in held[0][2]


def test_every_count_of_a_source_to_zero_is_held() -> None:
    previous = {"a": 2, "b": 3, "c": 0}
    keep, held = hold_sharp_drops(_counts({"a": 0, "b": 0, "c": 0}), previous)
    assert [c.publication_key for c in keep] == ["c"]  # was 0: nothing dropped
    assert {c.publication_key for c, _, _ in held} == {"a", "b"}
    assert all("dropped to 0" in reason for _, _, reason in held)
    # One of them still positive: not the whole source, and the small drops stay normal.
    keep, held = hold_sharp_drops(_counts({"a": 0, "b": 3}), previous)
    assert held == [] and len(keep) == 2


def test_accept_drops_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from pubtrack.config import load_config
    from pubtrack.errors import BadInputError
    from pubtrack.sync import accept_drops_setting

    toml = tmp_path / "pubtrack.toml"
    toml.write_text('[owner]\nname = "A"\n\n[sync]\naccept_drops = true\n', encoding="utf-8")
    assert accept_drops_setting(load_config(toml), None) is True
    assert accept_drops_setting(load_config(toml), False) is False
    toml.write_text('[owner]\nname = "A"\n\n[sync]\naccept_drops = "yes"\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="accept_drops"):
        accept_drops_setting(load_config(toml), None)
    toml.write_text('[owner]\nname = "A"\n', encoding="utf-8")
    assert accept_drops_setting(load_config(toml), None) is False
