"""`pubtrack sync` through the command line (in-process), with in-test fake sources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

import pubtrack.sync.run
from pubtrack.cli import cli
from pubtrack.db import Store
from pubtrack.errors import SourceError
from pubtrack.sources.base import Source, SourceResult, WorkRef


class CountingSource(Source):
    """Answers every id with a count from ``counts``; ``broken`` makes it fail."""

    name = "semantic_scholar"
    label = "Fake"
    batch_size = 500
    counts: ClassVar[dict[str, int]] = {}
    broken: ClassVar[bool] = False
    calls: ClassVar[int] = 0

    def lookup_id(self, work: WorkRef) -> str | None:
        return work.ids.arxiv or work.ids.doi

    def fetch_batch(self, works: list[WorkRef]) -> list[SourceResult]:
        type(self).calls += 1
        sent = self.http.requests_sent
        sent[self.name] = sent.get(self.name, 0) + 1
        if self.broken:
            raise SourceError(f"{self.name}: HTTP 503 Service Unavailable after 5 attempts")
        return [
            SourceResult(w.key, "found", citation_count=self.counts.get(w.key, 1)) for w in works
        ]


class OtherSource(CountingSource):
    name = "crossref"
    counts: ClassVar[dict[str, int]] = {}
    broken: ClassVar[bool] = False
    calls: ClassVar[int] = 0

    def lookup_id(self, work: WorkRef) -> str | None:
        return work.ids.doi


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch, example_project: Path) -> Path:
    for cls in (CountingSource, OtherSource):
        cls.counts, cls.broken, cls.calls = {}, False, 0
    monkeypatch.setattr(
        pubtrack.sync.run,
        "available_sources",
        lambda: {"semantic_scholar": CountingSource, "crossref": OtherSource},
    )
    config = example_project / "pubtrack.toml"
    text = config.read_text().replace(
        'sources = ["semantic_scholar", "arxiv", "crossref", "openalex"]',
        'sources = ["semantic_scholar", "crossref"]',
    )
    config.write_text(text)
    return example_project


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["sync", *args])
    return result.exit_code, result.stdout, result.stderr


def test_sync_prints_log_lines_and_a_summary(fakes: Path) -> None:
    CountingSource.counts = {"liu2024modelbalancing": 14, "du2022ensemblemot": 3}
    code, out, err = run()
    assert code == 0, err
    assert "Syncing 2 works from semantic_scholar, crossref" in err
    assert "semantic_scholar: 2 works, 1 request, 2 found" in err  # not a TTY: log lines
    assert "crossref: 1 work, 1 request, 1 found" in err
    assert out.splitlines()[0] == "Updated 2 works."
    assert "now 14 (first count)" in out
    assert out.splitlines()[-1].startswith("Done in ")
    assert "0 unresolved, 0 failures." in out

    CountingSource.counts = {"liu2024modelbalancing": 16, "du2022ensemblemot": 3}
    code, out, _ = run("--all", "--source", "semantic_scholar")
    assert code == 0
    assert "+2 (now 16)" in out and "1 no change" in out
    with Store.open(fakes / "data" / "pubtrack.db") as store:
        history = store.citation_history("liu2024modelbalancing")
        assert [(h["source"], h["count"]) for h in history] == [
            ("crossref", 1),
            ("semantic_scholar", 14),
            ("semantic_scholar", 16),
        ]


def test_resync_right_after_sends_nothing(fakes: Path) -> None:
    assert run()[0] == 0
    calls = CountingSource.calls
    code, out, err = run()
    assert code == 0 and CountingSource.calls == calls
    assert "semantic_scholar: 0 works, 0 requests" in err
    assert out.startswith("Nothing to fetch: every work is fresh")


def test_a_failed_source_exits_3_and_keeps_the_rest(fakes: Path) -> None:
    assert run()[0] == 0
    CountingSource.broken = True
    code, out, err = run("--all", "--quiet")
    assert code == 3
    assert "Failed: semantic_scholar: HTTP 503" in out
    assert "2 works kept their earlier values" in out
    assert err == ""  # --quiet: no progress lines
    with Store.open(fakes / "data" / "pubtrack.db") as store:
        latest = store.latest_citations()
        assert latest["du2022ensemblemot"]["semantic_scholar"].count == 1
        run_row = store.sync_runs()[0]
        assert run_row["status"] == "partial" and "503" in run_row["errors"]


def test_dry_run_lists_due_works_and_writes_nothing(fakes: Path) -> None:
    code, out, _ = run("--dry-run")
    assert code == 0
    assert "semantic_scholar  2 works due, 1 request: liu2024modelbalancing, du2022ensemblemot" in (
        out
    )
    assert "crossref          1 work due, 1 request: liu2024modelbalancing" in out
    assert not (fakes / "data" / "pubtrack.db").exists()
    assert CountingSource.calls == 0


def test_bad_flags_exit_2(fakes: Path) -> None:
    code, _, err = run("--source", "nonsense")
    assert code == 2
    assert "Error: unknown source 'nonsense' (known: semantic_scholar, arxiv" in err
    code, _, err = run("--max-age", "soon")
    assert code == 2 and "invalid duration 'soon'" in err


def test_a_second_sync_exits_1_while_the_lock_is_held(fakes: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pubtrack.lock import ProjectLock; l = ProjectLock(sys.argv[1]);"
            " l.acquire(); print('locked', flush=True); sys.stdin.readline()",
            str(fakes / "data" / ".lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, out, err = run("--wait", "0.2")
        assert code == 1
        assert f"Error: another pubtrack sync is running (pid {holder.pid}, started " in err
        assert "waited 0.2 s" in err
        assert CountingSource.calls == 0
        code, _, err = run("--no-wait")
        assert code == 1 and "waited 0 s" in err
    finally:
        holder.kill()
        holder.wait()
    assert run("--no-wait")[0] == 0  # the dead holder's lock is gone


def test_help_lists_the_flags() -> None:
    result = CliRunner().invoke(cli, ["sync", "--help"])
    for flag in ("--source", "--all", "--max-age", "--dry-run", "--wait", "--no-wait", "--quiet"):
        assert flag in result.output
