"""End to end: the real `pubtrack sync` command, as a subprocess, against the fake APIs.

The fake server (pubtrack.testing.fake_api) runs in this process on 127.0.0.1 with
its rate limits scaled down (``TIME_SCALE``) and pubtrack's intervals and back-off
scaled the same way (``fast_sync_settings``), so the request-count logic is the
real one while the suite stays fast. The keys are dummies: the tests check that
they never show up in output or in the database.
"""

from __future__ import annotations

import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pubtrack.db import Store
from pubtrack.testing.fake_api import (
    FakeApiServer,
    FakePaper,
    fast_sync_settings,
    make_papers,
    write_bib,
)

pytestmark = pytest.mark.slow  # real subprocesses against the fake API server

TIME_SCALE = 0.01
S2_KEY = "e2e-dummy-s2-key-0123"
OPENALEX_KEY = "e2e-dummy-openalex-key-4567"
N_PAPERS = 24


@dataclass
class Project:
    root: Path
    server: FakeApiServer
    papers: list[FakePaper]
    env: dict[str, str]

    @property
    def db_path(self) -> Path:
        return self.root / "data" / "pubtrack.db"

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "pubtrack", "sync", *args],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def sync(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "pubtrack", "sync", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        for secret in (S2_KEY, OPENALEX_KEY):
            assert secret not in result.stdout + result.stderr
        return result

    def latest(self, source: str) -> dict[str, int]:
        with Store.open(self.db_path) as store:
            return {
                key: counts[source].count
                for key, counts in store.latest_citations().items()
                if source in counts
            }

    def history_rows(self) -> int:
        """Checks recorded (one per fetched count, changed or not)."""
        with Store.open(self.db_path) as store:
            return store.observation_rows()

    def crossref_one_by_one(self) -> None:
        """Crossref one DOI per request (batch_size 1): a slow source with many
        requests, for the tests that need a sync to be mid-run for a while."""
        toml = self.root / "pubtrack.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(
            text.replace("[sync.crossref]\n", "[sync.crossref]\nbatch_size = 1\n"), encoding="utf-8"
        )

    def span_rows(self) -> int:
        """Rows of the change-only citations table."""
        with Store.open(self.db_path) as store:
            return store.citation_rows()


