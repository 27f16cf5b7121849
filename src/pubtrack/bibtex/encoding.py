"""Turning the bytes of a .bib file into text, whatever its encoding.

Order of trust: a forced encoding (``[bib] encoding``), a byte-order mark, an
encoding header (Emacs ``-*- coding: X -*-`` or JabRef ``% Encoding: X``),
UTF-8, and only then detection. Detection is a documented, *warned* fallback:
the caller reports the encoding used so that a wrong guess never passes as
silent mojibake.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

# Emacs spells some encodings differently from Python; its -unix/-dos/-mac
# suffixes only say which newline the file uses.
_EMACS_ALIASES = {
    "latin-0": "iso8859-15",
    "latin-9": "iso8859-15",
    "latin-1": "iso8859-1",
    "latin-2": "iso8859-2",
    "iso-latin-1": "iso8859-1",
    "iso-latin-9": "iso8859-15",
    "mule-utf-8": "utf-8",
    "chinese-gbk": "gbk",
    "chinese-gb18030": "gb18030",
    "chinese-big5": "big5",
    "japanese-shift-jis": "shift_jis",
    "korean-iso-8bit": "euc_kr",
}
_HEADER = re.compile(
    rb"(?:-\*-.*?coding:\s*([\w.:-]+).*?-\*-|^%+\s*encoding:\s*([\w.:-]+))",
    re.IGNORECASE | re.MULTILINE,
)
# Candidates offered to charset_normalizer for text in a non-Latin script.
_SINGLE_BYTE_OTHER = ["cp1251", "koi8_r", "iso8859_5", "cp1253", "iso8859_7", "cp1255", "cp1256"]
_MULTI_BYTE = ["big5", "shift_jis", "euc_jp", "euc_kr"]
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name actually used
    how: str  # "forced" | "bom" | "header" | "utf-8" | "detected"
    lossy: bool = False  # some bytes could not be decoded and were replaced


def codec_name(name: str) -> str | None:
    """Python codec name for an Emacs/JabRef/IANA encoding name; None if unknown."""
    key = name.strip().lower()
    for suffix in ("-unix", "-dos", "-mac"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    key = _EMACS_ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def header_encoding(data: bytes) -> str | None:
    """Encoding named in the first two lines (Emacs or JabRef style), if any."""
    head = b"\n".join(data[:400].splitlines()[:2])
    match = _HEADER.search(head)
    if not match:
        return None
    raw = (match.group(1) or match.group(2)).decode("ascii", "replace")
    return codec_name(raw)


def _detect(data: bytes) -> str:
    """Best guess for bytes that are not UTF-8 (always reported to the user as a guess).

    Latin-script text has its non-ASCII bytes alone between ASCII letters
    (``Crème``); other scripts have runs of them (whole words). Latin script is
    read as Windows-1252 (Latin-1 when it has bytes cp1252 leaves undefined):
    by far the most common legacy encoding of .bib files, and statistical
    detectors cannot tell cp1252 from cp1250 on a few accented words. Runs
    that are valid GB18030 are read as GB18030 (a superset of GBK/GB2312, the
    most common CJK legacy encoding in bibliographies). Otherwise
    charset_normalizer chooses among a short list of plausible codecs.
    """
    runs = _HIGH_RUN.findall(data)
    high = sum(len(r) for r in runs)
    in_runs = sum(len(r) for r in runs if len(r) >= 2)
    if high == 0 or in_runs * 2 < high:
        return "iso8859-1" if any(b in _CP1252_UNDEFINED for b in data) else "cp1252"
    try:
        data.decode("gb18030")
        if all(len(r) % 2 == 0 for r in runs):
            return "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        match = from_bytes(data, cp_isolation=_MULTI_BYTE + _SINGLE_BYTE_OTHER).best()
        if match is not None:
            return codecs.lookup(match.encoding).name
    except Exception:  # noqa: BLE001 - detection is best effort, never fatal
        pass
    return "cp1252"


def decode_bytes(data: bytes, forced: str | None = None) -> Decoded:
    """Text of a .bib file; newlines normalised to ``\\n``, no BOM."""
    if forced:
        name = codec_name(forced) or forced
        try:
            text = data.decode(name)
            return Decoded(_newlines(_strip_bom(text)), name, "forced")
        except UnicodeDecodeError:
            text = data.decode(name, "replace")
            return Decoded(_newlines(_strip_bom(text)), name, "forced", True)
    if data.startswith(codecs.BOM_UTF8):
        return _try(data[3:], "utf-8", "bom")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _try(data, "utf-16", "bom")
    named = header_encoding(data)
    if named:
        return _try(data, named, "header")
    try:
        return Decoded(_newlines(data.decode("utf-8")), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    guess = _detect(data)
    return _try(data, guess, "detected")


def _try(data: bytes, name: str, how: str) -> Decoded:
    try:
        return Decoded(_newlines(_strip_bom(data.decode(name))), name, how)
    except (UnicodeDecodeError, LookupError):
        return Decoded(_newlines(_strip_bom(data.decode(name, "replace"))), name, how, True)


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
