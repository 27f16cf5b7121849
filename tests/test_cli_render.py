"""`pubtrack render` through the CLI: formats, output, inject, strict, database."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import pubtrack.bibtex
from pubtrack.cli import cli
from pubtrack.db import Store
from pubtrack.models import CitationCount, Library, Problem

GOLDEN = Path(__file__).parent / "golden"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["render", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def fake_reader(example_project: Path, render_example: Library, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The example project, with the reader replaced by the example as models."""
    render_example.fingerprint = "fp-1"  # type: ignore[attr-defined]
    monkeypatch.setattr(
        pubtrack.bibtex, "load_library", lambda config: render_example, raising=False
    )
    return render_example


def test_markdown_to_stdout(fake_reader: Library) -> None:
    code, out, err = run()
    assert code == 0, err
    assert out == (GOLDEN / "example.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "needle"),
    [
        ("html", '<strong class="pubtrack-owner">Zihang Liu</strong>'),
        ("tex", r"\textbf{Zihang Liu}"),
        ("json", '"key": "liu2024modelbalancing"'),
    ],
)
def test_other_formats(fake_reader: Library, fmt: str, needle: str) -> None:
    code, out, _ = run("--format", fmt)
    assert code == 0 and needle in out
    if fmt == "json":
        assert set(json.loads(out)) == {"publications", "talks", "generated_at"}


def test_section_and_selected(fake_reader: Library) -> None:
    _, out, _ = run("--section", "talks")
    assert out.startswith("## Talks\n") and "## Publications" not in out
    _, out, _ = run("--selected", "--style", "compact", "--section", "publications")
    assert out.count("\n- ") == 1 and "Model Balancing" in out


def test_output_file(fake_reader: Library, example_project: Path) -> None:
    code, out, err = run("--format", "html", "--output", "pubs.html")
    assert code == 0 and out == ""
    assert "Wrote pubs.html" in err
    text = (example_project / "pubs.html").read_text(encoding="utf-8")
    assert text.startswith('<section class="pubtrack pubtrack-publications">\n<h2>')


def test_inject_exit_codes(fake_reader: Library, example_project: Path) -> None:
    readme = example_project / "README.md"
    readme.write_text(
        "# Me\n<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n",
        encoding="utf-8",
    )
    code, out, err = run("--inject", "README.md", "--exit-code")
    assert (code, out) == (4, "") and "README.md: updated" in err
    text = readme.read_text(encoding="utf-8")
    assert "1. **Model Balancing" in text and "## Publications" not in text
    code, _, err = run("--inject", "README.md", "--exit-code")
    assert code == 0 and "README.md: unchanged" in err
    readme.write_text("# Me\n<!-- pubtrack:talks -->\n<!-- /pubtrack:talks -->\n", "utf-8")
    code, _, err = run("--inject", "README.md")
    assert code == 0 and "README.md: updated" in err  # without --exit-code: 0


def test_inject_refuses_file_without_markers(fake_reader: Library, example_project: Path) -> None:
    page = example_project / "page.md"
    page.write_bytes(b"# no markers\r\n")
    code, _, err = run("--inject", "page.md")
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("Error: page.md: no pubtrack markers")
    assert page.read_bytes() == b"# no markers\r\n"


def test_usage_errors(fake_reader: Library) -> None:
    assert run("--output", "a.md", "--inject", "pubtrack.toml")[0] == 2
    assert run("--exit-code")[0] == 2
    assert run("--format", "docx")[0] == 2


def test_problems_warn_and_strict_fails(fake_reader: Library, example_project: Path) -> None:
    fake_reader.problems.append(Problem("bib/publications.bib", 7, "unbalanced braces"))
    code, out, err = run()
    assert code == 0 and "1. **Model Balancing" in out
    assert "Warning: bib/publications.bib:7: unbalanced braces" in err
    code, out, err = run("--strict", "--output", "out.md")
    assert code == 2 and out == ""
    assert "Warning: bib/publications.bib:7: unbalanced braces" in err
    assert "Error: 1 BibTeX problem(s)" in err
    assert not (example_project / "out.md").exists()


