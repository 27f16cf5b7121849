"""`pubtrack render`: the Publications and Talks sections in md, html, tex or json.

Works offline from the bib files plus whatever the database holds: no
database means no "Cited by" lines, never a failure. A database that cannot
be written (read-only, locked by a running sync) is read anyway, with a
warning. Warnings go to the ``warn`` callback (the CLI prints them on stderr).
"""

from __future__ import annotations

import json as jsonlib  # `json` here is the pubtrack.render.json module
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pubtrack.config import (  # the [render] choices live with the config
    CITATION_STYLES,
    DEFAULT_MAX_AUTHORS,
    GROUP_BY,
    STYLES,
    Config,
    RenderSettings,
)
from pubtrack.errors import (
    BadInputError,
    BibError,
    DatabaseError,
    StorageError,
    UnsafeWriteError,
)
from pubtrack.models import CitationCount, Library
from pubtrack.util import gc_paused, write_atomic

if TYPE_CHECKING:  # imported where a context is built: a cached render needs neither
    from pubtrack.render.context import RenderContext

FORMATS = ("md", "html", "tex", "json", "alfolio")
SECTIONS = ("publications", "talks")

Warn = Callable[[str], None]


@dataclass
class RenderOptions:
    """What to render. ``None`` means: the ``[render]`` setting, else the default."""

    format: str | None = None  # md | html | tex | json (None: md, or from the --inject file)
    section: str = "all"  # publications | talks | all
    style: str | None = None  # default | compact
    group_by: str | None = None  # none | year | type
    selected: bool = False
    template: Path | None = None
    max_authors: int | None = None  # <= 0: no truncation
    strict: bool = False  # any BibTeX problem is fatal
    generated_at: str | None = None  # fixed value for reproducible output
    sparklines: bool | None = None  # a ▁▃▅█ trend after "Cited by" (md, html)
    citation_style: str | None = None  # full | count | number
    cited_by_link: bool | None = None  # "Cited by N" links to the citing papers
    citation_date: str | None = None  # day | month (None: [render] citation_date, else day)
    standalone: bool = False  # html: one self-contained page (render/page.py)


@dataclass
class RenderResult:
    text: str
    library: Library | None  # None when the text came from the output cache (not parsed)
    warnings: list[str] = field(default_factory=list)


def _setting(options_value: Any, config: Config, name: str) -> Any:
    """The command-line option when given, else ``[render] name`` (typed, with its default)."""
    if options_value is not None:
        return options_value
    return getattr(config.render, name)


def _choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise BadInputError(f"invalid {what} {value!r} (choose from {', '.join(allowed)})")
    return str(value)


def resolve_options(config: Config, options: RenderOptions) -> RenderOptions:
    """Fill unset options from ``[render]`` in pubtrack.toml and check them."""
    template = options.template
    if template is None and config.render.template:
        template = config.root / config.render.template
    if template is not None and not Path(template).is_file():
        raise BadInputError(f"{template}: template not found")
    max_authors = _setting(options.max_authors, config, "max_authors")
    if not isinstance(max_authors, int):
        raise BadInputError(f"[render] max_authors must be a whole number, not {max_authors!r}")
    return replace(
        options,
        format=_choice(options.format or "md", FORMATS, "format"),
        section=_choice(options.section, (*SECTIONS, "all"), "section"),
        style=_choice(_setting(options.style, config, "style"), STYLES, "style"),
        group_by=_choice(_setting(options.group_by, config, "group_by"), GROUP_BY, "group-by"),
        template=Path(template) if template is not None else None,
        max_authors=max_authors,
        sparklines=bool(_setting(options.sparklines, config, "sparklines")),
        citation_style=_choice(
            _setting(options.citation_style, config, "citation_style"),
            CITATION_STYLES,
            "citation style",
        ),
        cited_by_link=bool(_setting(options.cited_by_link, config, "cited_by_link")),
        citation_date=str(_setting(options.citation_date, config, "citation_date") or "day"),
    )


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Database (best effort)
# ---------------------------------------------------------------------------


@dataclass
class StoredData:
    citations: dict[str, dict[str, CitationCount]] = field(default_factory=dict)
    external_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    sparklines: dict[str, str] = field(default_factory=dict)  # {key: "▁▃▅█"}
    # What sync learned (issue 10): {key: {source: {kind: id}}} and {key: OA pdf url}.
    learned: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    pdfs: dict[str, dict[str, str]] = field(default_factory=dict)  # {key: {source: url}}
    # --standalone: {"papers": {key: {source: [[day, count], ...]}}, "per_year": {source:
    # {year: n}}} (render/page.py load_series)
    series: dict[str, Any] = field(default_factory=dict)


