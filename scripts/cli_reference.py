"""Write the README's command reference from `pubtrack --help` and each command's --help.

The reference lives between ``<!-- cli-reference -->`` and
``<!-- /cli-reference -->`` in README.md, so it cannot drift from the code:

    python scripts/cli_reference.py           # rewrite the section
    python scripts/cli_reference.py --check   # exit 1 if it is out of date (CI)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from pubtrack.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- cli-reference -->"
END = "<!-- /cli-reference -->"
WIDTH = 88  # fixed, so the text does not depend on the terminal it is run in


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(
        cli, [*args, "--help"], prog_name="pubtrack", terminal_width=WIDTH, color=False
    )
    if result.exit_code != 0:
        raise SystemExit(f"pubtrack {' '.join(args)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def reference() -> str:
    """The Markdown between the markers: the group's help, then each command's."""
    parts = [
        "",
        "Generated from `--help` by `scripts/cli_reference.py` (CI checks it is current).",
        "",
        "```text",
        "$ pubtrack --help",
        _help([]).rstrip(),
        "```",
    ]
    assert isinstance(cli, click.Group)
    for name in sorted(cli.list_commands(click.Context(cli))):
        parts += ["", f"#### `pubtrack {name}`", "", "```text", _help([name]).rstrip(), "```"]
    return "\n".join(parts) + "\n"


def updated(text: str) -> str:
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{README}: no {BEGIN} … {END} section")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return head + BEGIN + "\n" + reference() + END + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if args.check:
        if new != text:
            print(
                "README.md: the command reference is out of date; "
                "run python scripts/cli_reference.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: command reference updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
