"""The README's command reference is the CLI's own --help (scripts/cli_reference.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", REPO / "scripts" / "cli_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_command_reference_is_current() -> None:
    script = _script()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert script.updated(text) == text, "run: python scripts/cli_reference.py"


def test_reference_covers_every_command_and_its_options() -> None:
    script = _script()
    generated = script.reference()
    for name in script.cli.list_commands(None):
        assert f"#### `pubtrack {name}`" in generated
        assert f"Usage: pubtrack {name} [OPTIONS]" in generated
    assert "--max-age" in generated and "--dry-run" in generated  # sync's options
