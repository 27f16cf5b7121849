"""Entries, keys and byte-preserving edits (works/bibwrite.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubtrack.bibtex import read_string
from pubtrack.errors import BadInputError
from pubtrack.works.bibwrite import (
    append_entries,
    edit_entry,
    format_entry,
    latex_escape,
    make_key,
    protect_title,
)
from pubtrack.works.record import Person, Record


def _record(**kw) -> Record:  # noqa: ANN003
    base = dict(
        title="BERT for Łódź: Pre-training & Fine-tuning",
        authors=[Person("María José", "García López"), Person("Jürgen", "Schmidhuber")],
        year=2024,
        month=3,
        kind="inproceedings",
        venue="Neural Information Processing Systems",
        pages="1-10",
        doi="10.5555/x.1",
        arxiv="2401.00001",
        pdf="https://arxiv.org/pdf/2401.00001",
    )
    base.update(kw)
    return Record(**base)


def test_latex_escape_accents_and_specials():
    assert latex_escape("García") == r"Garc{\'\i}a"
    assert latex_escape("Jürgen Ørsted ß") == r"J{\"u}rgen {\O}rsted {\ss}"
    assert latex_escape("Łódź") == r"{\L}{\'o}d{\'z}"
    assert latex_escape("50% & $x_1$ #1") == r"50\% \& \$x\_1\$ \#1"
    assert latex_escape("Čech–de Rham") == r"{\v{C}}ech--de Rham"
    assert latex_escape("量子") == "量子"  # no LaTeX spelling: kept (the file is UTF-8)


def test_titles_protect_acronyms_and_camel_case():
    assert protect_title("BERT and GPT-4 on ImageNet") == "{BERT} and {GPT-4} on {ImageNet}"
    assert protect_title("A study of Things") == "A study of Things"


def test_entry_round_trips_through_the_reader():
    record = _record()
    text = format_entry(record, "garcialopez2024bert", "NeurIPS")
    library = read_string(text, "x.bib")
    assert not library.errors, library.problems
    (work,) = library.works
    assert work.entry_type == "inproceedings"
    assert work.title.replace("{", "").replace("}", "") == record.title
    assert [a.display for a in work.authors] == ["María José García López", "Jürgen Schmidhuber"]
    assert work.ids.doi == "10.5555/x.1" and work.ids.arxiv == "2401.00001"
    assert work.month == 3 and work.fields["pages"] == "1--10"
    assert work.fields["abbr"] == "NeurIPS" and work.fields["pdf"].startswith("https://arxiv")


def test_keys_follow_the_style_and_stay_unique():
    record = _record(title="The Surprising Effectiveness of Things")
    assert make_key(record, "lastnameYEARfirstword", set()) == "garcialopez2024surprising"
    taken = {"garcialopez2024surprising", "GarciaLopez2024Surprisinga"}
    assert make_key(record, "lastnameYEARfirstword", taken) == "garcialopez2024surprisingb"
    assert make_key(record, "{Lastname}{shortyear}", set()) == "Garcialopez24"
    particle = _record(authors=[Person("Ludwig", "van Beethoven")])
    assert make_key(particle, "lastnameYEAR", set()) == "beethoven2024"
    with pytest.raises(BadInputError, match="key style"):
        make_key(record, "{nonsense}", set())


@pytest.mark.parametrize(
    "original",
    [
        b"@misc{a,\n  title = {A},\n}\n",
        b"@misc{a,\r\n  title = {A},\r\n}\r\n",  # CRLF kept
        b"@misc{a,\n  title = {A},\n}",  # no final newline: still none after
        "% caf\xe9\n@misc{a, title={Caf\xe9}}\n".encode("latin-1"),  # Latin-1 stays Latin-1
        b"",
    ],
)
def test_append_keeps_every_existing_byte(tmp_path: Path, original: bytes):
    path = tmp_path / "pubs.bib"
    path.write_bytes(original)
    entry = format_entry(_record(authors=[Person("Jose", "Garcia")]), "k2024")
    append_entries(path, [entry])
    data = path.read_bytes()
    assert data.startswith(original)
    added = data[len(original) :]
    if b"\r\n" in original:
        assert added.count(b"\r\n") == added.count(b"\n")
    else:
        assert b"\r" not in added
    assert data.endswith(b"\n") == (original.endswith(b"\n") or not original)
    library = read_string(data.decode("latin-1" if b"\xe9" in original else "utf-8"), "p.bib")
    assert "k2024" in {w.key for w in library.works}


def test_append_refuses_text_the_encoding_cannot_hold(tmp_path: Path):
    path = tmp_path / "pubs.bib"
    original = "% caf\xe9\n".encode("latin-1")
    path.write_bytes(original)
    entry = format_entry(_record(title="量子", authors=[Person("A", "B")]), "k")
    with pytest.raises(BadInputError, match="encoding"):
        append_entries(path, [entry])
    assert path.read_bytes() == original


def test_edit_entry_changes_only_the_named_fields():
    text = (
        "% keep me\n@misc{other, title={X}}\n\n"
        '@misc{pre,\n  title  = {A, B},\n  note   = "x,y",\n  year   = 2020\n}\n% tail\n'
    )
    new = edit_entry(text, "pre", {"doi": "{10.1/2}", "year": "{2021}"}, "article")
    assert new == (
        "% keep me\n@misc{other, title={X}}\n\n"
        '@article{pre,\n  title  = {A, B},\n  note   = "x,y",\n  year   = {2021},\n'
        "  doi    = {10.1/2}\n}\n% tail\n"
    )
    with pytest.raises(BadInputError):
        edit_entry(text, "missing", {"doi": "{1}"})


def test_crossref_markup_becomes_latex():
    from pubtrack.works.record import clean_text

    title = clean_text("Growth of <i>E. coli</i> in CO<sub>2</sub> &amp; <scp>DNA</scp> repair")
    record = _record(title=title, authors=[])
    text = format_entry(record, "k")
    assert r"title         = {Growth of \emph{E. coli} in {CO2} \& {DNA} repair}," in text
    assert "author" not in text  # no authors known: no empty field
    (work,) = read_string(text, "x.bib").works
    assert "E. coli" in work.title and "<" not in work.title