def load_stored(
    config: Config,
    library: Library | None,
    warn: Warn,
    *,
    sparklines: bool = False,
    series: bool = False,
    guarded: bool = False,
) -> StoredData:
    """Read counts and ids, opening the database read-only (render never writes it;
    `pubtrack sync` mirrors the bib files into its tables).

    No database renders without counts. A database that cannot be read (corrupt,
    locked, unreadable) is skipped with a warning when printing; with ``guarded``
    (--output, --inject) it is an error instead, so a published page never loses
    its "Cited by" lines to a failure.
    """
    path = config.database_path
    if not path.exists():
        return StoredData()
    from pubtrack.db import Store  # imported only when there is a database to read

    def trouble(message: str) -> StoredData:
        if guarded:
            raise DatabaseError(f"{message}; nothing written (the file is left as it was)")
        warn(f"{message}; rendering without citation counts")
        return StoredData()

    try:
        store = Store.open_readonly(path, timeout=5.0)
    except DatabaseError as exc:
        return trouble(str(exc))
    if library is not None:
        # The parsed bib's works count (the page's per-year chart), not the database's
        # copy of the last sync: an entry removed since is gone at once.
        store.count_only([w.key for w in library.works])
    with store:
        try:
            trends = {}
            if sparklines:
                from pubtrack.timeline import paper_sparklines

                trends = paper_sparklines(store)
            history: dict[str, Any] = {}
            if series:
                from pubtrack.render.page import load_series

                history = load_series(store)
            # Every source's ids and PDFs: which of them a work shows is the context's
            # choice, with the registry (entry points), which a cached render never reads.
            return StoredData(
                citations=store.latest_citations(),
                external_ids=store.external_ids(),
                sparklines=trends,
                learned=store.learned_ids_by_source(),
                pdfs=store.open_access_pdfs(),
                series=history,
            )
        except StorageError as exc:
            why = exc.message.removeprefix(f"{path}: ")
            return trouble(f"{path}: cannot read citation counts: {why}")


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _citation_date(name: Any) -> Callable[[str], str]:
    """`[render] citation_date`: "day" (28 Nov 2026) or "month" (Nov 2026)."""
    from pubtrack.render.context import CITATION_DATE_FORMATS

    if name not in CITATION_DATE_FORMATS:
        raise BadInputError(
            f"[render] citation_date must be one of {', '.join(CITATION_DATE_FORMATS)}, "
            f"not {name!r}"
        )
    return CITATION_DATE_FORMATS[name]


def build_context(
    library: Library,
    options: RenderOptions,
    *,
    owner_names: list[str],
    stored: StoredData | None = None,
    settings: RenderSettings | None = None,
) -> RenderContext:
    """Everything a template sees, from already resolved options."""
    from pubtrack.render.context import (
        RenderContext,
        build_publications,
        build_talks,
        group_publications,
        marks_legend,
        source_preference,
    )
    from pubtrack.render.names import OwnerMatcher

    settings = settings or RenderSettings()
    stored = stored or StoredData()
    pubs = build_publications(
        library.works,
        is_owner=OwnerMatcher(owner_names),
        max_authors=int(
            options.max_authors if options.max_authors is not None else DEFAULT_MAX_AUTHORS
        ),
        selected_only=options.selected,
        citations=stored.citations,
        external_ids=stored.external_ids,
        learned=stored.learned,
        pdfs=stored.pdfs,
        # The order needs the source registry (entry points): only read when there are counts.
        preference=source_preference(settings.citation_source) if stored.citations else (),
        citation_date=_citation_date(options.citation_date or settings.citation_date or "day"),
        year_in_venue=options.group_by != "year",
    )
    for p in pubs:
        p.citation_style = options.citation_style or "full"
        p.link_citations = bool(options.cited_by_link)
    if not settings.other_sources:
        for p in pubs:
            p.other_citations = []
    if options.sparklines:
        for p in pubs:
            p.sparkline = stored.sparklines.get(p.key, "")
    marks = settings.marks
    return RenderContext(
        publications=pubs,
        publication_groups=group_publications(pubs, options.group_by or "none"),
        talks=build_talks(library.talks, library.works, selected_only=options.selected),
        owner=owner_names[0] if owner_names else "",
        generated_at=options.generated_at or now_iso(),
        sections=list(SECTIONS) if options.section == "all" else [options.section],
        style=options.style or "default",
        legend=marks_legend(pubs, marks if isinstance(marks, dict) else None),
    )


