"""pubtrack.toml plus environment overrides.

The project root is the directory holding ``pubtrack.toml``, found from the
current directory upward, or given by ``--config`` / ``PUBTRACK_CONFIG``.
Outside a project (no ``pubtrack.toml`` here or above) every command but
``init`` is an error that says how to start one: a stray ``sync`` in the wrong
directory must not create ``data/`` there, nor ``check`` report "no problems".
"""

from __future__ import annotations

import glob
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pubtrack.errors import ConfigError

CONFIG_NAME = "pubtrack.toml"

DEFAULT_API_URLS = {
    "semantic_scholar": "https://api.semanticscholar.org/graph/v1",
    "arxiv": "https://export.arxiv.org/api/query",
    "openalex": "https://api.openalex.org",
    "crossref": "https://api.crossref.org",
    # Used by add / import / discover (issue 10).
    "orcid": "https://pub.orcid.org/v3.0",
    "dblp": "https://dblp.org",
    "datacite": "https://api.datacite.org",
}
API_URL_ENV = {
    "semantic_scholar": "PUBTRACK_S2_API_URL",
    "arxiv": "PUBTRACK_ARXIV_API_URL",
    "openalex": "PUBTRACK_OPENALEX_API_URL",
    "crossref": "PUBTRACK_CROSSREF_API_URL",
    "orcid": "PUBTRACK_ORCID_API_URL",
    "dblp": "PUBTRACK_DBLP_API_URL",
    "datacite": "PUBTRACK_DATACITE_API_URL",
}
DEFAULT_SOURCES = ["semantic_scholar", "arxiv", "crossref", "openalex"]
DEFAULT_MAX_AGE = 20 * 3600  # "about a day": a nightly job always refetches

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# A duration longer than this is a typo (and would overflow datetime arithmetic).
MAX_DURATION = 100 * 365 * 86400


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


@dataclass
class Owner:
    name: str = ""
    aliases: list[str] = field(default_factory=list)
    email: str = ""
    semantic_scholar_id: str = ""
    google_scholar_id: str = ""
    orcid: str = ""
    openalex_id: str = ""
    dblp: str = ""


@dataclass
class Config:
    root: Path
    path: Path | None = None  # the pubtrack.toml read, None when defaults
    owner: Owner = field(default_factory=Owner)
    publications: list[str] = field(default_factory=lambda: ["bib/*.bib"])
    talks: list[str] = field(default_factory=lambda: ["bib/talks.bib"])
    database: str = "data/pubtrack.db"
    sources: list[str] = field(default_factory=lambda: list(DEFAULT_SOURCES))
    max_age: float = DEFAULT_MAX_AGE
    lock_timeout: float = 60.0
    # Per-source overrides: {"arxiv": {"min_interval": 3.0, "batch_size": 100}, ...}
    source_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    render: dict[str, Any] = field(default_factory=dict)
    scholar_proxy: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    # -- resolved paths -------------------------------------------------
    @property
    def database_path(self) -> Path:
        env = os.environ.get("PUBTRACK_DB")
        return Path(env) if env else self.root / self.database

    @property
    def cache_dir(self) -> Path:
        return self.database_path.parent / ".cache"

    def talk_files(self) -> list[Path]:
        return _expand(self.root, self.talks)

    def publication_files(self) -> list[Path]:
        """Publication bib files; talk files are excluded even if a glob matches them."""
        talk_files = {p.resolve() for p in self.talk_files()}
        return [p for p in _expand(self.root, self.publications) if p.resolve() not in talk_files]

    def api_url(self, source: str) -> str:
        env = API_URL_ENV.get(source)
        url = os.environ.get(env, "") if env else ""
        return (url or DEFAULT_API_URLS[source]).rstrip("/")

    def owner_names(self) -> list[str]:
        return [n for n in [self.owner.name, *self.owner.aliases] if n]


def _expand(root: Path, patterns: list[str]) -> list[Path]:
    found: list[Path] = []
    seen: set[Path] = set()
    for pattern in patterns:
        full = pattern if os.path.isabs(pattern) else str(root / pattern)
        matches = sorted(glob.glob(full)) if glob.has_magic(full) else [full]
        for match in matches:
            path = Path(match)
            if not glob.has_magic(full) and not path.exists():
                continue  # an explicit file that is missing: the reader reports it
            if path not in seen:
                seen.add(path)
                found.append(path)
    return found


def find_config(start: Path | None = None) -> Path | None:
    env = os.environ.get("PUBTRACK_CONFIG")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None, *, start: Path | None = None) -> Config:
    """Read pubtrack.toml (explicit path, PUBTRACK_CONFIG, or found upward)."""
    config_path = Path(path) if path else find_config(start)
    if config_path is None:
        here = (start or Path.cwd()).resolve()
        raise ConfigError(
            f"no {CONFIG_NAME} in {here} or any parent directory: this is not a pubtrack "
            "project; run `pubtrack init` to start one here (or pass --config FILE)"
        )
    if not config_path.is_file():
        raise ConfigError(f"{config_path}: config file not found")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    return _from_dict(data, config_path)


def _section(data: dict[str, Any], name: str, config_path: Path) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{config_path}: [{name}] must be a table")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where} must be a string or a list of strings")


