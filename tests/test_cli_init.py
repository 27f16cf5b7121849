from pathlib import Path

from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.config import load_config


def test_init_creates_project_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    root = tmp_path / "new"
    for rel in ("pubtrack.toml", "bib/publications.bib", "bib/talks.bib"):
        assert (root / rel).is_file(), rel
    assert (root / "data").is_dir()
    config = load_config(root / "pubtrack.toml")
    assert config.database_path == root.resolve() / "data" / "pubtrack.db"
    assert [p.name for p in config.publication_files()] == ["publications.bib"]


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "pubtrack.toml").write_text("# mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert (tmp_path / "pubtrack.toml").read_text() == "# mine\n"
    assert not (tmp_path / "bib").exists()


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.startswith("pubtrack, version")
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "render" in result.output and "sync" in result.output