def _config(sources: list[str]) -> str:
    listed = ", ".join(f'"{s}"' for s in sources)
    return (
        '[owner]\nname = "Ada Lovelace"\nemail = "e2e@example.org"\n\n'
        '[bib]\npublications = ["bib/*.bib"]\ntalks = []\n\n'
        '[database]\npath = "data/pubtrack.db"\n\n'
        f'[sync]\nsources = [{listed}]\nmax_age = "20h"\nlock_timeout = 30\n\n'
        + fast_sync_settings(TIME_SCALE)
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    papers = make_papers(N_PAPERS, seed=3)
    root = tmp_path / "cv"
    (root / "data").mkdir(parents=True)
    write_bib(papers, root / "bib" / "publications.bib")
    (root / "pubtrack.toml").write_text(
        _config(["semantic_scholar", "arxiv", "crossref", "openalex"]), encoding="utf-8"
    )
    server = FakeApiServer(
        papers, time_scale=TIME_SCALE, s2_api_key=S2_KEY, openalex_api_key=OPENALEX_KEY
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_") and "API_KEY" not in k
    }
    env.update(
        PUBTRACK_CONFIG=str(root / "pubtrack.toml"),
        S2_API_KEY=S2_KEY,
        OPENALEX_API_KEY=OPENALEX_KEY,
        PYTHONWARNINGS="ignore",
    )
    with server:
        env.update(server.env())  # the port is known once the server runs
        yield Project(root, server, papers, env)


def _paced(server: FakeApiServer, api: str) -> bool:
    """No request refused by the server's rate limit came on the heels of the one
    before it. The server measures arrivals and pubtrack spaces departures, so a
    loaded machine may bunch two requests into a 429 (ridden out); a client that
    ignored the limit would send them back to back, well inside half an interval."""
    records = sorted((r for r in server.log if r.api == api), key=lambda r: r.time)
    half = 0.5 * server.intervals[api]
    return all(
        r.time - before.time >= half
        for before, r in zip(records, records[1:], strict=False)
        if r.status == 429 and not r.fault
    )


def _served(server: FakeApiServer, api: str) -> int:
    """Requests to ``api`` not refused by the server's own rate limit."""
    return sum(1 for r in server.log if r.api == api and not (r.status == 429 and not r.fault))


def _with_doi(papers: list[FakePaper]) -> list[FakePaper]:
    return [p for p in papers if p.doi]


def test_full_sync_then_a_no_op_resync(project: Project) -> None:
    result = project.sync()
    assert result.returncode == 0, result.stderr
    # Everything is in the database file itself (the process leaves without
    # teardown: nothing may be left in the write-ahead log for a commit to miss).
    wal = project.root / "data" / "pubtrack.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    papers, server = project.papers, project.server
    # Requests: S2 one batch (+ one title match per entry without ids), arXiv one
    # id_list query (+ a catch-up for an id S2 taught), OpenAlex one OR-filter,
    # Crossref one per DOI (including DOIs learned from arXiv and S2).
    no_ids = [p for p in papers if not p.bib_ids]
    with_arxiv = [p for p in papers if p.arxiv_id and "arxiv" in p.bib_ids]
    # (Requests the server's own rate limit refused, as a loaded machine may bunch
    # two, are retried: counted apart, and checked by _paced.)
    assert _served(server, "semantic_scholar") == 1 + len(no_ids)
    assert _served(server, "arxiv") == math.ceil(len(with_arxiv) / 100) + (1 if no_ids else 0)
    assert _served(server, "openalex") == 1
    assert _served(server, "crossref") == math.ceil(len(_with_doi(papers)) / 50)  # batched
    assert server.count("arxiv", 503) == 0  # one request at a time
    assert all(_paced(server, api) for api in ("semantic_scholar", "openalex", "crossref"))

    s2 = project.latest("semantic_scholar")
    assert s2 == {p.key: p.citation_count for p in papers}
    # A preprint whose bib entry has only the arXiv id is counted by Crossref
    # through the journal DOI that arXiv reported: one work, one count per source.
    assert project.latest("crossref") == {p.key: p.citation_count for p in _with_doi(papers)}
    assert project.latest("openalex") == {p.key: p.citation_count for p in papers}
    assert "Updated 24 works." in result.stdout
    assert "0 unresolved, 0 failures." in result.stdout
    # Not a terminal: one log line per source on stderr.
    assert "semantic_scholar: 24 works, 2 requests, 24 found" in result.stderr

    server.reset_counts()
    again = project.sync()
    assert again.returncode == 0, again.stderr
    assert dict(server.request_counts) == {}
    assert again.stdout.startswith("Nothing to fetch")

    with Store.open(project.db_path) as store:
        runs = store.sync_runs()
        assert [r["status"] for r in runs] == ["ok", "ok"]
        assert '"semantic_scholar": 2' in runs[1]["requests"]
        dump = "\n".join(store.db.iterdump())
    for secret in (S2_KEY, OPENALEX_KEY):
        assert secret not in dump


def test_counts_change_between_runs_and_history_grows(project: Project) -> None:
    assert project.sync().returncode == 0
    rows = project.history_rows()
    spans = project.span_rows()
    target = project.papers[0]
    old = target.citation_count
    project.server.set_citations({target.s2_id: old + 5})  # updates the paper too
    result = project.sync("--all", "--source", "semantic_scholar")
    assert result.returncode == 0, result.stderr
    assert f"+5 (now {old + 5})" in result.stdout
    assert f"{len(project.papers) - 1} no change" in result.stdout
    assert project.history_rows() == rows + len(project.papers)
    assert project.span_rows() == spans + 1  # only the count that moved adds a row
    with Store.open(project.db_path) as store:
        history = [
            h["count"]
            for h in store.citation_history(target.key)
            if h["source"] == "semantic_scholar"
        ]
    assert history == [old, old + 5]


def test_429_bursts_5xx_timeouts_and_bad_bodies_are_ridden_out(project: Project) -> None:
    server = project.server
    server.inject("semantic_scholar", "429", times=3)
    server.inject("arxiv", "status", times=2, status=503)
    server.inject("arxiv", "truncate", times=1)
    server.inject("openalex", "malformed", times=2)
    server.inject("crossref", "slow", times=1, delay=1.5)  # > the 1 s read timeout
    server.inject("crossref", "status", times=2, status=502)
    server.inject("crossref", "truncate", times=1)
    result = project.sync()
    assert result.returncode == 0, result.stdout + result.stderr
    # Exactly the three injected 429s were answered and ridden out. The server's own
    # rate limit may add 429s when a loaded machine bunches requests together: those
    # are not counted here (they are ridden out as well, or the sync would fail).
    injected = [r for r in server.log if r.api == "semantic_scholar" and r.fault == "429"]
    assert [r.status for r in injected] == [429, 429, 429]
    assert server.count("semantic_scholar", 429) >= 3
    assert project.latest("semantic_scholar") == {p.key: p.citation_count for p in project.papers}
    assert project.latest("openalex") == {p.key: p.citation_count for p in project.papers}
    assert len(project.latest("crossref")) == len(_with_doi(project.papers))
    assert "0 failures" in result.stdout


def test_arxiv_error_feed_drops_only_the_bad_id(project: Project) -> None:
    victim = next(p for p in project.papers if p.arxiv_id and "arxiv" in p.bib_ids)
    project.server.inject("arxiv", "error_feed", times=1, bad_id=victim.arxiv_id)
    result = project.sync("--source", "arxiv")
    assert result.returncode == 0, result.stderr
    with Store.open(project.db_path) as store:
        records = store.source_records("arxiv")
    assert records[victim.key]["status"] == "not_found"
    found = [k for k, r in records.items() if r["status"] == "found"]
    assert len(found) == len(records) - 1


def test_a_source_that_is_down_exits_3_and_keeps_earlier_values(project: Project) -> None:
    assert project.sync().returncode == 0
    before = project.latest("crossref")
    project.server.set_citations(bump=4)
    project.server.reset_counts()
    project.server.inject("crossref", "down", times=None)
    result = project.sync("--all")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Failed: crossref: the server closed the connection" in result.stdout
    assert "kept their earlier values" in result.stdout
    # Crossref's earlier counts are untouched; the other sources stored the new ones.
    assert project.latest("crossref") == before
    assert project.latest("semantic_scholar") == {p.key: p.citation_count for p in project.papers}
    # Two failed requests in a row (each retried) and the source is given up.
    assert project.server.count("crossref") <= 2 * 5
    with Store.open(project.db_path) as store:
        run = store.sync_runs()[0]
        assert run["status"] == "partial" and "crossref" in run["errors"]
        records = store.source_records("crossref")
        assert all(r["last_error"] and r["fetched_at"] for r in records.values())
    project.server.clear_faults()
    healed = project.sync()  # the failed works are due again at once
    assert healed.returncode == 0
    assert project.latest("crossref") == {
        p.key: p.citation_count for p in _with_doi(project.papers)
    }


def test_a_sync_killed_mid_run_leaves_a_consistent_database(project: Project) -> None:
    project.crossref_one_by_one()
    assert project.sync("--source", "arxiv").returncode == 0
    # Crossref answers slowly: the kill lands while it fetches, after S2 committed.
    project.server.inject("crossref", "slow", times=None, delay=0.3)
    proc = project.popen()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if project.server.count("crossref") >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(project.db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    statuses = [r[0] for r in conn.execute("SELECT status FROM sync_runs ORDER BY id")]
    crossref_rows = conn.execute("SELECT count(*) FROM citations WHERE source='crossref'")
    assert crossref_rows.fetchone()[0] == 0  # its transaction never committed
    s2_rows = conn.execute("SELECT count(*) FROM citations WHERE source='semantic_scholar'")
    assert s2_rows.fetchone()[0] == len(project.papers)  # committed before the kill
    conn.close()
    assert statuses == ["ok", "running"]

    project.server.clear_faults()
    project.server.reset_counts()
    result = project.sync()
    assert result.returncode == 0, result.stderr
    assert project.server.count("semantic_scholar") == 0  # already fresh
    assert project.latest("crossref") == {
        p.key: p.citation_count for p in _with_doi(project.papers)
    }
    with Store.open(project.db_path) as store:
        assert [r["status"] for r in reversed(store.sync_runs())] == ["ok", "interrupted", "ok"]


def test_two_syncs_at_once_never_interleave(project: Project) -> None:
    project.crossref_one_by_one()
    project.server.inject("crossref", "slow", times=None, delay=0.3)  # ~4 s in all
    first = project.popen()
    deadline = time.monotonic() + 30
    while project.server.count("crossref") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    refused = project.sync("--wait", "0.2")
    assert refused.returncode == 1
    assert f"Error: another pubtrack sync is running (pid {first.pid}, started " in refused.stderr
    assert "waited 0.2 s" in refused.stderr
    waiting = project.sync("--wait", "30")  # waits for the first, then finds nothing due
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert waiting.returncode == 0, waiting.stderr
    assert "another pubtrack sync is running" in waiting.stderr  # it said why it waited
    assert waiting.stdout.startswith("Nothing to fetch")
    with Store.open(project.db_path) as store:
        runs = list(reversed(store.sync_runs()))
    assert len(runs) == 2  # the refused sync left no trace
    assert runs[0]["finished_at"] <= runs[1]["started_at"]


def test_dry_run_sends_nothing(project: Project) -> None:
    result = project.sync("--dry-run")
    assert result.returncode == 0
    assert dict(project.server.request_counts) == {}
    assert not project.db_path.exists()
    assert "semantic_scholar  24 works due, 2 requests" in result.stdout


def test_kills_at_random_moments_never_corrupt_the_database(project: Project) -> None:
    project.server.inject("crossref", "slow", times=None, delay=0.02)
    for delay in (0.45, 0.6, 0.8, 1.0):
        proc = project.popen("--all")
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        if project.db_path.exists():
            conn = sqlite3.connect(project.db_path)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "citations" not in tables:  # killed before the schema was committed
                conn.close()
                continue
            # Every source's rows come from whole runs: all works or none.
            per_run = conn.execute(
                "SELECT count(*) FROM citations WHERE source = 'semantic_scholar'"
                " GROUP BY sync_run_id"
            ).fetchall()
            conn.close()
            assert all(n == len(project.papers) for (n,) in per_run)
    project.server.clear_faults()
    result = project.sync()
    assert result.returncode == 0, result.stderr
    assert project.latest("semantic_scholar") == {p.key: p.citation_count for p in project.papers}


def test_progress_bars_on_a_terminal(project: Project) -> None:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pubtrack", "sync"],
        cwd=project.root,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # read while it runs: a full pty buffer would block the sync
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "\r  semantic_scholar  ━━━━━━━━━━━━━━━━━━━━ 24/24  2 requests" in screen
    assert "\r  crossref          ━━━━━━━━━━━━━━━━━━━━ 18/18  1 request" in screen
    assert "Updated 24 works." in out


def test_a_source_answering_zeros_is_held_then_recovers(project: Project) -> None:
    """Every Semantic Scholar count drops to 0 in one run: held (exit 3, named in the
    summary), never the latest value; the next good run carries on; --accept-drops
    stores a genuine drop."""
    assert project.sync().returncode == 0
    good = project.latest("semantic_scholar")
    assert any(good.values())
    project.server.inject("semantic_scholar", "zero_counts", times=None)
    result = project.sync("--all", "--source", "semantic_scholar")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Held: " in result.stdout and "sharp drop" in result.stdout
    assert "--accept-drops" in result.stdout
    assert project.latest("semantic_scholar") == good  # render keeps the last good values
    with Store.open(project.db_path) as store:
        held = store.held_citations()
        runs = store.sync_runs()
    assert {h["publication_key"] for h in held} == {k for k, n in good.items() if n > 0}
    assert all(h["count"] == 0 and h["previous_count"] == good[h["publication_key"]] for h in held)
    assert runs[0]["status"] == "partial"

    project.server.clear_faults()
    result = project.sync("--all", "--source", "semantic_scholar")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Held" not in result.stdout
    assert project.latest("semantic_scholar") == good

    project.server.inject("semantic_scholar", "zero_counts", times=None)
    result = project.sync("--all", "--source", "semantic_scholar", "--accept-drops")
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(project.latest("semantic_scholar").values()) == {0}