def test_render_reads_counts_and_never_writes_the_database(
    fake_reader: Library, example_project: Path
) -> None:
    db_path = example_project / "data" / "pubtrack.db"
    with Store.open(db_path) as store:
        store.record_citations(
            [CitationCount("liu2024modelbalancing", "semantic_scholar", 12, "2026-11-28T03:00:00Z")]
        )
    before = db_path.read_bytes()
    code, out, _ = run()
    assert code == 0 and "Cited by 12 (Semantic Scholar, 28 Nov 2026)" in out
    assert db_path.read_bytes() == before  # opened read-only: no mirror written
    assert not (example_project / "data" / "pubtrack.db-wal").read_bytes()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_still_renders_counts(
    fake_reader: Library, example_project: Path
) -> None:
    db_path = example_project / "data" / "pubtrack.db"
    with Store.open(db_path) as store:
        store.record_citations(
            [CitationCount("du2022ensemblemot", "openalex", 3, "2026-11-28T03:00:00Z")]
        )
    data = example_project / "data"
    for p in data.iterdir():
        p.chmod(stat.S_IRUSR)
    data.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        code, out, err = run()
    finally:
        data.chmod(stat.S_IRWXU)
        for p in data.iterdir():
            p.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 0 and "Cited by 3 (OpenAlex, 28 Nov 2026)" in out
    assert "Warning:" not in err


def test_locked_database_warns_and_renders(fake_reader: Library, example_project: Path) -> None:
    db_path = example_project / "data" / "pubtrack.db"
    with Store.open(db_path) as store:
        store.record_citations(
            [CitationCount("du2022ensemblemot", "crossref", 4, "2026-11-28T03:00:00Z")]
        )
    holder = Store.open(db_path)
    holder.db.execute("BEGIN IMMEDIATE")  # a sync holding the write lock
    try:
        code, out, err = run()
    finally:
        holder.db.execute("ROLLBACK")
        holder.close()
    # A read-only reader sees what the writer committed; nothing to warn about.
    assert code == 0 and "Cited by 4 (Crossref, 28 Nov 2026)" in out
    assert "Warning:" not in err


def test_corrupt_database_warns_and_renders(fake_reader: Library, example_project: Path) -> None:
    (example_project / "data" / "pubtrack.db").write_bytes(b"this is not sqlite" * 100)
    code, out, err = run()
    assert code == 0 and "1. **Model Balancing" in out and "Cited by" not in out
    assert "Warning:" in err


