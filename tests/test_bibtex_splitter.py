"""The fast splitter finds exactly the blocks bibtexparser's splitter finds, or steps aside."""

from __future__ import annotations

from pathlib import Path

import pytest
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, Preamble, String
from bibtexparser.splitter import Splitter

from conftest import CORPORA_BIB
from pubtrack.bibtex.splitter import FastEntry, FastString, split_fast


def _real_line(text: str) -> list[int]:
    """bibtexparser's line number -> the real one. Its splitter does not count a
    newline right after a backslash (its marks skip escaped characters); the fast
    splitter counts every newline, so FILE:LINE stays right after such a line."""
    real = [0]
    for i, line in enumerate(text.split("\n")[:-1]):
        if not line.endswith("\\"):
            real.append(i + 1)
    return real


def _reference(text: str) -> list[tuple]:
    out: list[tuple] = []
    fix = _real_line(text)
    for block in Splitter(text).split().blocks:
        if isinstance(block, DuplicateBlockKeyBlock):
            block = block.ignore_error_block
        if type(block) is Entry:
            fields = [(f.key, f.value, fix[f.start_line]) for f in block.fields]
            out.append(("entry", block.entry_type, block.key, fix[block.start_line], fields))
        elif type(block) is String:
            out.append(("string", block.key, block.value, fix[block.start_line]))
        elif type(block) is Preamble:
            out.append(("preamble", block.value, fix[block.start_line]))
    return out


def _fast(text: str) -> list[tuple] | None:
    blocks = split_fast(text)
    if blocks is None:
        return None
    out: list[tuple] = []
    for b in blocks:
        if type(b) is FastEntry:
            fields = [(name, value, line) for name, value, line, _inner in b.fields]
            out.append(("entry", b.entry_type, b.key, b.start_line, fields))
        elif type(b) is FastString:
            out.append(("string", b.key, b.value, b.start_line))
        else:
            out.append(("preamble", b.value, b.start_line))
    return out


SAME = [
    "@article{a,\n  title = {A {Nested} Title},\n  author = {Liu, Zihang and Hu, Y.},\n}\n",
    '@Article{B ,\n title="Quoted, with comma",year=2020,\n month = jan}',
    '@misc{c, note = "a {"} quote", x = {\\{escaped\\}}, y = "\\"q"}',
    'text before @misc{d, title = {T} # " and " # {U}}\n% comment\n',
    '@string{nips = "Neural {I}nformation, Processing"}\n@inproceedings{e, booktitle = nips}',
    "@comment{ anything { nested } here }\n@misc{f, title = {LeQua @ {CLEF}}}",
    "@misc{g}\n@misc{h,}\n@misc{i, title = {x},\n}\n",
    "@misc{j, title = {multi\nline\nvalue}, url = {https://x.org/a~b}}",
    "@misc{k, title = {with = sign}, pages = {1--2}}",
    # A missing comma: one value to both splitters (the reader reports it).
    "@misc{l, title = {x} year = 2020}",
    # A backslash ending a line: the next field's line is still counted right.
    '@misc{m, title = "{\\TeX\\\n  output}",\n  year = 1987}',
    '@preamble{ "\\newcommand{\\x}{y}" }\n@misc{a, title = {x}}',
    '@PREAMBLE{"\\def\\noopsort#1{}" # "\\def\\z{" # "z}"}\n@misc{b, title = {T}}\n',
]
ASIDE = [
    "@misc(paren, title = {x})",
    "@misc{dup, title = {a}, title = {b}}",
    "@misc{broken, title = {unclosed\n@misc{next, title = {x}}",
    "@misc{nokey title = {x}}",
]


@pytest.mark.parametrize("text", SAME)
def test_ordinary_blocks_are_found_as_bibtexparser_finds_them(text: str) -> None:
    fast = _fast(text)
    assert fast is not None
    assert fast == _reference(text)


@pytest.mark.parametrize("text", ASIDE)
def test_anything_unusual_is_left_to_bibtexparser(text: str) -> None:
    assert _fast(text) is None


def test_every_corpus_file_splits_the_same() -> None:
    if not CORPORA_BIB.is_dir():
        pytest.skip("../shared/corpora/bib is not available")
    taken = 0
    for path in sorted(CORPORA_BIB.rglob("*.bib")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        fast = _fast(text)
        if fast is not None:
            taken += 1
            assert fast == _reference(text), path.name
    assert taken >= 10  # the fast path is the common one


def test_generated_bibliography_splits_the_same(tmp_path: Path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "bench_render.py"
    spec = importlib.util.spec_from_file_location("bench_render", script)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bib = tmp_path / "g.bib"
    bench.generate_bib(bib, 700)
    text = bib.read_text(encoding="utf-8")
    fast = _fast(text)
    assert fast is not None and len(fast) == 701
    assert fast == _reference(text)


def _inner_agrees_with_quick(text: str) -> int:
    """Every ``inner`` the splitter hands out is what the full value resolves to."""
    from pubtrack.bibtex.values import clean_space, quick

    checked = 0
    for block in split_fast(text) or []:
        if type(block) is not FastEntry:
            continue
        for name, value, _line, inner in block.fields:
            if inner is not None:
                assert quick(value, {}) == clean_space(inner), (block.key, name)
                checked += 1
    return checked


def test_plain_values_carry_their_inner_text() -> None:
    text = (
        '@misc{a, title = {  Spaced\n  out  }, note = "quoted", year = 2020, month = jan,\n'
        '  x = {with {nested}}, y = {a # b}, z = "q # r"}'
    )
    fields = {f[0]: f[3] for f in split_fast(text)[0].fields}  # type: ignore[index, union-attr]
    assert fields == {
        "title": "  Spaced\n  out  ",
        "note": "quoted",
        "year": None,
        "month": None,
        "x": None,
        "y": None,
        "z": None,
    }
    assert _inner_agrees_with_quick(text) == 2
    assert sum(_inner_agrees_with_quick(t) for t in SAME) > 5


def test_every_corpus_inner_value_resolves_the_same() -> None:
    if not CORPORA_BIB.is_dir():
        pytest.skip("../shared/corpora/bib is not available")
    checked = 0
    for path in sorted(CORPORA_BIB.rglob("*.bib")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        checked += _inner_agrees_with_quick(text.replace("\r\n", "\n").replace("\r", "\n"))
    assert checked > 1000
