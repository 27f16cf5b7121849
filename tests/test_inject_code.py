"""--inject ignores markers shown as code: every CommonMark code form, LaTeX verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubtrack.errors import InjectError
from pubtrack.render.inject import find_regions

REAL = "<!-- pubtrack:publications -->\nold\n<!-- /pubtrack:publications -->\n"
SHOWN = "<!-- pubtrack:talks -->\n<!-- /pubtrack:publications -->\n"  # broken if read


@pytest.mark.parametrize(
    "code",
    [
        "```\n" + SHOWN + "```\n",
        "```markdown\n" + SHOWN + "```\n",
        "~~~\n" + SHOWN + "~~~\n",
        "````\n```\n" + SHOWN + "```\n````\n",  # a shorter fence inside a longer one
        "```\n" + SHOWN + "`````\n",  # a longer closing fence closes
        "   ~~~~ info\n" + SHOWN + "   ~~~~~~\n",  # indented up to three spaces
        "    <!-- pubtrack:talks -->\n    <!-- /pubtrack:publications -->\n",  # indented code
        "\t<!-- pubtrack:talks -->\n",  # a tab indents four
        "Use `<!-- pubtrack:talks -->` or ``<!-- /pubtrack:publications -->``.\n",
        "A span holding a backtick: `` ` <!-- pubtrack:talks --> ` ``\n",
    ],
)
def test_markers_in_code_are_ignored(tmp_path: Path, code: str) -> None:
    text = "# Doc\n\n" + code + "\n" + REAL
    regions = find_regions(text, tmp_path / "a.md", "md")
    assert [r.section for r in regions] == ["publications"]
    assert text[regions[0].start : regions[0].end] == "\nold\n"


def test_an_unclosed_fence_hides_everything_after_it(tmp_path: Path) -> None:
    text = REAL + "\n```\n" + SHOWN
    assert len(find_regions(text, tmp_path / "a.md", "md")) == 1
    text = "```\n" + REAL  # all of it is code: no markers at all
    with pytest.raises(InjectError, match="no pubtrack markers"):
        find_regions(text, tmp_path / "a.md", "md")


def test_fences_that_do_not_close(tmp_path: Path) -> None:
    # "~~~" cannot close "```", and "```" with text after it is not a closing fence.
    text = "```\n~~~\n``` not closing\n" + SHOWN + "```\n\n" + REAL
    assert len(find_regions(text, tmp_path / "a.md", "md")) == 1


def test_indented_line_continuing_a_paragraph_is_not_code(tmp_path: Path) -> None:
    text = (
        "Some paragraph\n    <!-- pubtrack:publications -->\nold\n<!-- /pubtrack:publications -->\n"
    )
    assert len(find_regions(text, tmp_path / "a.md", "md")) == 1


@pytest.mark.parametrize("env", ["verbatim", "verbatim*", "lstlisting", "minted", "comment"])
def test_tex_markers_in_verbatim_are_ignored(tmp_path: Path, env: str) -> None:
    text = (
        f"\\begin{{{env}}}\n% pubtrack:talks\n% /pubtrack:publications\n\\end{{{env}}}\n"
        "% pubtrack:publications\nold\n% /pubtrack:publications\n"
    )
    regions = find_regions(text, tmp_path / "cv.tex", "tex")
    assert [r.section for r in regions] == ["publications"]


def test_crlf_fences(tmp_path: Path) -> None:
    text = ("```\n" + SHOWN + "```\n\n" + REAL).replace("\n", "\r\n")
    assert len(find_regions(text, tmp_path / "a.md", "md")) == 1
