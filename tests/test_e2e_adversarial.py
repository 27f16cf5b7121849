"""End to end against a lying fake API: answers about another paper, another DOI,
impossible values, cross-host redirects; then the recovery run once the API behaves.

Each case runs the real `pubtrack sync` as a subprocess (see test_e2e_sync.py).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import test_e2e_sync
from pubtrack.db import Store
from pubtrack.testing.fake_api import FakeApiServer
from test_e2e_sync import Project

pytestmark = pytest.mark.slow  # real subprocesses against the fake API server

project = test_e2e_sync.project  # the same fixture: a project and its fake APIs


def _check(project: Project) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pubtrack", "check"],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _truth(project: Project) -> dict[str, int]:
    return {p.key: p.citation_count for p in project.papers}


def _crossref_dois(server: FakeApiServer) -> set[str]:
    """The DOIs Crossref was asked about: /works/{doi}, or a list query's doi filter."""
    from urllib.parse import parse_qs

    asked: set[str] = set()
    for r in server.log:
        if r.api != "crossref":
            continue
        if r.path.startswith("/works/"):
            asked.add(r.path[len("/works/") :].lower())
        for clause in ",".join(parse_qs(r.query).get("filter", [])).split(","):
            if clause.startswith("doi:"):
                asked.add(clause[len("doi:") :].lower())
    return asked


def _learned(project: Project, source: str) -> dict[str, dict[str, str]]:
    with Store.open(project.db_path) as store:
        rows = store.learned_ids()
    return {
        key: {r["kind"]: r["value"] for r in found if r["source"] == source}
        for key, found in rows.items()
        if any(r["source"] == source for r in found)
    }


def test_s2_answering_with_other_papers_is_a_conflict_and_poisons_nothing(
    project: Project,
) -> None:
    server = project.server
    server.inject("semantic_scholar", "other_paper", times=None)
    result = project.sync()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Conflict: semantic_scholar answered about another work" in result.stdout
    assert project.latest("semantic_scholar") == {}  # no count of another paper
    assert _learned(project, "semantic_scholar") == {}  # and no id learned from it
    # Crossref and OpenAlex were asked only with the works' own DOIs.
    true_dois = {p.doi.lower() for p in project.papers if p.doi}
    asked = _crossref_dois(server)
    assert asked <= true_dois
    # (works without any id in the bib are found only through S2's title match)
    with_ids = {p.key: p.citation_count for p in project.papers if p.bib_ids}
    assert project.latest("openalex") == with_ids
    with Store.open(project.db_path) as store:
        run = store.sync_runs()[0]
        assert run["conflicts"] >= 1 and run["status"] == "partial"
    check = _check(project)
    assert "answered about another work" in check.stdout

    server.clear_faults()  # the API behaves again
    healed = project.sync()  # conflicted works are due again at once
    assert healed.returncode == 0, healed.stdout + healed.stderr
    assert project.latest("semantic_scholar") == with_ids
    assert "answered about another work" not in _check(project).stdout
    with Store.open(project.db_path) as store:
        assert store.conflicts() == []


def test_crossref_with_another_doi_stores_nothing_until_it_recovers(project: Project) -> None:
    project.server.inject("crossref", "other_doi", times=None)
    result = project.sync("--source", "crossref", "--source", "arxiv")
    assert result.returncode == 3
    assert "Conflict: crossref" in result.stdout
    assert project.latest("crossref") == {}
    project.server.clear_faults()
    assert project.sync("--source", "crossref", "--source", "arxiv").returncode == 0
    assert project.latest("crossref") == {
        p.key: p.citation_count for p in project.papers if p.doi and p.bib_ids
    }


