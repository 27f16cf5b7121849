"""Property-based tests (hypothesis): the BibTeX reader, the LaTeX decoder and the
inject region finder take any input without an exception escaping, and no control
character reaches their output. (Linear time is measured by scripts/bench_hostile.py,
not asserted with timers.)"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubtrack.bibtex.latex import decode
from pubtrack.bibtex.reader import read_string
from pubtrack.errors import InjectError
from pubtrack.render import RenderOptions, render_library
from pubtrack.render.inject import find_regions, splice

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BIB_PIECES = st.sampled_from(
    [
        "@article{",
        "@string{",
        "@comment{",
        "@preamble{",
        "@misc(",
        "}",
        "{",
        ")",
        "(",
        ",",
        " = ",
        "=",
        '"',
        "#",
        "%",
        "\n",
        " ",
        "\t",
        "\\'",
        '\\"',
        "\\emph{",
        "\\textbf{",
        "$",
        "^",
        "_",
        "~",
        "--",
        "title",
        "author",
        "year",
        "2020",
        "crossref",
        "x",
        "and",
        "Ann Bee",
        "key1",
        "key2",
        "arxiv:2401.00001",
        "javascript:alert(1)",
        "url",
        "\x00",
        "\x1b",
        "\x7f",
        "\x9b",
        "é",
        "\u200b",
        "\\url{",
        "eprint",
        "doi",
    ]
)
bib_text = st.lists(BIB_PIECES, max_size=80).map("".join)
latex_text = st.lists(
    st.sampled_from([*"\\{}$^_~-`'<>!?aZ 0\n\"", "emph", "textbf", "ss", "frac", "url"]),
    max_size=120,
).map("".join)


@SETTINGS
@given(bib_text)
def test_reader_takes_anything_and_no_control_character_comes_out(text: str) -> None:
    library = read_string(text)
    for work in library.works:
        for value in (work.key, work.title, work.venue or "", *work.fields.values()):
            assert not CONTROL.search(str(value))
        for link in work.links:
            assert not CONTROL.search(link.url)
    for fmt in ("md", "html", "tex", "json"):
        out = render_library(library, RenderOptions(format=fmt), owner_names=["Ann Bee"])
        assert not CONTROL.search(out)


@SETTINGS
@given(latex_text)
def test_latex_decoder_takes_anything_and_adds_no_control_character(text: str) -> None:
    decoded = decode(text)
    assert isinstance(decoded, str)
    assert not CONTROL.search(decoded)


@SETTINGS
@given(st.text(max_size=300))
def test_latex_decoder_never_raises_on_any_unicode(text: str) -> None:
    assert isinstance(decode(text), str)


MARKDOWN_PIECES = st.sampled_from(
    [
        "<!-- pubtrack:publications -->",
        "<!-- /pubtrack:publications -->",
        "<!-- pubtrack:talks -->",
        "<!-- /pubtrack:talks -->",
        "<!-- pubtrack:other -->",
        "```",
        "````",
        "~~~",
        "`",
        "``",
        "    ",
        "\t",
        "\n",
        "\r\n",
        "text",
        " ",
        "#",
        "% pubtrack:publications",
        "% /pubtrack:publications",
        "\\begin{verbatim}",
        "\\end{verbatim}",
        "\x00",
        "\x1b",
    ]
)


@SETTINGS
@given(st.lists(MARKDOWN_PIECES, max_size=60).map("".join), st.sampled_from(["md", "tex", "html"]))
def test_region_finder_takes_anything(text: str, fmt: str) -> None:
    try:
        regions = find_regions(text, Path("page"), fmt)
    except InjectError:
        return  # a clear refusal is an answer too
    previous = 0
    for region in regions:
        assert previous <= region.start <= region.end <= len(text)
        previous = region.end
    bodies = {r.spec: "1. **P**" if r.section == "publications" else "- T" for r in regions}
    out = splice(text, regions, bodies)
    # Outside the regions the file is kept as it was.
    assert out.startswith(text[: regions[0].start])
    assert out.endswith(text[regions[-1].end :])
    assert len(CONTROL.findall(out)) <= len(CONTROL.findall(text))


DASH_TEXT = st.lists(
    st.sampled_from(
        ["-", "--", "---", "a", "Z", "1", " ", "\n", "é", "e\u0301", "&", ";"]
        + ["amp", "#38", "<", ">", ",", ".", "'", "`", "!", "?"]
    ),
    max_size=14,
).map(lambda parts: "".join(parts) + "--")


@SETTINGS
@given(DASH_TEXT)
def test_dash_only_values_decode_as_the_full_decoder_does(text: str) -> None:
    # "{}" is an empty group: it sends the value through the tokenizer without
    # changing what it says, so both paths must agree.
    assert decode(text) == decode("{}" + text)
