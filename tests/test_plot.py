"""`pubtrack plot` writes a real image (matplotlib, Agg)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli

pytest.importorskip("matplotlib")


@pytest.mark.parametrize(
    ("name", "magic"), [("plot.png", b"\x89PNG\r\n\x1a\n"), ("plot.svg", b"<")]
)
def test_plot_writes_image(stats_project: Path, name: str, magic: bytes) -> None:
    result = CliRunner().invoke(cli, ["plot", "--output", f"out/{name}", "--top", "2"])
    assert result.exit_code == 0, result.output
    data = (stats_project / "out" / name).read_bytes()
    assert data.startswith(magic)
    assert len(data) > 10_000
    if name.endswith(".svg"):
        text = data.decode()
        assert "<svg" in text and text.rstrip().endswith("</svg>")


def test_plot_svg_mentions_sources_and_papers(stats_project: Path) -> None:
    # text as paths by default; ask matplotlib to keep text as text to check labels
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        result = CliRunner().invoke(cli, ["plot", "-o", "p.svg", "--top", "1"])
    assert result.exit_code == 0, result.output
    text = (stats_project / "p.svg").read_text()
    for label in ("Citations per year", "semantic_scholar (total)", "Alpha: Learning Things"):
        assert label in text
    assert "Beta Networks" not in text  # --top 1


def test_plot_one_source(stats_project: Path) -> None:
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        result = CliRunner().invoke(cli, ["plot", "-o", "p.svg", "--source", "crossref"])
    assert result.exit_code == 0, result.output
    text = (stats_project / "p.svg").read_text()
    assert "crossref (total)" in text and "semantic_scholar" not in text


def test_plot_bad_suffix(stats_project: Path) -> None:
    result = CliRunner().invoke(cli, ["plot", "-o", "p.gif"])
    assert result.exit_code == 2
    assert "Error: p.gif: the plot is written as .svg or .png" in result.output


def test_plot_without_matplotlib(stats_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import fails as if not installed
    result = CliRunner().invoke(cli, ["plot", "-o", "p.png"])
    assert result.exit_code == 2
    assert "pip install 'pubtrack[plot]'" in result.output
    assert not (stats_project / "p.png").exists()