def test_huge_and_wrong_typed_values_reject_records_and_the_rest_runs(project: Project) -> None:
    server = project.server
    server.inject("semantic_scholar", "huge_ints", times=None)
    server.inject("crossref", "wrong_types", times=None)
    server.inject("openalex", "future_dates", times=None)
    result = project.sync()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Rejected: semantic_scholar record for" in result.stdout
    assert "out of range" in result.stdout
    assert "Rejected: crossref record for" in result.stdout
    assert "Rejected: openalex record for" in result.stdout
    assert project.latest("semantic_scholar") == {}
    assert project.latest("crossref") == {}
    with Store.open(project.db_path) as store:  # arXiv (no counts) still ran
        assert len(store.source_records("arxiv")) > 0
    server.clear_faults()
    server.inject("semantic_scholar", "wrong_types", times=None)  # an id that is an object
    again = project.sync("--source", "semantic_scholar")
    assert again.returncode == 3 and "Rejected: semantic_scholar" in again.stdout
    server.clear_faults()
    assert project.sync().returncode == 0
    assert project.latest("semantic_scholar") == _truth(project)


def test_a_cross_host_redirect_does_not_carry_the_key(project: Project) -> None:
    server = project.server
    server.inject("semantic_scholar", "redirect", times=1)
    result = project.sync("--source", "semantic_scholar")
    assert result.returncode == 0, result.stdout + result.stderr
    batches = [r for r in server.log if r.api == "semantic_scholar" and r.method == "POST"]
    assert batches[0].fault == "redirect" and batches[0].api_key
    assert not batches[1].api_key  # the request that followed the redirect
    assert project.latest("semantic_scholar") == _truth(project)


def test_a_persistent_arxiv_error_feed_is_a_failed_source(project: Project) -> None:
    project.server.inject("arxiv", "error_feed", times=None, bad_id="nothing-we-asked")
    result = project.sync("--source", "arxiv")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Failed: arxiv" in result.stdout and "error feed" in result.stdout
    with Store.open(project.db_path) as store:
        records = store.source_records("arxiv")
    assert not any(r["status"] == "not_found" for r in records.values())


def test_relearn_forgets_learned_ids(project: Project) -> None:
    assert project.sync("--source", "arxiv").returncode == 0
    assert _learned(project, "arxiv")
    key = next(iter(_learned(project, "arxiv")))
    with Store.open(project.db_path) as store:
        store.forget_learned_ids([key])  # (what --relearn does first)
        store.learn_ids(
            key,
            "arxiv",
            {"doi": "10.9999/poisoned"},
            learned_at="x",
            run_id=None,
            request=None,
            verified=False,
        )
    result = project.sync("--relearn", key, "--source", "arxiv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10.9999/poisoned" not in str(_learned(project, "arxiv").get(key))
    bad = project.sync("--relearn", "no-such-key")
    assert bad.returncode == 2 and "no-such-key" in bad.stderr


def test_sigterm_records_the_run_as_interrupted_with_its_end_time(project: Project) -> None:
    import os
    import signal
    import time

    project.crossref_one_by_one()  # a slow source with many requests: mid-run for a while
    project.server.inject("crossref", "slow", times=None, delay=0.3)
    proc = project.popen()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and project.server.count("crossref") < 2:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "Terminated." in err and "Traceback" not in err
    with Store.open(project.db_path) as store:
        run = store.sync_runs()[0]
        # What the sources before Crossref stored is kept.
        assert project.latest("semantic_scholar")
    assert run["status"] == "interrupted" and run["finished_at"]


def test_a_poisoned_learned_id_is_dropped_once_it_leads_to_another_paper(
    project: Project,
) -> None:
    papers = [p for p in project.papers if p.bib_ids]
    victim, other = papers[0], papers[1]
    with Store.open(project.db_path) as store:
        store.learn_ids(  # what an older pubtrack could have stored from a bad answer
            victim.key,
            "semantic_scholar",
            {"semantic_scholar": other.s2_id},
            learned_at="2026-01-01T00:00:00Z",
            run_id=None,
            request=None,
            verified=False,
        )
    first = project.sync("--source", "semantic_scholar")
    assert first.returncode == 3
    assert f"for {victim.key}" in first.stdout and "not the bib's" in first.stdout
    assert victim.key not in project.latest("semantic_scholar")
    assert other.s2_id not in str(_learned(project, "semantic_scholar").get(victim.key))
    second = project.sync("--source", "semantic_scholar")  # asked with the bib's ids now
    assert second.returncode == 0, second.stdout
    assert project.latest("semantic_scholar")[victim.key] == victim.citation_count