def _str(section: dict[str, Any], key: str, where: str) -> str:
    value = section.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key} must be a string, not {value!r}"[:200])
    return value


def _number(value: Any, where: str, *, low: float, high: float, integer: bool = False) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer and not isinstance(value, int):
        ok = False
    if not ok or not math.isfinite(value) or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{where} must be {kind} from {low:g} to {high:g}, not {value!r}"[:200])
    return value


# The HTTP settings of [sync] and [sync.<source>] (sources/http.py DEFAULTS; a test
# keeps the two lists equal without importing the HTTP stack here).
HTTP_SETTINGS = (
    "connect_timeout",
    "timeout",
    "max_attempts",
    "max_retry_time",
    "backoff_base",
    "backoff_max",
    "retry_after_cap",
    "max_total_retry_time",
)


def _check_http_settings(settings: dict[str, Any], where: str) -> None:
    for key in HTTP_SETTINGS:
        if key in settings:
            if key == "max_attempts":
                _number(settings[key], f"{where}.{key}", low=1, high=100, integer=True)
            else:
                _number(settings[key], f"{where}.{key}", low=0, high=86_400)


def _check_source_settings(name: str, settings: dict[str, Any], where: str) -> None:
    """[sync.<source>] values: a wrong type or range is a config error, not a crash later."""
    _check_http_settings(settings, where)
    if "batch_size" in settings:
        _number(settings["batch_size"], f"{where}.batch_size", low=1, high=10_000, integer=True)
    if "min_interval" in settings:
        _number(settings["min_interval"], f"{where}.min_interval", low=0, high=3600)


def _check_encoding(bib: dict[str, Any], where: str) -> None:
    if "encoding" not in bib:
        return
    value = bib["encoding"]
    from pubtrack.bibtex.encoding import codec_name

    if not isinstance(value, str) or (value and codec_name(value) is None):
        raise ConfigError(f"{where}: bib.encoding: unknown encoding {value!r}"[:200])


def _from_dict(data: dict[str, Any], config_path: Path) -> Config:
    from pubtrack.models import SOURCE_NAMES

    cfg = Config(root=config_path.resolve().parent, path=config_path, raw=data)
    owner = _section(data, "owner", config_path)
    where = f"{config_path}: owner"
    cfg.owner = Owner(
        name=_str(owner, "name", where),
        aliases=_str_list(owner.get("aliases", []), f"{config_path}: owner.aliases"),
        email=_str(owner, "email", where),
        semantic_scholar_id=_str(owner, "semantic_scholar_id", where),
        google_scholar_id=_str(owner, "google_scholar_id", where),
        orcid=_str(owner, "orcid", where),
        openalex_id=_str(owner, "openalex_id", where),
        dblp=_str(owner, "dblp", where),
    )
    bib = _section(data, "bib", config_path)
    if "publications" in bib:
        cfg.publications = _str_list(bib["publications"], f"{config_path}: bib.publications")
    if "talks" in bib:
        cfg.talks = _str_list(bib["talks"], f"{config_path}: bib.talks")
    _check_encoding(bib, str(config_path))
    database = _section(data, "database", config_path)
    if "path" in database:
        cfg.database = _str(database, "path", f"{config_path}: database")
        if not cfg.database:
            raise ConfigError(f"{config_path}: database.path must not be empty")
    sync = _section(data, "sync", config_path)
    if "sources" in sync:
        cfg.sources = _str_list(sync["sources"], f"{config_path}: sync.sources")
        unknown = [s for s in cfg.sources if s not in SOURCE_NAMES and not _is_plugin(s)]
        if unknown:
            raise ConfigError(
                f"{config_path}: sync.sources: unknown source {unknown[0]!r} "
                f"(known: {', '.join(SOURCE_NAMES)})"
            )
    for key in ("max_age", "lock_timeout"):
        if key in sync:
            try:
                setattr(cfg, key, parse_duration(sync[key]))
            except ConfigError as exc:
                raise ConfigError(f"{config_path}: sync.{key}: {exc}"[:300]) from None
    _check_http_settings(sync, f"{config_path}: sync")
    if "history_file" in sync and not isinstance(sync["history_file"], str):
        raise ConfigError(f"{config_path}: sync.history_file must be a path (a string)")
    for name in SOURCE_NAMES:
        if name in sync and not isinstance(sync[name], dict):
            raise ConfigError(f"{config_path}: [sync.{name}] must be a table")
        if isinstance(sync.get(name), dict):
            _check_source_settings(name, sync[name], f"{config_path}: sync.{name}")
            cfg.source_settings[name] = dict(sync[name])
    cfg.scholar_proxy = _str(
        _section(data, "google_scholar", config_path), "proxy", f"{config_path}: google_scholar"
    )
    cfg.render = _section(data, "render", config_path)
    if "max_authors" in cfg.render:
        _number(
            cfg.render["max_authors"],
            f"{config_path}: render.max_authors",
            low=0,
            high=100_000,
            integer=True,
        )
    for key in ("style", "group_by", "template"):
        if key in cfg.render and not isinstance(cfg.render[key], str):
            raise ConfigError(f"{config_path}: render.{key} must be a string")
    return cfg


def _is_plugin(name: str) -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == name for ep in entry_points(group="pubtrack.sources"))
