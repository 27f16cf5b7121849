"""pubtrack.toml: one typed, validated dataclass per section, plus environment overrides.

The project root is the directory holding ``pubtrack.toml``, found from the
current directory upward, or given by ``--config`` / ``PUBTRACK_CONFIG``.
Outside a project (no ``pubtrack.toml`` here or above) every command but
``init`` is an error that says how to start one: a stray ``sync`` in the wrong
directory must not create ``data/`` there, nor ``check`` report "no problems".

Each section is a dataclass below; its fields (type, default, range, doc) are
the whole specification. The file is checked when it loads: a wrong type or
range is ``pubtrack.toml:LINE: [section] key: …`` (exit 2); an unknown key or
section is a warning (``Config.warnings``: ``check`` lists them, other
commands print them on stderr). Nothing reads the raw TOML afterwards.
``pubtrack init`` writes every setting, commented, from the same dataclasses.
"""

from __future__ import annotations

import glob
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.errors import ConfigError
from pubtrack.settings import (
    MAX_DURATION,
    Located,
    build_section,
    commented_section,
    did_you_mean,
    parse_duration,
    setting,
)
from pubtrack.settings import (
    fields_of as fields_of_section,
)

if TYPE_CHECKING:
    from pubtrack.sources.registry import SourceRegistry

__all__ = ["MAX_DURATION", "parse_duration", "load_config", "Config"]

CONFIG_NAME = "pubtrack.toml"
DEFAULT_MAX_AGE = 20 * 3600  # "about a day": a nightly job always refetches

# Choices of [render] (render/ reads them from here: config cannot import render).
STYLES = ("default", "compact")
GROUP_BY = ("none", "year", "type")
CITATION_STYLES = ("full", "count", "number")
CITATION_DATES = ("day", "month")
DEFAULT_MAX_AUTHORS = 10


# --------------------------------------------------------------------------
# The sections
# --------------------------------------------------------------------------


def _default_sources() -> tuple[str, ...]:
    from pubtrack.sources.registry import registry

    return registry().default_enabled


def _sources_doc() -> str:
    """[sync] sources' doc: which sources need a key ("openalex needs OPENALEX_API_KEY")."""
    from pubtrack.sources.registry import registry

    needs = [f"{c.name} needs {c.key_env}" for c in registry() if c.key_required and c.key_env]
    return "Sources queried by `pubtrack sync`" + (f" ({'; '.join(needs)})." if needs else ".")


def _toml_list(items: Any) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


@dataclass
class Owner:
    """[owner]: who the list belongs to."""

    name: str = setting("", doc="Your name as it appears in author lists; shown in bold.")
    aliases: list[str] = setting(
        default_factory=list,
        doc='Other spellings of your name ("Z. Liu", "Liu, Zihang"); matched case- and\n'
        "accent-insensitively, in either name order.",
    )
    email: str = setting("", doc="Sent to Crossref as a contact address (mailto).")
    semantic_scholar_id: str = setting("", doc="Your Semantic Scholar author id.")
    google_scholar_id: str = setting(
        "",
        doc="Your Google Scholar profile id (enables the google_scholar source;\n"
        "needs `pip install 'pubtrack[scholar]'`).",
    )
    orcid: str = setting("", doc="Your ORCID iD (pubtrack import / discover).")
    openalex_id: str = setting("", doc="Your OpenAlex author id (pubtrack import / discover).")
    dblp: str = setting("", doc="Your dblp person id (pubtrack import / discover).")


@dataclass
class BibSettings:
    """[bib]: where the BibTeX files are."""

    publications: list[str] = setting(
        default_factory=lambda: ["bib/*.bib"],
        doc="BibTeX files with your publications (globs allowed; talk files excluded).",
    )
    talks: list[str] = setting(
        default_factory=lambda: ["bib/talks.bib"],
        doc="BibTeX files with your talks (@misc entries with eventtitle and date).",
    )
    encoding: str = setting(
        "", doc='The files\' encoding when not UTF-8 (e.g. "latin-1"); empty: detected.'
    )


@dataclass
class DatabaseSettings:
    """[database]: the SQLite file with metadata and the citation history."""

    path: str = setting("data/pubtrack.db", doc="Relative to pubtrack.toml (PUBTRACK_DB wins).")


