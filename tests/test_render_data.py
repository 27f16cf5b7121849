"""Data files for site generators: al-folio's citations.yml and the JSON data file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.db import Store
from pubtrack.models import CitationCount
from pubtrack.render.data import read_alfolio_counts
from pubtrack.testing.demo import make_demo_project


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_demo_project(tmp_path / "site")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    monkeypatch.setenv("PUBTRACK_NOW", "2026-12-01T03:00:00Z")
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["render", *args])
    return result.exit_code, result.output


def _scholar_user(root: Path, user: str = "USER123") -> None:
    config = root / "pubtrack.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[owner]\n", f'[owner]\ngoogle_scholar_id = "{user}"\n'), encoding="utf-8"
    )


def test_alfolio_yaml_has_al_folios_shape(demo: Path) -> None:
    _scholar_user(demo)
    code, out = run("--format", "alfolio", "--output", "_data/citations.yml")
    assert code == 0, out
    text = (demo / "_data" / "citations.yml").read_text(encoding="utf-8")
    assert 'metadata:\n  last_updated: "2026-12-01"\n' in text
    # Keyed as al-folio's bib layout looks counts up: <scholar_userid>:<google_scholar_id>.
    assert (
        'papers:\n  "USER123:AbCdEf12345":\n    citations: 52\n'
        '    title: "Analytical Engines as General Computers"\n    year: "2025"\n'
        '    source: "semantic_scholar"\n' in text
    )
    assert read_alfolio_counts(demo / "_data" / "citations.yml") == {"USER123:AbCdEf12345": 52}


def test_alfolio_never_writes_zero_over_a_known_count(demo: Path) -> None:
    target = demo / "_data" / "citations.yml"
    target.parent.mkdir()
    # What al-folio's own updater wrote (yaml.dump layout), with a paper pubtrack
    # cannot count and a higher count for ours.
    target.write_text(
        "metadata:\n  last_updated: '2026-11-01'\npapers:\n"
        "  AbCdEf12345:\n    citations: 60\n    title: Analytical Engines\n    year: '2025'\n"
        "  'ZZZ:other':\n    citations: 7\n    title: Something else\n    year: '2019'\n",
        encoding="utf-8",
    )
    with Store.open(demo / "data" / "pubtrack.db") as store:
        store.record_citations(
            [CitationCount("lovelace2025engines", "semantic_scholar", 0, "2026-11-30T03:00:00Z")]
        )
    code, out = run("--format", "alfolio", "--output", str(target))
    assert code == 0, out
    counts = read_alfolio_counts(target)
    assert counts == {"AbCdEf12345": 60, "ZZZ:other": 7}


def test_alfolio_unchanged_counts_leave_the_file_alone(demo: Path) -> None:
    target = demo / "_data" / "citations.yml"
    assert run("--format", "alfolio", "--output", str(target))[0] == 0
    before = target.read_bytes()
    result = CliRunner().invoke(
        cli,
        ["render", "--format", "alfolio", "--output", str(target)],
        env={"PUBTRACK_NOW": "2026-12-02T03:00:00Z"},
    )
    assert result.exit_code == 0
    assert "unchanged" in result.output
    assert target.read_bytes() == before  # a new day alone is no change


def test_alfolio_without_a_database_is_still_valid(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = make_demo_project(tmp_path / "s", history=False)
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    code, out = run("--format", "alfolio")
    assert code == 0
    assert out.rstrip().endswith("papers: {}")


def test_json_data_file_written_only_on_change(demo: Path) -> None:
    target = demo / "_data" / "publications.json"
    code, out = run("--format", "json", "--output", str(target))
    assert code == 0 and "Wrote" in out
    data = json.loads(target.read_text(encoding="utf-8"))
    engines = next(p for p in data["publications"] if p["key"] == "lovelace2025engines")
    assert engines["citations"]["semantic_scholar"] == {
        "count": 52,
        "as_of": "2026-11-29T03:00:00Z",
    }
    mtime = target.stat().st_mtime_ns
    code, out = run("--format", "json", "--output", str(target))
    assert code == 0 and "unchanged" in out  # a new generated_at alone is no change
    assert target.stat().st_mtime_ns == mtime
    with Store.open(demo / "data" / "pubtrack.db") as store:
        store.record_citations(
            [CitationCount("lovelace2025engines", "semantic_scholar", 53, "2026-11-30T03:00:00Z")]
        )
    code, out = run("--format", "json", "--output", str(target))
    assert "Wrote" in out
    assert not list(target.parent.glob(".*tmp*"))  # atomic: no temp file left


def test_scholar_meta_tags_available_to_templates(demo: Path) -> None:
    template = demo / "meta.html.j2"
    template.write_text(
        "{% for p in publications %}{% for name, value in p.meta.items() %}"
        "{% for v in (value if value is not string else [value]) %}"
        '<meta name="{{ name }}" content="{{ v }}">\n'
        "{% endfor %}{% endfor %}{% endfor %}",
        encoding="utf-8",
    )
    code, out = run("--format", "html", "--template", str(template))
    assert code == 0, out
    assert '<meta name="citation_title" content="Analytical Engines as General Computers">' in out
    assert '<meta name="citation_author" content="Charles Babbage">' in out
    assert '<meta name="citation_publication_date" content="2025">' in out
    assert '<meta name="citation_pdf_url" content="https://example.org/thesis.pdf">' in out
    assert '<meta name="citation_pdf_url" content="https://arxiv.org/pdf/2501.00001">' in out
    assert re.search(r'citation_journal_title" content="Journal of Computing Machinery"', out)
