"""The one list of sources: built from the `pubtrack.sources` entry points."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import installed_plugin
from pubtrack.config import Config
from pubtrack.sources.registry import api_endpoint, registry


def test_builtins_in_listing_and_fetch_order() -> None:
    reg = registry()
    assert reg.names[:5] == ("semantic_scholar", "arxiv", "openalex", "crossref", "google_scholar")
    assert reg.citation_sources[:4] == (
        "semantic_scholar",
        "openalex",
        "crossref",
        "google_scholar",
    )
    assert "arxiv" not in reg.citation_sources  # metadata only
    assert reg.fetch_order(["crossref", "semantic_scholar", "arxiv"]) == [
        "arxiv",
        "semantic_scholar",
        "crossref",
    ]
    assert reg.label("openalex") == "OpenAlex" and reg.label("nope") == "nope"
    assert reg.default_enabled == ("semantic_scholar", "arxiv", "openalex", "crossref")


def test_urls_and_variables_come_from_the_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert api_endpoint("crossref").url_env == "PUBTRACK_CROSSREF_API_URL"
    assert api_endpoint("orcid").default_url.startswith("https://pub.orcid.org")
    monkeypatch.setenv("PUBTRACK_CROSSREF_API_URL", "http://127.0.0.1:9/cr/")
    assert Config(root=Path(".")).api_url("crossref") == "http://127.0.0.1:9/cr"


@pytest.fixture
def broken_plugin(tmp_path: Path) -> Iterator[None]:
    """A plugin whose module cannot be imported, installed on sys.path."""
    with installed_plugin(
        tmp_path, "broken-plugin", "[pubtrack.sources]\nbroken = no_such_module_here:Broken\n"
    ):
        yield


def test_a_plugin_that_cannot_load_is_recorded_not_fatal(broken_plugin: None) -> None:
    reg = registry()
    assert "broken" not in reg
    assert "ModuleNotFoundError" in reg.broken["broken"]
    assert "semantic_scholar" in reg  # the others load as usual


def test_sync_warns_about_a_plugin_that_cannot_load(broken_plugin: None, tmp_path: Path) -> None:
    from pubtrack.config import DatabaseSettings, SyncSettings
    from pubtrack.models import Library
    from pubtrack.sync import SyncEvent, SyncOptions, run_sync

    events: list[SyncEvent] = []
    config = Config(
        root=tmp_path,
        database=DatabaseSettings("data/p.db"),
        sync=SyncSettings(sources=["crossref"]),
    )
    report = run_sync(config, SyncOptions(dry_run=True), progress=events.append, library=Library())
    warned = [e.message for e in events if e.kind == "warning"]
    assert any("source plugin 'broken' cannot be loaded" in m for m in warned)
    assert any("source plugin 'broken'" in p for p in report.problems)


def test_learned_ids_are_trusted_in_the_order_the_sources_declare() -> None:
    from pubtrack.sources.registry import registry

    reg = registry()
    order = reg.by_id_trust(["openalex", "plugin_x", "semantic_scholar", "crossref", "arxiv"])
    assert order == ["arxiv", "crossref", "semantic_scholar", "openalex", "plugin_x"]
    trust = {cls.name: cls.id_trust for cls in reg}
    assert order[:4] == sorted(order[:4], key=trust.__getitem__)


BADLY_NAMED = """
from pubtrack.sources.base import Source


class Dashed(Source):
    name = "zb-math"
    label = "zbMATH"

    def lookup_id(self, work):
        return None

    def fetch_batch(self, works):
        return []
"""


def test_a_source_name_that_cannot_be_a_column_or_table_is_refused(tmp_path: Path) -> None:
    with installed_plugin(
        tmp_path,
        "dashed-plugin",
        "[pubtrack.sources]\nzb-math = pubtrack_dashed_test:Dashed\n",
        {"pubtrack_dashed_test": BADLY_NAMED},
    ):
        reg = registry()
        assert "zb-math" not in reg
        assert "lower-case letters" in reg.broken["zb-math"]


def test_check_names_a_plugin_that_cannot_load(
    broken_plugin: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pubtrack.cli import cli

    (tmp_path / "pubtrack.toml").write_text('[owner]\nname = "Ada Lovelace"\n')
    (tmp_path / "bib").mkdir()
    (tmp_path / "bib" / "publications.bib").write_text("@misc{a, title = {A}, year = 2020}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    result = CliRunner().invoke(cli, ["check"])
    assert "pubtrack.toml:1: warning: source plugin 'broken' cannot be loaded" in result.output
    assert "ModuleNotFoundError" in result.output
