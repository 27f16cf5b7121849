"""--inject: only marked regions change; idempotent; atomic; broken files refused untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pubtrack.errors import InjectError
from pubtrack.render.inject import find_regions, format_for, inject_file
from pubtrack.util import write_atomic

BODIES = {"publications": "1. **Paper**\\\n   Venue\n", "talks": "| a | b |\n"}


def fill(specs: list[tuple[str, tuple]]) -> dict[tuple[str, tuple], str]:  # type: ignore[type-arg]
    return {spec: BODIES[spec[0]] for spec in specs}


def inject(path: Path, fmt: str = "md", sections: tuple[str, ...] = ("publications", "talks")):  # type: ignore[no-untyped-def]
    return inject_file(path, fmt, fill, list(sections))


README = """# Me

<!-- pubtrack:publications -->
old list
<!-- /pubtrack:publications -->

## Talks
<!-- pubtrack:talks --><!-- /pubtrack:talks -->
Footer.
"""


def test_fills_both_regions_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README, encoding="utf-8")
    assert inject(path) is True
    assert path.read_text(encoding="utf-8") == (
        "# Me\n\n<!-- pubtrack:publications -->\n1. **Paper**\\\n   Venue\n"
        "<!-- /pubtrack:publications -->\n\n## Talks\n"
        "<!-- pubtrack:talks -->\n| a | b |\n<!-- /pubtrack:talks -->\nFooter.\n"
    )


def test_idempotent_and_unchanged_file_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README, encoding="utf-8")
    assert inject(path) is True
    first = path.read_bytes()
    os.utime(path, (1_000_000, 1_000_000))
    inode = path.stat().st_ino
    assert inject(path) is False
    assert path.read_bytes() == first
    assert path.stat().st_mtime == 1_000_000  # not rewritten
    assert path.stat().st_ino == inode


def test_every_region_is_filled_even_repeated(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!-- pubtrack:publications -->x<!-- /pubtrack:publications -->\n"
        "<p>between</p>\n"
        "<!--pubtrack:publications-->y<!--/pubtrack:publications-->\n",
        encoding="utf-8",
    )
    inject(path, "html")
    text = path.read_text(encoding="utf-8")
    assert text.count("1. **Paper**") == 2 and "x" not in text.split("<p>")[0]


def test_section_option_leaves_other_regions(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(README, encoding="utf-8")
    inject(path, sections=("talks",))
    text = path.read_text(encoding="utf-8")
    assert "old list" in text and "| a | b |" in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# Nothing here\n", "no pubtrack markers"),
        ("<!-- pubtrack:publications -->\nopen\n", r"README\.md:1: pubtrack:publications is never"),
        ("<!-- /pubtrack:talks -->\n", r"README\.md:1: /pubtrack:talks closes a region"),
        (
            "<!-- pubtrack:publications -->\n<!-- pubtrack:talks -->\n"
            "<!-- /pubtrack:talks -->\n<!-- /pubtrack:publications -->\n",
            r"README\.md:2: pubtrack:talks starts inside pubtrack:publications",
        ),
        (
            "<!-- pubtrack:publications -->\n<!-- /pubtrack:talks -->\n",
            "closes a region that is not open",
        ),
        ("<!-- pubtrack:papers -->\n<!-- /pubtrack:papers -->\n", "unknown marker pubtrack:papers"),
    ],
)
def test_bad_markers_refused_and_file_left_alone(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(content.encode("utf-8"))
    before = path.stat().st_mtime_ns

    def never(names: list[str]) -> dict[str, str]:
        raise AssertionError("rendered although the file is refused")

    with pytest.raises(InjectError, match=message):
        inject_file(path, "md", never, ["publications", "talks"])
    assert path.read_bytes() == content.encode("utf-8")
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temp file left


def test_tex_markers(tmp_path: Path) -> None:
    path = tmp_path / "cv.tex"
    path.write_text(
        "\\section{Publications}\n  % pubtrack:publications\nold\n  % /pubtrack:publications\n"
        "<!-- pubtrack:talks --> is not a tex marker\n",
        encoding="utf-8",
    )
    assert inject(path, "tex") is True
    assert path.read_text(encoding="utf-8") == (
        "\\section{Publications}\n  % pubtrack:publications\n1. **Paper**\\\n   Venue\n"
        "  % /pubtrack:publications\n<!-- pubtrack:talks --> is not a tex marker\n"
    )
    assert inject(path, "tex") is False


def test_crlf_file_keeps_crlf_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(README.replace("\n", "\r\n").encode("utf-8"))
    path.chmod(0o640)
    assert inject(path) is True
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")  # every newline is CRLF
    assert b"1. **Paper**\\\r\n   Venue\r\n<!-- /pubtrack:publications -->" in data
    assert (path.stat().st_mode & 0o777) == 0o640
    assert inject(path) is False


def test_markers_in_markdown_code_are_documentation(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    text = (
        "Put `<!-- pubtrack:talks -->` in your file:\n\n"
        "```markdown\n<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n```\n\n"
        "<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n"
    )
    path.write_text(text, encoding="utf-8")
    regions = find_regions(text, path, "md")
    assert len(regions) == 1 and regions[0].start > text.index("```\n\n")
    inject(path)
    assert path.read_text(encoding="utf-8").count("1. **Paper**") == 1


def test_format_from_extension() -> None:
    assert format_for(Path("a.md"), None) == "md"
    assert format_for(Path("a.HTML"), None) == "html"
    assert format_for(Path("cv.tex"), None) == "tex"
    assert format_for(Path("a.txt"), "md") == "md"
    with pytest.raises(InjectError, match="pass --format"):
        format_for(Path("a.txt"), None)
    with pytest.raises(InjectError, match="not json"):
        format_for(Path("a.md"), "json")


def test_write_atomic_new_file_and_failure_leaves_original(tmp_path: Path) -> None:
    path = tmp_path / "out.md"
    write_atomic(path, "one\n")
    assert path.read_text(encoding="utf-8") == "one\n"
    from pubtrack.errors import PubtrackError

    with pytest.raises(PubtrackError, match="cannot write"):
        write_atomic(tmp_path / "missing-dir" / "x.md", "two\n")
    assert path.read_text(encoding="utf-8") == "one\n"


def test_write_atomic_keeps_mode_and_can_make_parents(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("old\n")
    path.chmod(0o640)
    write_atomic(path, b"new\n")
    assert path.read_bytes() == b"new\n" and (path.stat().st_mode & 0o777) == 0o640
    nested = tmp_path / "a" / "b" / "badge.json"
    write_atomic(nested, "{}\n", make_parents=True)
    assert nested.read_text() == "{}\n"
    assert not [p for p in nested.parent.iterdir() if p.name.endswith(".tmp")]
