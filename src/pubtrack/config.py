"""pubtrack.toml plus environment overrides.

The project root is the directory holding ``pubtrack.toml``, found from the
current directory upward, or given by ``--config`` / ``PUBTRACK_CONFIG``.
Without a config file the current directory is the root and the defaults of
DESIGN.md apply, so ``pubtrack render`` works in a bare folder with ``bib/``.
"""

from __future__ import annotations

import glob
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


def parse_duration(text: str | int | float) -> float:
    """'12h' -> 43200.0; plain numbers are seconds."""
    if isinstance(text, int | float):
        return float(text)
    match = _DURATION.match(text)
    if not match:
        raise ConfigError(f"invalid duration {text!r}: use a number with s, m, h, d or w, e.g. 12h")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


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
        return Config(root=(start or Path.cwd()).resolve())
    if not config_path.is_file():
        raise ConfigError(f"{config_path}: config file not found")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
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


def _from_dict(data: dict[str, Any], config_path: Path) -> Config:
    from pubtrack.models import SOURCE_NAMES

    cfg = Config(root=config_path.resolve().parent, path=config_path, raw=data)
    owner = _section(data, "owner", config_path)
    cfg.owner = Owner(
        name=str(owner.get("name", "")),
        aliases=_str_list(owner.get("aliases", []), f"{config_path}: owner.aliases"),
        email=str(owner.get("email", "")),
        semantic_scholar_id=str(owner.get("semantic_scholar_id", "")),
        google_scholar_id=str(owner.get("google_scholar_id", "")),
        orcid=str(owner.get("orcid", "")),
        openalex_id=str(owner.get("openalex_id", "")),
        dblp=str(owner.get("dblp", "")),
    )
    bib = _section(data, "bib", config_path)
    if "publications" in bib:
        cfg.publications = _str_list(bib["publications"], f"{config_path}: bib.publications")
    if "talks" in bib:
        cfg.talks = _str_list(bib["talks"], f"{config_path}: bib.talks")
    database = _section(data, "database", config_path)
    if "path" in database:
        cfg.database = str(database["path"])
    sync = _section(data, "sync", config_path)
    if "sources" in sync:
        cfg.sources = _str_list(sync["sources"], f"{config_path}: sync.sources")
        unknown = [s for s in cfg.sources if s not in SOURCE_NAMES and not _is_plugin(s)]
        if unknown:
            raise ConfigError(
                f"{config_path}: sync.sources: unknown source {unknown[0]!r} "
                f"(known: {', '.join(SOURCE_NAMES)})"
            )
    if "max_age" in sync:
        cfg.max_age = parse_duration(sync["max_age"])
    if "lock_timeout" in sync:
        cfg.lock_timeout = parse_duration(sync["lock_timeout"])
    for name in SOURCE_NAMES:
        if isinstance(sync.get(name), dict):
            cfg.source_settings[name] = dict(sync[name])
    cfg.scholar_proxy = str(_section(data, "google_scholar", config_path).get("proxy", ""))
    cfg.render = _section(data, "render", config_path)
    return cfg


def _is_plugin(name: str) -> bool:
    from importlib.metadata import entry_points

    return any(ep.name == name for ep in entry_points(group="pubtrack.sources"))