# No control character (NUL, ESC, ...) reaches a page, whatever a template or a
# database row holds (the reader already drops them from the bib files).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def render_context(ctx: RenderContext, options: RenderOptions) -> str:
    """Text of the resolved format; always ends with exactly one newline (or is empty)."""
    name = options.format or "md"
    if name == "alfolio":
        from pubtrack.render.data import render_alfolio

        return render_alfolio(
            ctx, str(ctx.extra.get("scholar_user", "")), ctx.extra.get("existing")
        )
    if name == "html" and options.standalone and options.template is None:
        from pubtrack.render.page import render_page

        return render_page(ctx)
    if name == "json" and options.template is None:
        from pubtrack.render.json import render_json

        return _CONTROL.sub("", render_json(ctx))
    from pubtrack.render.formats import FORMATS as TEXT_FORMATS

    fmt = TEXT_FORMATS.get(name)
    if fmt is None:
        raise BadInputError("--template works with --format md, html or tex")
    from pubtrack.render.base import render_template  # Jinja: not needed for a cached text

    text = render_template(
        fmt, ctx.as_dict(), style=options.style or "default", template=options.template
    )
    text = _CONTROL.sub("", text).strip("\n")
    return text + "\n" if text else ""


def render_library(
    library: Library,
    options: RenderOptions,
    *,
    owner_names: list[str],
    stored: StoredData | None = None,
    settings: RenderSettings | None = None,
) -> str:
    """Render works and talks already in memory (tests, other tools)."""
    ctx = build_context(library, options, owner_names=owner_names, stored=stored, settings=settings)
    return render_context(ctx, options)


def load_for_render(config: Config, options: RenderOptions, warn: Warn) -> Library:
    """Read the bib files; report every problem; --strict makes them fatal."""
    from pubtrack.bibtex import load_library

    library = load_library(config)
    for problem in library.problems:
        warn(str(problem))
    if options.strict and library.problems:
        raise BibError(
            f"{len(library.problems)} BibTeX problem(s), listed above; "
            "--strict makes them fatal (nothing written)"
        )
    return library


def _load(
    config: Config,
    options: RenderOptions,
    warn: Warn | None,
    *,
    guarded: bool = False,
    refuse_empty: bool = False,
    stored: tuple[StoredData, list[str]] | None = None,
) -> tuple[Library, StoredData, list[str], list[str]]:
    """Bib files and database, with every warning collected (and passed on).

    ``guarded`` (--output, --inject): no bib file or an unreadable database is an
    error, not an empty list; ``refuse_empty``: so is reading no entry at all (the
    file to replace holds a list).
    """
    warnings: list[str] = []

    def _warn(message: str) -> None:
        warnings.append(message)
        if warn is not None:
            warn(message)

    looked = ", ".join([*config.bib.publications, *config.bib.talks]) or "no files configured"
    if guarded and not (config.publication_files() or config.talk_files()):
        raise UnsafeWriteError(
            f"no bib file matched ({looked}); nothing written (the file is left as it was)"
        )
    library = load_for_render(config, options, _warn)
    if not library.works and not library.talks:
        if refuse_empty:
            raise UnsafeWriteError(
                f"no publications or talks read from {looked}; nothing written "
                "(the file is left as it was)"
            )
        _warn(f"no publications or talks found (looked in {looked}); see `pubtrack init`")
    library_warnings = list(warnings)  # what the bib said (kept with a cached text)
    if stored is not None:  # read before (render_project's look at the output cache)
        data, stored_warnings = stored
        for message in stored_warnings:
            _warn(message)
        return library, data, warnings, library_warnings
    data = load_stored(
        config,
        library,
        _warn,
        sparklines=bool(options.sparklines),
        series=bool(options.standalone),
        guarded=guarded,
    )
    return library, data, warnings, library_warnings


