"""Typed sections of pubtrack.toml: one dataclass per section, checked when the file loads.

Each section is a dataclass whose fields are its settings; a field's type,
default and ``setting(...)`` metadata (range, choices, a one-line doc) are the
whole specification. ``build_section`` turns a TOML table into the dataclass
or raises ``ConfigError("pubtrack.toml:LINE: [section] key: …")``; keys a
section does not have become warnings ("did you mean max_age?"). The same
specification writes the commented file ``pubtrack init`` creates
(``commented_toml``), so a new setting is documented where it is defined.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubtrack.errors import ConfigError

# A duration longer than this is a typo (and would overflow datetime arithmetic).
MAX_DURATION = 100 * 365 * 86400
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str | int | float) -> float:
    """'12h' -> 43200.0; plain numbers are seconds; lists, inf, NaN, negatives are errors."""
    bad = ConfigError(f"invalid duration {text!r}: use a number with s, m, h, d or w, e.g. 12h")
    if isinstance(text, bool):
        raise bad
    if isinstance(text, int | float):
        value = float(text)
    elif isinstance(text, str):
        match = _DURATION.match(text)
        if not match:
            raise bad
        value = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise bad
    if not math.isfinite(value) or value < 0 or value > MAX_DURATION:
        raise ConfigError(
            f"invalid duration {text!r}: must be between 0 and {MAX_DURATION // 86400 // 365} years"
        )
    return value


def setting(
    default: Any = dataclasses.MISSING,
    *,
    doc: str | typing.Callable[[], str] = "",
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] = (),
    duration: bool = False,
    shown: str | typing.Callable[[], str] | None = None,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field with what validation and ``pubtrack init`` need to know.

    ``duration``: a number of seconds or text like "12h" (stored as seconds);
    ``shown``: how ``pubtrack init`` writes the default when ``repr`` would not do;
    ``shown`` and ``doc`` may be functions, called when ``pubtrack init`` writes them.
    """
    meta = {
        "doc": doc,
        "low": low,
        "high": high,
        "choices": choices,
        "duration": duration,
        "shown": shown,
    }
    if default_factory is not dataclasses.MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


# --------------------------------------------------------------------------
# Locating a key in the file (for the LINE of an error)
# --------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*\[\s*([^\]\[]+?)\s*\]\s*(?:#.*)?$")


def _table_name(text: str) -> str:
    return ".".join(part.strip().strip('"').strip("'") for part in text.split("."))


def line_of(text: str, section: str, key: str | None = None) -> int:
    """1-based line of ``key`` in ``[section]`` (or of the header); 0 when not found."""
    current = ""
    header_line = 0
    key_re = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=") if key else None
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match and not line.lstrip().startswith("[["):
            current = _table_name(match.group(1))
            if current == section:
                header_line = number
                if key_re is None:
                    return number
            continue
        if current == section and key_re is not None and key_re.match(line):
            return number
        if current == "" and section and key and key_re is not None:
            # dotted keys at the top: render.style = "compact"
            dotted = re.compile(
                r"^\s*" + re.escape(section) + r"\s*\.\s*" + re.escape(key) + r"\s*="
            )
            if dotted.match(line):
                return number
    return header_line


@dataclass
class Located:
    """Where problems in one pubtrack.toml are reported: ``pubtrack.toml:LINE: …``."""

    path: Path | None
    text: str = ""
    # (file as shown, line or 0, "[section] key: message")
    warnings: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def shown(self) -> str:
        if self.path is None:
            return "pubtrack.toml"
        try:
            rel = os.path.relpath(self.path)
        except ValueError:  # another drive (Windows)
            return str(self.path)
        return rel if not rel.startswith("..") else str(self.path)

    def line(self, section: str, key: str | None = None) -> int:
        return line_of(self.text, section, key) if self.text else 0

    def where(self, section: str, key: str | None = None) -> str:
        line = self.line(section, key)
        return f"{self.shown}:{line}" if line else self.shown

    def error(self, section: str, key: str | None, message: str) -> ConfigError:
        name = f"[{section}] {key}: " if key else f"[{section}] "
        return ConfigError(f"{self.where(section, key)}: {name}{message}"[:400])

    def warn(self, section: str, key: str | None, message: str) -> None:
        name = f"[{section}] {key}: " if key else f"[{section}] "
        self.warnings.append((self.shown, self.line(section, key), f"{name}{message}"))


