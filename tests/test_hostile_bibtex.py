"""Hostile .bib input: deep nesting, crossref chains and cycles, exploding @string
macros, control characters. Every case reads without an exception and keeps the
good entries (time and memory are measured by scripts/bench_hostile.py)."""

from __future__ import annotations

import pytest

from pubtrack.bibtex.latex import decode
from pubtrack.bibtex.reader import MAX_MACRO_CHARS, read_string
from pubtrack.render import RenderOptions, render_library

N = 3000  # beyond the recursion limit
GOOD = "@article{good, title={A Good Paper}, author={Ann Bee}, journal={J}, year=2020}\n"


@pytest.mark.parametrize(
    "value",
    [
        "{" * N + "x" + "}" * N,
        "\\'" * N + "e",
        "\\'{" * N + "e" + "}" * N,
        "\\textbf{" * N + "e" + "}" * N,
        "$" + "{" * N + "x" + "}" * N + "$",
        "{\\em " * N + "x" + "}" * N,
    ],
    ids=["braces", "accents", "accent-groups", "textbf", "math", "em"],
)
def test_deep_nesting_never_raises_and_keeps_other_entries(value: str) -> None:
    library = read_string("@article{deep, title={" + value + "}, year=2020}\n" + GOOD)
    assert {w.key for w in library.works} >= {"good"}
    assert [w.title for w in library.works if w.key == "good"] == ["A Good Paper"]
    text = render_library(library, RenderOptions(format="md"), owner_names=[])
    assert "A Good Paper" in text


def test_decoder_flattens_what_it_cannot_nest() -> None:
    assert decode("\\'" * N + "e").endswith("e")
    assert decode("{" * N + "deep" + "}" * N) == "deep"


def test_long_crossref_chain_inherits_from_the_top() -> None:
    chain = "".join(
        f"@inproceedings{{c{i}, crossref={{c{i + 1}}}, title={{T{i}}}}}\n" for i in range(N)
    )
    chain += f"@proceedings{{c{N}, title={{Top}}, year=2001, publisher={{P}}}}\n"
    library = read_string(chain)
    first = next(w for w in library.works if w.key == "c0")
    assert first.year == 2001


def test_crossref_cycle_is_one_problem_and_every_entry_is_read() -> None:
    cycle = "".join(
        f"@inproceedings{{c{i}, crossref={{c{(i + 1) % N}}}, title={{T{i}}}, year=2020}}\n"
        for i in range(N)
    )
    library = read_string(cycle + GOOD)
    assert len(library.works) == N + 1
    assert [p.message for p in library.problems if "cycle" in p.message]


def test_exploding_string_macros_are_bounded() -> None:
    text = "@string{s0 = {ab}}\n" + "".join(
        f"@string{{s{i + 1} = s{i} # s{i}}}\n" for i in range(60)
    )
    text += "@article{boom, title = s60 # s60 # s60, year=2020}\n" + GOOD
    library = read_string(text)
    boom = next(w for w in library.works if w.key == "boom")
    assert len(boom.title) <= 3 * MAX_MACRO_CHARS
    assert any("expands to" in p.message for p in library.problems)
    assert "good" in {w.key for w in library.works}


def test_control_characters_never_reach_the_output() -> None:
    library = read_string(
        "@article{a\x00b, title={Hi\x00\x1b[31mred\x07 \x7f\x9b}, author={Ann\x1b Bee},"
        " journal={J\x08}, year=2020, url={https://x.org/\x00a}}\n"
    )
    assert any("control character" in p.message for p in library.problems)
    for fmt in ("md", "html", "tex", "json"):
        text = render_library(library, RenderOptions(format=fmt), owner_names=["Ann Bee"])
        assert not any(ch in text for ch in "\x00\x1b\x07\x7f\x08\x9b"), fmt
        assert "\\u001b" not in text and "\\u0000" not in text


def test_arxiv_in_a_long_journal_field_is_found_in_linear_time() -> None:
    library = read_string(
        "@article{a, title={T}, journal={" + "arxiv " * 5000 + "arXiv preprint arXiv:2401.00001}"
        ", year=2024}\n"
        "@article{b, title={T}, journal={arxiv" + " " * 50000 + "}, year=2024}\n"
    )
    ids = {w.key: w.ids.arxiv for w in library.works}
    assert ids == {"a": "2401.00001", "b": None}
