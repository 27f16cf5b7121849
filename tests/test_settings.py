"""The typed-section machinery of pubtrack.toml (settings.py)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pubtrack.errors import ConfigError
from pubtrack.settings import (
    Located,
    build_section,
    commented_section,
    line_of,
    parse_duration,
    setting,
)


@dataclass
class Example:
    style: str = setting("default", choices=("default", "compact"), doc="How it looks.")
    max_authors: int = setting(10, low=0, high=1000)
    ratio: float | None = setting(None, low=0, high=1, shown="(unset)")
    max_age: float = setting(3600.0, duration=True, shown='"1h"')
    names: list[str] = setting(default_factory=list)
    marks: dict[str, str] = setting(default_factory=dict)
    on: bool = setting(False)


TEXT = """\
[owner]
name = "x"

[example]
style = "compact"
max_authors = 3
on = true
max_age = "2d"
names = "solo"
"""


def _build(text: str, path: Path = Path("pubtrack.toml")) -> tuple[Example, Located]:
    located = Located(path, text)
    return build_section(Example, tomllib.loads(text)["example"], "example", located), located


def test_values_are_typed_and_converted() -> None:
    example, located = _build(TEXT)
    assert example == Example(
        style="compact", max_authors=3, on=True, max_age=2 * 86400, names=["solo"]
    )
    assert located.warnings == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('max_authors = "3"', "[example] max_authors: expected a whole number, not '3'"),
        ("max_authors = -1", "[example] max_authors: must be from 0 to 1000, not -1"),
        ("on = 1", "[example] on: expected true or false, not 1"),
        ('style = "compakt"', "is not one of default, compact (did you mean compact?)"),
        ("ratio = 2.5", "[example] ratio: must be from 0 to 1, not 2.5"),
        ('max_age = "soon"', "[example] max_age: invalid duration 'soon'"),
        ("names = [1, 2]", "[example] names: expected a list of strings"),
    ],
)
def test_wrong_types_and_ranges_name_file_line_section_and_key(line: str, message: str) -> None:
    text = "[owner]\nname = 'x'\n\n[example]\n# a comment\n" + line + "\n"
    with pytest.raises(ConfigError) as err:
        _build(text)
    assert str(err.value).startswith("pubtrack.toml:6: [example] ")
    assert message in str(err.value)


def test_unknown_keys_are_warnings_with_a_suggestion() -> None:
    example, located = _build("[example]\nmax_autors = 3\nfoo = 1\n")
    assert example == Example()
    assert located.warnings == [
        (
            "pubtrack.toml",
            2,
            "[example] max_autors: unknown setting, ignored (did you mean max_authors?)",
        ),
        ("pubtrack.toml", 3, "[example] foo: unknown setting, ignored"),
    ]


def test_line_of_finds_keys_in_their_own_table_only() -> None:
    text = '[a]\nx = 1\n\n[b]\n# x = 0\nx = 2\n[sync.arxiv]\nbatch_size = 3\nrender.style = "c"\n'
    assert line_of(text, "a", "x") == 2
    assert line_of(text, "b", "x") == 6
    assert line_of(text, "b") == 4
    assert line_of(text, "sync.arxiv", "batch_size") == 8
    assert line_of(text, "c", "x") == 0


def test_commented_section_parses_back_to_the_defaults() -> None:
    lines = commented_section(Example, "example", "The example.")
    assert all(line.startswith("#") for line in lines)
    assert '# style = "default"' in lines and "#   How it looks." in lines
    uncommented = "\n".join(
        line[2:] for line in lines if line.startswith("# ") and not line.startswith("#  ")
    )
    uncommented = uncommented.replace("The example.\n", "").replace("(unset)", "0.5")
    parsed = tomllib.loads(uncommented)["example"]
    built = build_section(Example, parsed, "example", Located(None, uncommented))
    assert built == Example(ratio=0.5)


def test_durations() -> None:
    assert parse_duration("12h") == 43200
    assert parse_duration(90) == 90
    for bad in (True, [1], "1y", float("inf"), -1):
        with pytest.raises(ConfigError):
            parse_duration(bad)  # type: ignore[arg-type]
