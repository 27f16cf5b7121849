"""Typed pubtrack.toml: unknown settings warned with a suggestion, `init` writes every
setting commented, README snippets paste into it, plugin settings are checked too."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.config import (
    SECTIONS,
    Config,
    SourceSettings,
    commented_config,
    config_from_toml,
    load_config,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    assert CliRunner().invoke(cli, ["init", "."]).exit_code == 0
    return tmp_path


def test_sections_are_typed_and_nothing_keeps_the_raw_table(tmp_path: Path) -> None:
    path = tmp_path / "pubtrack.toml"
    path.write_text(
        '[owner]\nname = "Ada"\naliases = "A. L."\n[sync]\nmax_age = "2d"\n'
        "[sync.arxiv]\nbatch_size = 50\n[render]\nmax_authors = 3\n"
        '[add]\nabbr = { "Neural Information Processing Systems" = "NeurIPS" }\n'
    )
    config = load_config(path)
    assert config.owner.aliases == ["A. L."]
    assert config.sync.max_age == 2 * 86400
    assert config.sync.source("arxiv").batch_size == 50
    assert config.sync.source("crossref") == SourceSettings()
    assert config.render.max_authors == 3
    assert config.add.abbr == {"Neural Information Processing Systems": "NeurIPS"}
    assert not hasattr(config, "raw")
    assert config.warnings == []


def test_unknown_keys_and_sections_are_warnings_with_a_suggestion(project: Path) -> None:
    toml = project / "pubtrack.toml"
    toml.write_text(
        toml.read_text() + '\n[render]\nstlye = "compact"\n\n[synk]\nmax_age = "1d"\n'
        "\n[sync.arxive]\nbatch_size = 5\n"
    )
    result = CliRunner().invoke(cli, ["render", "--format", "md"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if "pubtrack.toml" in ln]
    assert any(
        re.match(r"Warning: pubtrack\.toml:\d+: \[render\] stlye: unknown setting", ln)
        and "(did you mean style?)" in ln
        for ln in lines
    ), lines
    assert any("[synk] unknown section" in ln and "did you mean sync?" in ln for ln in lines)
    assert any("[sync.arxive] no such source" in ln and "did you mean arxiv?" in ln for ln in lines)
    # check lists them with the other problems (and so exits 2), without printing twice.
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 2
    listed = [ln for ln in result.stdout.splitlines() if ln.startswith("pubtrack.toml:")]
    assert len(listed) == 3 and "Warning:" not in result.stderr
    [stlye] = [ln for ln in listed if "stlye" in ln]
    line = int(stlye.split(":")[1])
    assert toml.read_text().splitlines()[line - 1].startswith("stlye")


def test_init_writes_every_setting_commented_with_its_default(project: Path) -> None:
    text = (project / "pubtrack.toml").read_text()
    assert text == commented_config()
    for name, cls in SECTIONS.items():
        header = f"[{name}]" if name == "owner" else f"# [{name}]"
        assert header in text.splitlines(), name
        for f in fields(cls):
            if not f.metadata.get("table"):
                assert re.search(rf"^#? ?{f.name} = ", text, re.M), (name, f.name)
    # Uncommenting everything gives the defaults (the values shown are the defaults).
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
        for line in text.splitlines()
        if not line.startswith("#   ")
    )
    data = tomllib.loads(uncommented)
    config = config_from_toml(data, project / "pubtrack.toml", uncommented)
    default = Config(root=config.root, path=config.path)
    assert config.warnings == []
    assert config.bib == default.bib and config.database == default.database
    assert config.render.max_authors == default.render.max_authors
    assert config.sync.max_age == default.sync.max_age
    assert config.sync.enabled() == default.sync.enabled()


def _readme_toml_snippets() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    snippets = re.findall(r"```toml\n(.*?)```", readme, re.S)
    return [s for s in snippets if "[project" not in s]  # a plugin's pyproject.toml


def test_readme_snippets_paste_into_the_init_file(project: Path) -> None:
    snippets = _readme_toml_snippets()
    assert len(snippets) >= 3
    toml = project / "pubtrack.toml"
    base = toml.read_text()
    for snippet in snippets:
        toml.write_text(base + "\n" + snippet)
        tomllib.loads(toml.read_text())  # no duplicate table
        config = load_config(toml)
        assert config.warnings == [], (snippet, config.warnings)
    # All of them at once, too.
    toml.write_text(base + "\n" + "\n".join(snippets))
    assert load_config(toml).warnings == []


def test_a_key_written_twice_is_a_toml_error_with_its_line(project: Path) -> None:
    toml = project / "pubtrack.toml"
    toml.write_text(toml.read_text() + '\n[render]\nstyle = "compact"\nmax_authors = 2.5\n')
    result = CliRunner().invoke(cli, ["render"])
    assert result.exit_code == 2
    line = int(re.search(r"pubtrack\.toml:(\d+): \[render\] max_authors", result.output)[1])
    assert toml.read_text().splitlines()[line - 1] == "max_authors = 2.5"
    assert "expected a whole number, not 2.5" in result.output