def test_read_commands_never_open_the_database_for_writing(
    fake_reader: Library, example_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a read-only file gives (tested this way too because root ignores modes)."""
    db_path = example_project / "data" / "pubtrack.db"
    with Store.open(db_path) as store:
        store.record_citations(
            [CitationCount("du2022ensemblemot", "openalex", 3, "2026-11-28T03:00:00Z")]
        )

    def refuse(*args: object, **kwargs: object) -> Store:
        raise AssertionError("a read command opened the database for writing")

    monkeypatch.setattr(Store, "open", refuse)
    code, out, err = run()
    assert code == 0 and "Cited by 3 (OpenAlex, 28 Nov 2026)" in out
    for args in (["stats"], ["history"], ["changes"], ["badge", "--metric", "citations"]):
        result = CliRunner().invoke(cli, args)
        assert isinstance(result.exception, SystemExit | None), (args, result.exception)
        assert result.exit_code in (0, 1) and "Traceback" not in result.output


def test_output_cache_is_reused_and_invalidated(
    fake_reader: Library, example_project: Path
) -> None:
    from pubtrack.config import load_config
    from pubtrack.render import RenderOptions, render_project

    config = load_config()
    Store.open(config.database_path).close()

    def json_out(generated_at: str) -> dict:
        options = RenderOptions(format="json", generated_at=generated_at)
        return json.loads(render_project(config, options).text)

    first = json_out("2026-11-28T01:00:00Z")
    cached = list((config.cache_dir / "render").iterdir())
    assert len(cached) == 1
    cached[0].write_text(cached[0].read_text("utf-8").replace("Fei Su", "Cached Su"), "utf-8")
    second = json_out("2026-11-28T02:00:00Z")
    # Served from the cache (the edit shows), with this run's generated_at.
    assert second["publications"][1]["authors"][-1] == "Cached Su"
    assert (first["generated_at"], second["generated_at"]) == (
        "2026-11-28T01:00:00Z",
        "2026-11-28T02:00:00Z",
    )
    # New counts in the database: a new key, rendered afresh.
    with Store.open(config.database_path) as store:
        store.record_citations(
            [CitationCount("du2022ensemblemot", "semantic_scholar", 2, "2026-11-28T03:00:00Z")]
        )
    third = json_out("2026-11-28T03:00:00Z")
    assert third["publications"][1]["authors"][-1] == "Fei Su"
    assert third["publications"][1]["citations"]["semantic_scholar"]["count"] == 2
    # So does a changed bib (fingerprint) and different options.
    fake_reader.fingerprint = "fp-other"  # type: ignore[attr-defined]
    json_out("2026-11-28T04:00:00Z")
    render_project(config, RenderOptions(format="md"))
    assert len(list((config.cache_dir / "render").iterdir())) == 4


def _real_reader() -> None:
    try:
        from pubtrack.bibtex import load_library  # noqa: F401
    except ImportError:  # pragma: no cover - only while the reader is being written
        pytest.skip("the BibTeX reader is not there yet")


BROKEN = """
@article{good2020,
  title = {A Good Entry},
  author = {Liu, Zihang},
  journal = {J},
  year = {2020},
}

@article{broken2021,
  title = {Unbalanced {braces,
  author = {Liu, Zihang},
  year = {2021},
}
"""


def test_real_reader_broken_bib_warns_then_strict_fails(example_project: Path) -> None:
    _real_reader()
    (example_project / "bib" / "extra.bib").write_text(BROKEN, encoding="utf-8")
    code, out, err = run()
    assert code == 0
    assert "**A Good Entry**" in out and "1. **Model Balancing" in out
    warnings = [ln for ln in err.splitlines() if ln.startswith("Warning: ")]
    assert warnings and all(ln.startswith("Warning: bib/extra.bib:") for ln in warnings)
    readme = example_project / "README.md"
    readme.write_text("<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n")
    before = readme.read_bytes()
    code, out, err = run("--strict", "--inject", "README.md")
    assert code == 2 and out == ""
    assert "--strict" in err.splitlines()[-1] and err.splitlines()[-1].startswith("Error: ")
    assert readme.read_bytes() == before  # nothing written


def test_real_reader_inject_and_database(example_project: Path) -> None:
    _real_reader()
    readme = example_project / "README.md"
    readme.write_text(
        "# CV\r\n\r\n## Talks\r\n<!-- pubtrack:talks -->\r\n<!-- /pubtrack:talks -->\r\n"
        "## Papers\r\n<!-- pubtrack:publications -->\r\nold\r\n<!-- /pubtrack:publications -->\r\n",
        encoding="utf-8",
    )
    Store.open(example_project / "data" / "pubtrack.db").close()
    code, _, err = run("--inject", "README.md", "--exit-code")
    assert code == 4, err
    data = readme.read_bytes()
    assert b"\r\n| Nov 12, 2024 | EMNLP 2024 | Oral presentation | Model Balancing" in data
    assert b"\r\n1. **Model Balancing" in data and b"old" not in data
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert run("--inject", "README.md", "--exit-code")[0] == 0


def test_empty_project_renders_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _real_reader()
    (tmp_path / "pubtrack.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    code, out, err = run("--format", "json")
    assert code == 0 and json.loads(out)["publications"] == []
    assert "Warning: no publications or talks found (looked in bib/*.bib" in err


def test_sparklines_show_the_trend_in_md_and_html_only(example_project: Path) -> None:
    from pubtrack.bibtex import load_library
    from pubtrack.config import load_config

    with Store.open(example_project / "data" / "pubtrack.db") as store:
        store.sync_library(load_library(load_config()))  # what `pubtrack sync` mirrors
        store.record_citations(
            CitationCount("liu2024modelbalancing", "semantic_scholar", n, day)
            for n, day in [
                (1, "2026-11-01T03:00:00Z"),
                (3, "2026-11-02T03:00:00Z"),
                (8, "2026-11-03T03:00:00Z"),
            ]
        )
    code, plain, err = run()
    assert code == 0, err
    assert "Cited by 8 (Semantic Scholar, 3 Nov 2026)" in plain
    assert not any(ch in plain for ch in "▁▂▃▄▅▆▇█")
    code, md, err = run("--sparklines")
    assert code == 0, err
    [line] = [line for line in md.splitlines() if "Cited by 8" in line]
    trend = line.split("3 Nov 2026)")[1].strip()
    assert len(trend) == 3 and trend[0] == "▁" and trend[-1] == "█", line
    # Only one work has a history of two days or more.
    assert md.count("█") == 1
    assert trend in run("--sparklines", "--format", "html")[1]
    assert "█" not in run("--sparklines", "--format", "tex")[1]


def test_citation_date_month_keeps_a_nightly_page_stable(example_project: Path) -> None:
    toml = example_project / "pubtrack.toml"
    with Store.open(example_project / "data" / "pubtrack.db") as store:
        store.record_citations(
            [CitationCount("liu2024modelbalancing", "semantic_scholar", 5, "2026-11-03T03:00:00Z")]
        )
    before = run()[1]
    assert "Cited by 5 (Semantic Scholar, 3 Nov 2026)" in before
    toml.write_text(toml.read_text() + '\n[render]\ncitation_date = "month"\n')
    first = run()[1]
    assert "Cited by 5 (Semantic Scholar, Nov 2026)" in first
    with Store.open(example_project / "data" / "pubtrack.db") as store:
        # The next night: same count, fetched again.
        store.record_citations(
            [CitationCount("liu2024modelbalancing", "semantic_scholar", 5, "2026-11-04T03:00:00Z")]
        )
    assert run()[1] == first
    toml.write_text(toml.read_text().replace('"month"', '"week"'))
    code, _, err = run()
    assert code == 2 and "[render] citation_date: 'week' is not one of day, month" in err


def _including_template(project: Path) -> tuple[Any, Path, Any]:
    """(config, the included template, render options) for a user template that
    includes another one, in a project with a database."""
    from pubtrack.config import load_config
    from pubtrack.render import RenderOptions

    config = load_config()
    Store.open(config.database_path).close()
    templates = project / "templates"
    templates.mkdir()
    (templates / "cv.md.j2").write_text("{% include 'part.md.j2' %}\n", encoding="utf-8")
    part = templates / "part.md.j2"
    part.write_text("first {{ publications|length }}", encoding="utf-8")
    return config, part, RenderOptions(format="md", template=templates / "cv.md.j2")


def test_output_cache_follows_included_templates_and_no_cache(
    fake_reader: Library, example_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing a template that the user's template includes renders afresh; with
    PUBTRACK_NO_CACHE=1 nothing is read from or written to the output cache."""
    from pubtrack.render import render_project

    config, part, options = _including_template(example_project)

    assert render_project(config, options).text.startswith("first 2")
    part.write_text("second {{ publications|length }}", encoding="utf-8")
    assert render_project(config, options).text.startswith("second 2")

    cache_dir = config.cache_dir / "render"
    before = sorted(p.name for p in cache_dir.iterdir())
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    for entry in cache_dir.iterdir():  # a stale entry that must not be served
        entry.write_text("stale", encoding="utf-8")
    part.write_text("third {{ publications|length }}", encoding="utf-8")
    assert render_project(config, options).text.startswith("third 2")
    part.write_text("second {{ publications|length }}", encoding="utf-8")
    assert render_project(config, options).text.startswith("second 2")
    assert sorted(p.name for p in cache_dir.iterdir()) == before


def test_output_cache_sees_an_edit_that_keeps_size_and_mtime(example_project: Path) -> None:
    """The key is made of the templates' contents: an included template rewritten
    with the same size and its mtime put back renders the new text (and a later
    render is served that new text from the cache)."""
    from pubtrack.render import render_project

    config, part, options = _including_template(example_project)
    assert render_project(config, options).text.startswith("first ")
    assert render_project(config, options).library is None  # now served from the cache

    before = part.stat()
    part.write_text("fifth {{ publications|length }}", encoding="utf-8")
    os.utime(part, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = part.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    fresh = render_project(config, options)
    assert fresh.text.startswith("fifth ") and fresh.library is not None
    again = render_project(config, options)
    assert again.library is None and again.text == fresh.text


def test_the_template_stamp_is_the_folders_contents(tmp_path: Path) -> None:
    from pubtrack.render.cache import template_stamp

    (tmp_path / "sub").mkdir()
    (tmp_path / "cv.md.j2").write_text("{% include 'sub/part.j2' %}", encoding="utf-8")
    part = tmp_path / "sub" / "part.j2"
    part.write_text("abc", encoding="utf-8")
    first = template_stamp(tmp_path)
    assert first is not None
    os.utime(part, ns=(1, 2))  # touched, same bytes: the same key
    assert template_stamp(tmp_path) == first
    part.write_text("abd", encoding="utf-8")
    os.utime(part, ns=(1, 2))  # same size and time, other bytes: another key
    assert template_stamp(tmp_path) not in (None, first)
    part.write_text("abc", encoding="utf-8")
    assert template_stamp(tmp_path) == first
    (tmp_path / "sub" / "new.j2").write_text("", encoding="utf-8")
    assert template_stamp(tmp_path) != first


def test_a_template_folder_too_large_to_read_is_not_cached(
    fake_reader: Library, example_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template kept in a big folder (the project root, say): reading it all for
    every key would cost more than the render, so the render is simply not cached."""
    from pubtrack.config import load_config
    from pubtrack.render import RenderOptions, cache, render_project

    config = load_config()
    Store.open(config.database_path).close()
    (example_project / "cv.md.j2").write_text("n={{ publications|length }}\n", encoding="utf-8")
    monkeypatch.setattr(cache, "TEMPLATE_DIR_MAX_FILES", 3)  # the root holds more files
    options = RenderOptions(format="md", template=example_project / "cv.md.j2")
    assert cache.template_stamp(example_project) is None
    for _ in range(2):
        result = render_project(config, options)
        assert result.text == "n=2\n" and result.library is not None  # rendered each time
    render_dir = config.cache_dir / "render"
    assert not render_dir.exists() or not any(render_dir.iterdir())


def test_an_unchanged_render_is_served_without_parsing_the_bib(
    example_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output cache is looked up with the bib files' fingerprint and the database's
    counts before the bib is parsed; the bib's warnings are said again from the entry."""
    import pubtrack.bibtex
    from pubtrack.config import load_config
    from pubtrack.render import RenderOptions, render_project

    bib = example_project / "bib" / "publications.bib"
    bib.write_text(bib.read_text() + "\n@misc{nokey_year,\n  title = {T},\n  year = {soon},\n}\n")
    config = load_config()
    Store.open(config.database_path).close()
    calls: list[int] = []
    real = pubtrack.bibtex.load_library

    def counting(cfg):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(cfg)

    monkeypatch.setattr(pubtrack.bibtex, "load_library", counting)
    said: list[str] = []
    first = render_project(config, RenderOptions(format="md"), warn=said.append)
    assert len(calls) == 1 and first.library is not None
    assert any("year 'soon' is not understood" in w for w in said)
    again: list[str] = []
    second = render_project(config, RenderOptions(format="md"), warn=again.append)
    assert len(calls) == 1  # served from the cache: not parsed
    assert second.library is None and second.text == first.text and again == said
    # New counts, or a changed bib, render afresh.
    with Store.open(config.database_path) as store:
        store.record_citations(
            [CitationCount("du2022ensemblemot", "semantic_scholar", 7, "2026-11-28T03:00:00Z")]
        )
    third = render_project(config, RenderOptions(format="md"))
    assert len(calls) == 2 and "Cited by 7" in third.text
    bib.write_text(bib.read_text().replace("{soon}", "{2020}"))
    render_project(config, RenderOptions(format="md"), warn=(fresh := []).append)
    assert len(calls) == 3 and not any("soon" in w for w in fresh)
    # --strict always reads the bib (it must see every problem).
    render_project(config, RenderOptions(format="md", strict=True))
    assert len(calls) == 4
