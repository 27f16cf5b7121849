"""`pubtrack schedule github|cron|systemd`: the files a nightly job needs, written
into the user's project from templates shipped in the package.

cron and systemd start jobs with a bare environment (PATH=/usr/bin:/bin, no
virtualenv), so the wrapper names the running pubtrack by its absolute path,
and the systemd unit's ExecStart is that wrapper, which this command writes.
Existing files are never overwritten unless ``force``.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from pubtrack.errors import BadInputError
from pubtrack.util import write_atomic

KINDS = ("github", "cron", "systemd")
# The repository the composite action lives in (`uses: OWNER/REPO@v1`).
DEFAULT_ACTION = "pubtrack/pubtrack@v1"
SCRIPT_NAME = "pubtrack-nightly.sh"
UNIT_NAME = "pubtrack-nightly"


@dataclass
class ScheduleOptions:
    kind: str
    inject: list[str] = field(default_factory=lambda: ["README.md"])
    time: str = "03:17"  # UTC for GitHub; local time for cron and systemd
    directory: str = "schedule"  # where the cron/systemd files go, inside the project
    action: str = DEFAULT_ACTION
    history_file: str = "data/citations.csv"
    push: bool = False  # cron/systemd: commit and push what changed
    force: bool = False


@dataclass
class ScheduleResult:
    written: list[Path]
    next_steps: list[str]


def template(name: str) -> str:
    return (resources.files("pubtrack") / "schedule_templates" / name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if "@@" in text:
        raise AssertionError(f"unfilled placeholder in a schedule template: {text!r}")
    return text


def running_pubtrack() -> list[str]:
    """The command that runs this very pubtrack, absolute: its console script when it
    was started as one, else this interpreter with ``-m pubtrack``."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name == "pubtrack":
        resolved = Path(sys.argv[0]).absolute()
        if resolved.is_file():
            return [str(resolved)]
    script = Path(sys.executable).parent / "pubtrack"
    if script.is_file():
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "pubtrack"]


def _time(value: str) -> tuple[int, int]:
    try:
        hour, minute = (int(x) for x in value.split(":"))
    except ValueError:
        raise BadInputError(f"--time {value!r}: use HH:MM (e.g. 03:17)") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise BadInputError(f"--time {value!r}: use HH:MM (e.g. 03:17)")
    return hour, minute