def _cache_key(
    config: Config, options: RenderOptions, fingerprint: str, stored: StoredData, variant: str
) -> str | None:
    """Everything the rendered text depends on (render/cache.py); None: not cached."""
    from pubtrack.render import cache

    return cache.cache_key(
        fingerprint,
        {**asdict(replace(options, generated_at=None, strict=False)), "variant": variant},
        {"render": asdict(config.render), "owner": config.owner_names()},
        (
            stored.citations,
            stored.external_ids,
            stored.sparklines,
            stored.series,
            stored.learned,
            stored.pdfs,
        ),
    )


def _cached(
    config: Config,
    options: RenderOptions,
    library: Library,
    stored: StoredData,
    variant: str,
    produce: Callable[[RenderContext], str],
    library_warnings: list[str] | None = None,
) -> str:
    """``produce(context)``, or the text it gave last time for the same input.

    The entry keeps the warnings the bib gave (``library_warnings``), so that a
    later render served from it says the same without parsing the bib.
    """
    from pubtrack.render import cache

    def build() -> str:
        ctx = build_context(
            library,
            replace(options, generated_at=cache.GENERATED_AT_PLACEHOLDER),
            owner_names=config.owner_names(),
            stored=stored,
            settings=config.render,
        )
        return produce(ctx)

    generated_at = options.generated_at or now_iso()
    fingerprint = getattr(library, "fingerprint", None)
    if fingerprint is None or not cache.enabled():
        return cache.fill(build(), generated_at)
    key = _cache_key(config, options, str(fingerprint), stored, variant)
    if key is None:
        return cache.fill(build(), generated_at)
    directory = config.cache_dir / "render"
    entry = cache.load(directory, key)
    if entry is None:
        empty = not library.works and not library.talks
        entry = cache.Entry(build(), list(library_warnings or []), empty)
        cache.store(directory, key, entry)
    return cache.fill(entry.text, generated_at)


def _from_cache(
    config: Config,
    options: RenderOptions,
    warn: Warn | None,
    *,
    guarded: bool,
    refuse_empty: bool,
) -> tuple[RenderResult | None, tuple[StoredData, list[str]] | None]:
    """The text of an unchanged render, without parsing the bib: the bib files'
    fingerprint and the database's counts find it in the output cache. Returns
    (result or None, the stored data read, for the full render to reuse)."""
    from pubtrack.bibtex import library_fingerprint
    from pubtrack.render import cache

    if not cache.enabled() or options.strict or options.format == "alfolio":
        return None, None
    if options.standalone:
        return None, None  # its per-year chart counts the parsed bib's works: parse first
    if guarded and not (config.publication_files() or config.talk_files()):
        return None, None  # the full render says why nothing is written
    try:
        fingerprint = library_fingerprint(config)
    except BibError:
        return None, None  # the full render reports it
    stored_warnings: list[str] = []
    stored = load_stored(
        config,
        None,
        stored_warnings.append,
        sparklines=bool(options.sparklines),
        series=bool(options.standalone),
        guarded=guarded,
    )
    read = (stored, stored_warnings)
    key = _cache_key(config, options, fingerprint, stored, "stdout")
    if key is None:
        return None, read
    entry = cache.load(config.cache_dir / "render", key)
    if entry is None or (refuse_empty and entry.empty):
        return None, read
    warnings = [*entry.warnings, *stored_warnings]
    if warn is not None:
        for message in warnings:
            warn(message)
    text = cache.fill(entry.text, options.generated_at or now_iso())
    return RenderResult(text, None, warnings), read


def render_project(
    config: Config,
    options: RenderOptions,
    *,
    warn: Warn | None = None,
    existing: Path | None = None,
    guarded: bool = False,
    refuse_empty: bool = False,
) -> RenderResult:
    """The whole job of `pubtrack render` (it writes nothing but the cache).

    ``existing`` is the file the text will replace (--output): the al-folio
    data keeps the counts it holds. ``guarded`` (for --output): missing or
    unreadable input is an error, not an emptied list.
    """
    if options.standalone and options.citation_date is None and config.render.citation_date is None:
        options = replace(options, citation_date="month")
    options = resolve_options(config, options)
    if options.standalone and options.format != "html":
        raise BadInputError("--standalone goes with --format html")
    with gc_paused():
        hit, read = _from_cache(config, options, warn, guarded=guarded, refuse_empty=refuse_empty)
        if hit is not None:
            return hit
        library, stored, warnings, library_warnings = _load(
            config, options, warn, guarded=guarded, refuse_empty=refuse_empty, stored=read
        )
        extra: dict[str, Any] = {"scholar_user": config.owner.google_scholar_id}
        if options.standalone:
            extra["series"] = stored.series
        if options.format == "alfolio":
            extra["existing"] = existing

            def produce(ctx: RenderContext) -> str:
                return render_context(replace(ctx, extra=extra), options)

            ctx = build_context(
                library,
                options,
                owner_names=config.owner_names(),
                stored=stored,
                settings=config.render,
            )
            return RenderResult(produce(ctx), library, warnings)
        text = _cached(
            config,
            options,
            library,
            stored,
            "stdout",
            lambda ctx: render_context(replace(ctx, extra={**ctx.extra, **extra}), options),
            library_warnings,
        )
    return RenderResult(text, library, warnings)