@dataclass
class HttpSettings:
    """Timeouts and retries of [sync] and of each [sync.<source>] (unset: built-in)."""

    connect_timeout: float | None = setting(None, low=0, high=86_400, shown="10")
    timeout: float | None = setting(None, low=0, high=86_400, shown="60", doc="Read timeout (s).")
    max_attempts: int | None = setting(None, low=1, high=100, shown="5")
    max_retry_time: float | None = setting(None, low=0, high=86_400, shown="120")
    backoff_base: float | None = setting(None, low=0, high=86_400, shown="2")
    backoff_max: float | None = setting(None, low=0, high=86_400, shown="60")
    retry_after_cap: float | None = setting(None, low=0, high=86_400, shown="120")
    max_total_retry_time: float | None = setting(None, low=0, high=86_400, shown="600")

    def http_overrides(self) -> dict[str, float]:
        """The HTTP settings given (as numbers), for ``HttpClient.policy``."""
        return {
            f.name: float(getattr(self, f.name))
            for f in fields(HttpSettings)
            if getattr(self, f.name) is not None
        }


# The HTTP settings of [sync] and [sync.<source>] (sources/http.py DEFAULTS; a test
# keeps the two lists equal without importing the HTTP stack here).
HTTP_SETTINGS = tuple(f.name for f in fields(HttpSettings))


@dataclass
class SourceSettings(HttpSettings):
    """[sync.<source>]: one source's overrides. A plugin extends this dataclass with its
    own settings (``Source.settings_class``); they are checked the same way."""

    batch_size: int | None = setting(None, low=1, high=10_000, doc="Works per request.")
    min_interval: float | None = setting(
        None, low=0, high=3600, doc="Seconds between two requests."
    )


@dataclass
class SyncSettings(HttpSettings):
    """[sync]: what `pubtrack sync` fetches, and how politely."""

    sources: list[str] | None = setting(
        None,
        shown=lambda: _toml_list(_default_sources()),
        doc=_sources_doc,
    )
    max_age: float = setting(
        float(DEFAULT_MAX_AGE),
        duration=True,
        shown='"20h"',
        doc="Works fetched more recently than this are skipped (s, m, h, d, w).",
    )
    lock_timeout: float = setting(
        60.0, duration=True, shown='"60s"', doc="How long a second sync waits for the first."
    )
    history_file: str = setting(
        "", doc="A small CSV of every count change, for CI runs that start without a database."
    )
    accept_drops: bool = setting(
        False, doc="Store sharp drops in counts instead of holding them back."
    )
    # [sync.<source>] tables, by source name (not a key of [sync] itself).
    tables: dict[str, SourceSettings] = field(default_factory=dict, metadata={"table": True})

    def enabled(self, registry: SourceRegistry | None = None) -> list[str]:
        """``sources``, or the registry's default set."""
        if self.sources is not None:
            return list(self.sources)
        if registry is None:
            from pubtrack.sources.registry import registry as current

            registry = current()
        return list(registry.default_enabled)

    def source(self, name: str) -> SourceSettings:
        """``[sync.<name>]`` (defaults when the table is absent)."""
        return self.tables.get(name) or SourceSettings()


@dataclass
class RenderSettings:
    """[render]: how lists look (command-line options override these)."""

    style: str = setting("default", choices=STYLES)
    group_by: str = setting("none", choices=GROUP_BY)
    max_authors: int = setting(DEFAULT_MAX_AUTHORS, low=0, high=100_000, doc="0: never shorten.")
    citation_source: str | list[str] = setting(
        default_factory=list,
        doc='The count shown first: a source ("semantic_scholar") or a list tried in\n'
        "order; empty: the sources in their usual order.",
    )
    other_sources: bool = setting(True, doc="Also show the other sources' counts.")
    template: str = setting("", doc="Your own template, relative to pubtrack.toml.")
    sparklines: bool = setting(False, doc="Recent daily counts as ▁▃▅█ (as --sparklines).")
    citation_date: str | None = setting(
        None,
        choices=CITATION_DATES,
        shown='"day"',
        doc='"month": "Cited by N (Semantic Scholar, Nov 2026)" (--inject and pages: month).',
    )
    citation_style: str = setting("full", choices=CITATION_STYLES)
    cited_by_link: bool = setting(False, doc='"Cited by N" links to the citing papers.')
    marks: dict[str, str] = setting(
        default_factory=dict,
        shown='{ "*" = "Equal contribution", "†" = "Corresponding author" }',
        doc="The legend of author marks.",
    )


@dataclass
class ScholarSettings:
    """[google_scholar]: the optional Google Scholar source."""

    proxy: str = setting("", doc="A proxy for Google Scholar ('http://host:port').")


@dataclass
class AddSettings:
    """[add]: `pubtrack add` (and import)."""

    key_style: str = setting(
        "", shown='"lastnameYEARfirstword"', doc="Citation keys of added entries."
    )
    abbr: dict[str, str] = setting(
        default_factory=dict, doc='Venue abbreviations: { "Full Venue Name" = "ABBR" }.'
    )


@dataclass
class DiscoverSettings:
    """[discover]: `pubtrack discover`."""

    ignore: list[str] = setting(default_factory=list, doc="Works never to suggest again.")