def _unit_path(path: Path, *, command: bool = False) -> str:
    """A path for a unit file, % doubled (a specifier); a command line (ExecStart) is
    quoted when it has spaces, a plain path setting takes the rest of the line as is."""
    text = str(path).replace("%", "%%")
    if command and (" " in text or '"' in text or "\\" in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _write(path: Path, text: str, force: bool, mode: int = 0o644) -> Path:
    if path.exists() and not force:
        raise BadInputError(f"{path} already exists; pass --force to replace it")
    write_atomic(path, text, make_parents=True)
    path.chmod(mode)
    return path


def _check_inject(root: Path, inject: list[str]) -> None:
    for name in inject:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BadInputError(f"--inject {name}: give a path inside the project")


def write_schedule(root: Path, options: ScheduleOptions) -> ScheduleResult:
    """Write the files for ``options.kind`` into the project at ``root``."""
    if options.kind not in KINDS:
        raise BadInputError(f"unknown schedule {options.kind!r} (choose from {', '.join(KINDS)})")
    root = root.absolute()
    _check_inject(root, options.inject)
    hour, minute = _time(options.time)
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    if options.kind == "github":
        return _github(root, options, hour, minute)
    script = root / options.directory / SCRIPT_NAME
    env_file = Path("~/.config/pubtrack/env").expanduser()
    renders = "\n".join(
        f"if [ -f {shlex.quote(name)} ]; then\n"
        f"    render_into {shlex.quote(name)}\n"
        "    case $? in\n"
        f"        0) ;;\n        4) stage {shlex.quote(name)} ;;\n"
        '        *) echo "pubtrack render failed; nothing committed" >&2; exit 2 ;;\n'
        "    esac\nfi"
        for name in options.inject
    )
    if options.history_file:
        renders += f"\nstage {shlex.quote(options.history_file)}"
    sync_args = (
        f" --history-file {shlex.quote(options.history_file)}" if options.history_file else ""
    )
    text = _fill(
        template("nightly.sh"),
        {
            "KIND": options.kind,
            "DATE": today,
            "PROJECT_TEXT": str(root),
            "ENV_FILE_TEXT": str(env_file),
            "PUBTRACK": shlex.join(running_pubtrack()),
            "PYTHON": shlex.quote(str(Path(sys.executable).absolute())),
            "PROJECT": shlex.quote(str(root)),
            "ENV_FILE": shlex.quote(str(env_file)),
            "PUSH": "1" if options.push else "0",
            "SYNC_ARGS": sync_args,
            "RENDERS": renders,
        },
    )
    written = [_write(script, text, options.force, 0o755)]
    if options.kind == "cron":
        log = root / "data" / "pubtrack-nightly.log"
        line = f"{minute} {hour} * * * {shlex.quote(str(script))} >> {shlex.quote(str(log))} 2>&1"
        steps = [
            "Add this line to your crontab (`crontab -e`), or run the command below it:",
            f"  {line}",
            f"  (crontab -l 2>/dev/null; echo {shlex.quote(line)}) | crontab -",
            f"Test it once now: {shlex.quote(str(script))}",
            _key_file_hint(env_file),
        ]
        if not options.push:
            steps.append("To commit and push what changed, set PUBTRACK_GIT_PUSH=1 in that file.")
        return ScheduleResult(written, steps)
    values = {
        "NAME": UNIT_NAME,
        "DATE": today,
        "UNIT_DIR_TEXT": str(script.parent),
        "PROJECT_TEXT": str(root),
        "PROJECT_UNIT": _unit_path(root),
        "ENV_FILE_UNIT": _unit_path(env_file),
        "SCRIPT_UNIT": _unit_path(script, command=True),
        "TIME": f"{hour:02d}:{minute:02d}",
    }
    service = script.parent / f"{UNIT_NAME}.service"
    timer = script.parent / f"{UNIT_NAME}.timer"
    written.append(_write(service, _fill(template("nightly.service"), values), options.force))
    written.append(_write(timer, _fill(template("nightly.timer"), values), options.force))
    steps = [
        "Install and start the timer (a user unit: no root needed):",
        f"  systemctl --user link {shlex.quote(str(service))}",
        f"  systemctl --user enable --now {shlex.quote(str(timer))}",
        '  loginctl enable-linger "$USER"   # run also when you are not logged in',
        f"Run once now: systemctl --user start {UNIT_NAME}; "
        f"its log: journalctl --user -u {UNIT_NAME}",
        _key_file_hint(env_file),
    ]
    return ScheduleResult(written, steps)


def action_input(env: str) -> str:
    """The Action's input for a built-in API's key: action.yml declares one for each
    (S2_API_KEY -> s2-api-key). A plugin's key has none: it goes through ``env:``."""
    return env.lower().replace("_", "-")


def _key_file_hint(env_file: Path) -> str:
    """Where the nightly wrapper reads API keys from, naming every registered key."""
    from pubtrack.sources.registry import secret_envs

    keys = " and ".join(f"{env}=..." for env in secret_envs())
    return f"API keys (optional): {env_file} with {keys} (chmod 600)."


def _github(root: Path, options: ScheduleOptions, hour: int, minute: int) -> ScheduleResult:
    from pubtrack.sources.registry import secret_envs

    with_lines = [f"          inject: {' '.join(options.inject)}"]
    if options.history_file:
        with_lines.append(f"          history-file: {options.history_file}")
    # The registered APIs' keys, as repository secrets: built-ins through the Action's
    # inputs, a plugin's in the step's environment (composite actions inherit it).
    with_lines += [
        f"          {action_input(env)}: ${{{{ secrets.{env} }}}}"
        for env in secret_envs(builtin=True)
    ]
    plugin_keys = secret_envs(builtin=False)
    if plugin_keys:
        with_lines.append("        env:")
        with_lines += [f"          {env}: ${{{{ secrets.{env} }}}}" for env in plugin_keys]
    text = _fill(
        template("workflow.yml"),
        {
            "CRON": f"{minute} {hour} * * *",
            "ACTION": options.action,
            "WITH": "\n".join(with_lines),
            "SECRETS": ", ".join(secret_envs()),
        },
    )
    path = root / ".github" / "workflows" / "pubtrack.yml"
    written = [_write(path, text, options.force)]
    steps = [
        f"Commit {path.relative_to(root)} and push; it runs every night at "
        f"{hour:02d}:{minute:02d} UTC (and from the Actions tab: Run workflow).",
        f"Optional repository secrets: {', '.join(secret_envs())} "
        "(Settings > Secrets and variables > Actions).",
        f"Check that `uses: {options.action}` names the pubtrack repository and tag you use.",
        "Settings > Actions > General > Workflow permissions: allow read and write, "
        "so the job can push.",
    ]
    return ScheduleResult(written, steps)


# ---------------------------------------------------------------------------
# Guard for scheduled jobs: a render must never empty a region that had content
# (a broken or missing bib would otherwise wipe the published list).
# ---------------------------------------------------------------------------


def emptied_regions(before: str, after: str, path: Path) -> list[str]:
    """Names of the regions that had content in ``before`` and have none in ``after``."""
    from pubtrack.errors import InjectError
    from pubtrack.render.inject import find_regions, format_for

    fmt = format_for(path, None)
    try:
        old = find_regions(before, path, fmt)
        new = find_regions(after, path, fmt)
    except InjectError:
        return []
    emptied = []
    for a, b in zip(old, new, strict=False):
        if before[a.start : a.end].strip() and not after[b.start : b.end].strip():
            emptied.append(a.section)
    return emptied


def main(argv: list[str] | None = None) -> int:
    """``python -m pubtrack.schedule guard BEFORE AFTER``: exit 1 (and say which
    region) when rendering emptied a region of AFTER that BEFORE had filled."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] != "guard":
        print("usage: python -m pubtrack.schedule guard BEFORE AFTER", file=sys.stderr)
        return 2
    before, after = Path(args[1]), Path(args[2])
    names = emptied_regions(
        before.read_text(encoding="utf-8"), after.read_text(encoding="utf-8"), after
    )
    if names:
        print(
            f"{after}: rendering would empty pubtrack:{', pubtrack:'.join(names)}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
