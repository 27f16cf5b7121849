"""What sync learns comes back: check/sync lines, fix of taught ids, render links."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.testing.fake_api import FakeApiServer, fast_sync_settings, make_owner_catalogue

TIME_SCALE = 0.01


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, list]]:
    catalogue = make_owner_catalogue(8, seed=9)
    papers = catalogue.owner_papers  # type: ignore[attr-defined]
    both = next(p for p in papers if p.arxiv_id and p.doi)
    root = tmp_path / "cv"
    (root / "bib").mkdir(parents=True)
    (root / "bib" / "publications.bib").write_text(
        f"@article{{doionly,\n  title = {{{both.title}}},\n"
        f"  author = {{{' and '.join(both.authors)}}},\n"
        f"  journal = {{{both.venue}}},\n  year = {both.year},\n  doi = {{{both.doi}}},\n}}\n\n"
        "@misc{typo,\n  title = {Nothing},\n  author = {Alec Thomson},\n  year = 2025,\n"
        "  eprint = {2503.99999},\n}\n\n"
        "@misc{stranger,\n  title = {Not Mine},\n  author = {Grace Hopper},\n  year = 2020,\n}\n"
    )
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Alec Thomson"\n[bib]\ntalks = []\n'
        '[sync]\nsources = ["semantic_scholar", "arxiv"]\n' + fast_sync_settings(TIME_SCALE)
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("S2_API_KEY", raising=False)
    with FakeApiServer(catalogue, time_scale=TIME_SCALE) as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        yield root, [both]


def test_sync_teaches_check_reports_fix_applies_render_links(world):
    root, (both,) = world
    before = CliRunner().invoke(cli, ["check"])
    # Before any sync only the owner check speaks.
    assert "stranger: Alec Thomson is not among the authors" in before.output
    assert "typo" not in before.output
    sync = CliRunner().invoke(cli, ["sync"])
    assert sync.exit_code == 0, sync.output
    assert f"Learned: doionly: sources know its arXiv {both.arxiv_id}" in sync.output
    assert "Unknown id: typo: 2503.99999: not found on arxiv, semantic_scholar" in sync.output
    check = CliRunner().invoke(cli, ["check"])
    assert check.exit_code == 2
    assert "bib/publications.bib:1: warning: doionly: sources know its arXiv" in check.output
    # render: the DOI-only entry gets its arXiv link, and says where the id came from.
    out = json.loads(CliRunner().invoke(cli, ["render", "--format", "json"]).output)
    entry = next(p for p in out["publications"] if p["key"] == "doionly")
    assert entry["ids"]["arxiv"] == both.arxiv_id
    assert entry["id_sources"]["arxiv"] in ("arxiv", "semantic_scholar")
    assert entry["id_sources"]["doi"] == "bib"
    assert {"label": "arXiv", "url": f"https://arxiv.org/abs/{both.arxiv_id}"} in entry["links"]
    assert any(link["label"] == "PDF" for link in entry["links"])
    # fix adds the taught ids to that entry only; a backup is kept.
    bib = root / "bib" / "publications.bib"
    original = bib.read_text()
    fixed = CliRunner().invoke(cli, ["fix", "--yes"])
    assert fixed.exit_code == 0, fixed.output
    assert f"+  eprint = {{{both.arxiv_id}}}," in fixed.output
    assert "+  archiveprefix = {arXiv}," in fixed.output
    assert "Not fixed automatically: typo" in fixed.output
    new = bib.read_text()
    assert (
        new.replace(f"  eprint = {{{both.arxiv_id}}},\n  archiveprefix = {{arXiv}},\n", "")
        == original
    )
    assert (root / "bib" / "publications.bib.bak").read_text() == original


def test_fix_refuses_a_file_changed_after_the_diff(world, monkeypatch):
    root, _ = world
    assert CliRunner().invoke(cli, ["sync"]).exit_code == 0
    bib = root / "bib" / "publications.bib"
    import pubtrack.works.fix as fixmod

    real_plan = fixmod.plan_fixes

    def plan_then_edit(config, keys=None):  # noqa: ANN001, ANN202 - the user edits meanwhile
        plan = real_plan(config, keys)
        bib.write_text(bib.read_text() + "% edited\n")
        return plan

    monkeypatch.setattr(fixmod, "plan_fixes", plan_then_edit)
    result = CliRunner().invoke(cli, ["fix", "--yes"])
    assert result.exit_code == 2 and "changed since the diff" in result.output
    assert (
        bib.read_text().endswith("% edited\n") and "eprint" not in bib.read_text().split("typo")[0]
    )
    assert not (root / "bib" / "publications.bib.bak").exists()