# Section name -> (Config attribute, dataclass), in file order.
SECTIONS: dict[str, type[Any]] = {
    "owner": Owner,
    "bib": BibSettings,
    "database": DatabaseSettings,
    "sync": SyncSettings,
    "render": RenderSettings,
    "google_scholar": ScholarSettings,
    "add": AddSettings,
    "discover": DiscoverSettings,
}


@dataclass
class Config:
    root: Path
    path: Path | None = None  # the pubtrack.toml read, None when built in code
    owner: Owner = field(default_factory=Owner)
    bib: BibSettings = field(default_factory=BibSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    render: RenderSettings = field(default_factory=RenderSettings)
    google_scholar: ScholarSettings = field(default_factory=ScholarSettings)
    add: AddSettings = field(default_factory=AddSettings)
    discover: DiscoverSettings = field(default_factory=DiscoverSettings)
    # Unknown keys and sections: ("pubtrack.toml", LINE, "[render] stlye: … (did you
    # mean style?)"); `check` lists them, other commands print them on stderr.
    warnings: list[tuple[str, int, str]] = field(default_factory=list)
    # The keys the file sets, by section ("sync.arxiv" for a sub-table), and their lines.
    given: dict[str, dict[str, int]] = field(default_factory=dict, repr=False, compare=False)

    # -- resolved paths -------------------------------------------------
    @property
    def database_path(self) -> Path:
        env = os.environ.get("PUBTRACK_DB")
        return Path(env) if env else self.root / self.database.path

    @property
    def cache_dir(self) -> Path:
        return self.database_path.parent / ".cache"

    def talk_files(self) -> list[Path]:
        return _expand(self.root, self.bib.talks)

    def publication_files(self) -> list[Path]:
        """Publication bib files; talk files are excluded even if a glob matches them."""
        talk_files = {p.resolve() for p in self.talk_files()}
        return [
            p for p in _expand(self.root, self.bib.publications) if p.resolve() not in talk_files
        ]

    def api_url(self, name: str) -> str:
        """Base URL of an API: its ``url_env`` variable, else its default (registry)."""
        from pubtrack.sources.registry import api_endpoint

        endpoint = api_endpoint(name)
        url = os.environ.get(endpoint.url_env, "") if endpoint.url_env else ""
        return (url or endpoint.default_url).rstrip("/")

    def owner_names(self) -> list[str]:
        return [n for n in [self.owner.name, *self.owner.aliases] if n]

    def warning_lines(self) -> list[str]:
        """``pubtrack.toml:LINE: [section] key: …`` for each warning."""
        return [
            f"{f}:{line}: {text}" if line else f"{f}: {text}" for f, line, text in self.warnings
        ]


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
        text = config_path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{config_path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    return config_from_toml(data, config_path, text)


def config_from_toml(data: dict[str, Any], config_path: Path, text: str = "") -> Config:
    """Every section built and checked; unknown keys and sections become warnings."""
    located = Located(config_path, text)
    cfg = Config(root=config_path.resolve().parent, path=config_path)
    for name in data:
        if name not in SECTIONS:
            located.warn(name, None, "unknown section, ignored" + did_you_mean(name, SECTIONS))
    cfg.owner = build_section(Owner, data.get("owner", {}), "owner", located)
    cfg.bib = build_section(BibSettings, data.get("bib", {}), "bib", located)
    if cfg.bib.encoding:
        from pubtrack.bibtex.encoding import codec_name

        if codec_name(cfg.bib.encoding) is None:
            raise located.error("bib", "encoding", f"unknown encoding {cfg.bib.encoding!r}")
    cfg.database = build_section(DatabaseSettings, data.get("database", {}), "database", located)
    if not cfg.database.path:
        raise located.error("database", "path", "must not be empty")
    cfg.sync = _sync_section(data.get("sync", {}), located)
    cfg.render = build_section(RenderSettings, data.get("render", {}), "render", located)
    cfg.google_scholar = build_section(
        ScholarSettings, data.get("google_scholar", {}), "google_scholar", located
    )
    cfg.add = build_section(AddSettings, data.get("add", {}), "add", located)
    cfg.discover = build_section(DiscoverSettings, data.get("discover", {}), "discover", located)
    cfg.warnings = located.warnings
    cfg.given = _given(data, located)
    return cfg


def _given(data: dict[str, Any], located: Located) -> dict[str, dict[str, int]]:
    """{section: {key: line}} of what the file sets (for messages about a setting)."""
    from pubtrack.settings import line_of

    out: dict[str, dict[str, int]] = {}

    def walk(prefix: str, table: dict[str, Any]) -> None:
        keys = out.setdefault(prefix, {})
        for key, value in table.items():
            if isinstance(value, dict):
                walk(f"{prefix}.{key}", value)
            else:
                keys[key] = line_of(located.text, prefix, key) if located.text else 0

    for name, table in data.items():
        if isinstance(table, dict):
            walk(name, table)
    return out


def _sync_section(table: Any, located: Located) -> SyncSettings:
    """[sync] and its [sync.<source>] tables, checked against the registered sources."""
    if not isinstance(table, dict):
        raise located.error("sync", None, "must be a table")
    subtables = {k for k, v in table.items() if isinstance(v, dict)}
    plain_keys = set(fields_of_section(SyncSettings))
    odd = {k for k in table if k not in subtables and k not in plain_keys}
    if table.get("sources") is None and not subtables and not odd:
        # Nothing that needs the registry (reading it costs the entry points).
        return build_section(SyncSettings, table, "sync", located)
    from pubtrack.sources.registry import registry

    known = registry()
    for key in sorted(odd):
        if key in known:
            raise ConfigError(f"{located.where('sync', key)}: [sync.{key}] must be a table")
    sync = build_section(SyncSettings, table, "sync", located, skip=subtables)
    for name in sync.sources or []:
        if name not in known:
            hint = did_you_mean(name, known.names) or f" (known: {', '.join(known.names)})"
            raise located.error("sync", "sources", f"unknown source {name!r}{hint}")
    from pubtrack.sources.registry import lookup_apis

    lookups = lookup_apis()
    for name in sorted(subtables):
        cls = known.get(name)
        if cls is None and name in lookups:  # [sync.orcid] min_interval for add/import
            sync.tables[name] = build_section(SourceSettings, table[name], f"sync.{name}", located)
            continue
        if cls is None:
            located.warn(
                f"sync.{name}", None, "no such source, ignored" + did_you_mean(name, known.names)
            )
            continue
        section = f"sync.{name}"
        sync.tables[name] = build_section(cls.settings_class, table[name], section, located)
    return sync


# --------------------------------------------------------------------------
# pubtrack init: every setting, commented, with its default
# --------------------------------------------------------------------------

CONFIG_HEAD = """\
# pubtrack configuration. Paths are relative to this file.
#
# Fill in [owner]. Every other setting is listed with its default, commented
# out: uncomment a [section] line and the settings you change, or paste a
# snippet from the README (nothing below defines a table twice).
"""


def _owner_lines() -> list[str]:
    """[owner] is the one table written active: its keys are meant to be filled in."""
    doc = (Owner.__doc__ or "").strip().removeprefix("[owner]: ")
    lines = [f"# {doc[:1].upper()}{doc[1:]}", "[owner]"]
    for line in commented_section(Owner, "owner")[1:]:
        if line.startswith("#   "):
            lines.append("# " + line[4:])
        else:
            lines.append(line[2:])  # "# name = """ -> "name = """
    return lines


def commented_config() -> str:
    """The whole pubtrack.toml `pubtrack init` writes."""
    parts = [CONFIG_HEAD.rstrip("\n"), "\n".join(_owner_lines())]
    for name, cls in SECTIONS.items():
        if name == "owner":
            continue
        doc = (cls.__doc__ or "").strip().removeprefix(f"[{name}]: ")
        doc = doc[:1].upper() + doc[1:]
        parts.append("\n".join(commented_section(cls, name, doc)))
    from pubtrack.sources.registry import registry

    sources = registry()
    # The example table: the source a sync runs first, with its own defaults.
    first = sources.get(sources.fetch_order(sources.names)[0]) if sources.names else None
    if first is not None:
        example = {"batch_size": first.batch_size, "min_interval": first.min_interval}
        doc = (
            f"One source's overrides, in a table named after it ({first.label}'s defaults "
            "shown;\na plugin's own settings go in its table too: see examples/pubtrack-inspire)."
        )
        section = f"sync.{first.name}"
        parts.append("\n".join(commented_section(SourceSettings, section, doc, example)))
    # Sources with settings of their own (Crossref's list_interval, a plugin's): those keys.
    base = {f.name for f in fields(SourceSettings)}
    for cls in sources:
        extra = [f for f in fields(cls.settings_class) if f.name not in base]
        if not extra:
            continue
        lines = commented_section(cls.settings_class, f"sync.{cls.name}", f"{cls.label}'s own:")
        keep = {f"# {f.name} = " for f in extra}
        parts.append(
            "\n".join(
                line
                for i, line in enumerate(lines)
                if i <= 1
                or any(line.startswith(k) for k in keep)
                or (
                    line.startswith("#   ")
                    and i + 1 < len(lines)
                    and any(lines[i + 1].startswith(k) for k in keep)
                )
            )
        )
    return "\n\n".join(parts) + "\n"