def did_you_mean(name: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# --------------------------------------------------------------------------
# Checking one value against its field
# --------------------------------------------------------------------------


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is str:
        return "a string"
    if tp is bool:
        return "true or false"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if origin is list:
        return "a list of strings"
    if origin is dict:
        return "a table of strings"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None))
    return str(tp)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert(tp: Any, value: Any, meta: typing.Mapping[str, Any]) -> Any:
    """The value as the field's type, or ValueError saying what was expected."""
    if meta.get("duration"):
        try:
            return parse_duration(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value, meta)
        for option in options:
            try:
                return _convert(option, value, meta)
            except ValueError as exc:
                if not str(exc).startswith("expected "):
                    raise  # the type fits, the value does not (a range, a choice)
        raise ValueError(f"expected {_describe(tp)}, not {_shown(value)}")
    if tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return _in_range(value, meta)
    elif tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, not {_shown(value)}")
            return _in_range(float(value), meta)
    elif tp is str:
        if isinstance(value, str):
            choices = meta.get("choices") or ()
            if choices and value not in choices:
                raise ValueError(
                    f"{value!r} is not one of {', '.join(choices)}{did_you_mean(value, choices)}"
                )
            return value
    elif origin is list:
        if isinstance(value, str):  # one value where a list is expected
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    elif (
        origin is dict
        and isinstance(value, dict)
        and all(isinstance(v, str) for v in value.values())
    ):
        return {str(k): v for k, v in value.items()}
    raise ValueError(f"expected {_describe(tp)}, not {_shown(value)}")


def _in_range(value: float, meta: typing.Mapping[str, Any]) -> Any:
    low, high = meta.get("low"), meta.get("high")
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"from {low:g} to {high:g}" if low is not None and high is not None else ""
        if not bounds:
            bounds = f"at least {low:g}" if low is not None else f"at most {high:g}"
        raise ValueError(f"must be {bounds}, not {_shown(value)}")
    return value


def fields_of(cls: type) -> dict[str, tuple[Any, dataclasses.Field[Any]]]:
    """{name: (resolved type, field)} of a section dataclass."""
    hints = typing.get_type_hints(cls)
    return {
        f.name: (hints[f.name], f)
        for f in dataclasses.fields(cls)
        if f.init and not f.metadata.get("table")  # sub-tables are built by their owner
    }


def build_section(
    cls: type[Any],
    table: Any,
    section: str,
    located: Located,
    *,
    skip: typing.Collection[str] = (),
) -> Any:
    """``cls(**table)`` with every value checked; unknown keys are warnings.

    ``skip``: keys the caller handles itself (sub-tables such as [sync.arxiv]).
    """
    if not isinstance(table, dict):
        raise located.error(section, None, f"must be a table, not {_shown(table)}")
    known = fields_of(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in skip:
            continue
        if key not in known:
            located.warn(section, key, "unknown setting, ignored" + did_you_mean(key, known))
            continue
        tp, f = known[key]
        try:
            values[key] = _convert(tp, value, f.metadata)
        except ValueError as exc:
            raise located.error(section, key, str(exc)) from None
    return cls(**values)


# --------------------------------------------------------------------------
# Writing every setting, commented, with its default (pubtrack init)
# --------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def commented_section(
    cls: type[Any], section: str, doc: str = "", values: dict[str, Any] | None = None
) -> list[str]:
    """``# [section]`` and each ``# key = default`` with its doc, all commented, so
    that a snippet pasted from the README never defines a table twice."""
    lines = [f"# {line}".rstrip() for line in doc.splitlines()] if doc else []
    lines.append(f"# [{section}]")
    instance = cls()
    known = fields_of(cls)
    own = [n for n in getattr(cls, "__annotations__", {}) if n in known]
    for name in [*own, *(n for n in known if n not in own)]:  # the section's own keys first
        f = known[name][1]
        meta = f.metadata
        doc_text = meta.get("doc")
        if callable(doc_text):  # made from the source registry, say
            doc_text = doc_text()
        if doc_text:
            lines += [f"#   {line}".rstrip() for line in str(doc_text).splitlines()]
        shown = meta.get("shown")
        if values and name in values:
            shown = _toml_value(values[name])
        if callable(shown):
            shown = shown()
        value = shown if shown is not None else _toml_value(getattr(instance, name))
        lines.append(f"# {name} = {value}")
    return lines