def _holds_text(path: Path) -> bool:
    """The file --output would replace exists and is not blank (it holds a list)."""
    try:
        return path.is_file() and bool(path.read_bytes().strip())
    except OSError:
        return True  # unreadable: be careful


def render_to_file(
    config: Config, options: RenderOptions, path: Path, *, warn: Warn | None = None
) -> bool:
    """--output FILE: written atomically and only when its content changed (True then)."""
    from pubtrack.render.data import write_if_changed

    result = render_project(
        config, options, warn=warn, existing=path, guarded=True, refuse_empty=_holds_text(path)
    )
    return write_if_changed(path, result.text, options.format or "md")


def write_output(path: Path, text: str) -> None:
    """--output: written atomically, so a reader never sees half a file."""
    write_atomic(path, text)


def options_for_marker(
    options: RenderOptions, marker: tuple[tuple[str, str], ...]
) -> RenderOptions:
    """A region's marker options (``selected group-by=year``) over the command's."""
    given = dict(marker)
    changes: dict[str, Any] = {}
    if "selected" in given:
        changes["selected"] = True
    if "group-by" in given:
        changes["group_by"] = given["group-by"]
    if "style" in given:
        changes["style"] = given["style"]
    if "max-authors" in given:
        changes["max_authors"] = int(given["max-authors"])
    if "citation-style" in given:
        changes["citation_style"] = given["citation-style"]
    if "cited-by-link" in given:
        changes["cited_by_link"] = True
    if "sparklines" in given:
        changes["sparklines"] = True
    return replace(options, **changes)


def inject_project(
    config: Config, options: RenderOptions, path: Path, *, warn: Warn | None = None
) -> bool:
    """`render --inject FILE`: fill every marked region; True when the file changed.

    The format comes from --format or the file's extension; each region gets
    its section without the heading (the file has its own), with the options
    its marker names. Counts are dated by month unless `--citation-date` or
    `[render] citation_date` says otherwise: a night when no count moved
    leaves the file as it was.
    """
    from pubtrack.render.inject import format_for, inject_file

    if options.citation_date is None and config.render.citation_date is None:
        options = replace(options, citation_date="month")
    options = resolve_options(config, replace(options, format=format_for(path, options.format)))
    sections = list(SECTIONS) if options.section == "all" else [options.section]

    def render_sections(specs: list[Any]) -> dict[Any, str]:
        by_options: dict[Any, list[str]] = {}
        for name, marker in specs:
            by_options.setdefault(marker, []).append(name)
        out: dict[Any, str] = {}
        resolved = {
            marker: resolve_options(config, options_for_marker(options, marker))
            for marker in by_options
        }
        # Read the bib and the database once (warnings once), with what any region needs.
        wants_sparklines = any(o.sparklines for o in resolved.values())
        library, stored, _, _ = _load(
            config, replace(options, sparklines=wants_sparklines), warn, guarded=True
        )
        for marker, names in by_options.items():
            region_options = resolved[marker]

            def produce(ctx: RenderContext, names=names, ro=region_options) -> str:
                return jsonlib.dumps(
                    {
                        name: render_context(replace(ctx, sections=[name], headings=False), ro)
                        for name in names
                    }
                )

            variant = "inject:" + ",".join(names)
            cached = _cached(config, region_options, library, stored, variant, produce)
            texts = jsonlib.loads(cached)
            out.update({(name, marker): texts[name] for name in names})
        return out

    with gc_paused():
        return inject_file(path, options.format or "md", render_sections, sections)


__all__ = [
    "RenderOptions",
    "RenderResult",
    "StoredData",
    "build_context",
    "inject_project",
    "render_context",
    "render_library",
    "render_project",
    "render_to_file",
    "resolve_options",
    "write_output",
]
