"""Bytes -> text for .bib files: forced, BOM, header, UTF-8, detection (warned)."""

from __future__ import annotations

from pathlib import Path

from pubtrack.bibtex import read_file
from pubtrack.bibtex.encoding import codec_name, decode_bytes, header_encoding


def test_utf8_with_and_without_bom() -> None:
    plain = decode_bytes("@misc{k, title={Ünïcödé}}".encode())
    assert (plain.text, plain.how) == ("@misc{k, title={Ünïcödé}}", "utf-8")
    bom = decode_bytes(b"\xef\xbb\xbf" + "@misc{k, title={é}}".encode())
    assert bom.text.startswith("@misc") and bom.how == "bom"


def test_utf16_bom() -> None:
    decoded = decode_bytes("@misc{k, title={é}}".encode("utf-16"))
    assert decoded.text == "@misc{k, title={é}}" and decoded.how == "bom"


def test_emacs_and_jabref_headers() -> None:
    assert header_encoding(b"% -*- coding: latin-9-unix -*-\n@misc{}") == "iso8859-15"
    assert header_encoding(b"%% -*- mode: bibtex; coding: utf-8 -*-\n") == "utf-8"
    assert header_encoding(b"% Encoding: windows-1252\n") == "cp1252"
    assert header_encoding(b"% Encoding: no-such-codec\n") is None
    assert header_encoding(b"@misc{k, title={coding: latin-1}}\n") is None
    text = "% -*- coding: latin-1 -*-\n@misc{k, title={Söme}}\n"
    decoded = decode_bytes(text.encode("latin-1"))
    assert decoded.text == text and decoded.how == "header" and not decoded.lossy


def test_codec_names() -> None:
    assert codec_name("latin-1-dos") == "iso8859-1"
    assert codec_name("utf-8-unix") == "utf-8"
    assert codec_name("nonsense") is None


def test_forced_encoding_wins_over_everything() -> None:
    data = "@misc{k, title={Café}}".encode("cp1252")
    assert decode_bytes(data, "cp1252").text == "@misc{k, title={Café}}"
    assert decode_bytes(data, "latin-1").how == "forced"


def test_detection_latin1_and_gbk() -> None:
    latin = decode_bytes("@misc{k, title={Crème brûlée à la française}}\n".encode("latin-1"))
    assert latin.how == "detected"
    assert "Crème brûlée à la française" in latin.text
    gbk = decode_bytes("@misc{凯撒2013, title={测试期刊}}\n".encode("gbk"))
    assert gbk.how == "detected" and "测试期刊" in gbk.text


def test_crlf_and_cr_become_lf() -> None:
    assert decode_bytes(b"a\r\nb\rc\n").text == "a\nb\nc\n"


def test_lossy_forced_decoding_is_an_error_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.bib"
    path.write_bytes(b"@misc{k, title={\xff\xfe bytes}}\n")
    library = read_file(path, encoding="utf-8", root=tmp_path)
    (problem,) = library.problems
    assert problem.severity == "error" and "not valid utf-8" in problem.message
    assert library.works[0].key == "k"
