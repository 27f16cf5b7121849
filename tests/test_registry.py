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


# -- a plugin's metadata flows everywhere a built-in's does ----------------------------

CITEPLUG = """
from pubtrack.sources.base import Source


class CitePlug(Source):
    name = "citeplug"
    label = "CitePlug"
    order = 80
    id_trust = 5  # before arXiv: its PDF link wins
    key_env = "CITEPLUG_API_KEY"
    key_required = True
    lookup_kind = "doi"
    external_id_kind = "doi"
    install_hint = "pip install citeplug-extra"

    @classmethod
    def citing_papers_url(cls, ids):
        record = ids.get("citeplug")
        return f"https://citeplug.example/cites/{record}" if record else None

    def lookup_id(self, work):
        return work.ids.doi

    def fetch_batch(self, works):
        return []
"""


@pytest.fixture
def citeplug(tmp_path: Path) -> Iterator[None]:
    with installed_plugin(
        tmp_path / "site",
        "citeplug",
        "[pubtrack.sources]\nciteplug = citeplug_source:CitePlug\n",
        {"citeplug_source": CITEPLUG},
    ):
        yield


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_builtin_metadata_on_the_classes() -> None:
    from pubtrack.sources.registry import secret_envs

    reg = registry()
    assert reg.own_id_kinds == {"semantic_scholar": "semantic_scholar", "openalex": "openalex"}
    assert reg.citing_page_sources == ("semantic_scholar", "openalex")
    assert secret_envs(builtin=True) == ("S2_API_KEY", "OPENALEX_API_KEY")
    assert secret_envs(builtin=False) == ()
    google_scholar = reg.get("google_scholar")
    assert google_scholar is not None and "pubtrack[scholar]" in google_scholar.install_hint


def test_a_plugins_keys_and_citing_page_reach_the_lists(
    citeplug: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pubtrack.sources.registry import secret_envs

    reg = registry()
    assert reg.citing_page_sources == ("semantic_scholar", "openalex", "citeplug")
    assert "citeplug" not in reg.own_id_kinds  # it does not find ids of its own
    assert secret_envs() == ("S2_API_KEY", "OPENALEX_API_KEY", "CITEPLUG_API_KEY")
    assert secret_envs(builtin=False) == ("CITEPLUG_API_KEY",)
    plugin = reg.get("citeplug")
    assert plugin is not None
    monkeypatch.delenv("CITEPLUG_API_KEY", raising=False)
    assert plugin.missing_key() == "CitePlug needs CITEPLUG_API_KEY"
    monkeypatch.setenv("CITEPLUG_API_KEY", "  k-1  ")
    assert plugin.env_key() == "k-1" and plugin.missing_key() is None


def test_a_plugin_shows_in_help_and_in_init(citeplug: None) -> None:
    from click.testing import CliRunner

    from pubtrack.cli import cli
    from pubtrack.config import commented_config

    runner = CliRunner()
    top = _flat(runner.invoke(cli, ["--help"]).output)
    assert "OpenAlex, Crossref, Google Scholar and CitePlug;" in top
    render_help = _flat(runner.invoke(cli, ["render", "--help"]).output)
    assert "citing papers (Semantic Scholar, OpenAlex and CitePlug)" in render_help
    assert "citeplug" in _flat(runner.invoke(cli, ["sync", "--help"]).output)
    assert "(openalex needs OPENALEX_API_KEY; citeplug needs CITEPLUG_API_KEY)" in _flat(
        commented_config()
    )


def test_builtin_help_names_the_builtins() -> None:
    from click.testing import CliRunner

    from pubtrack.cli import cli

    render_help = _flat(CliRunner().invoke(cli, ["render", "--help"]).output)
    assert "citing papers (Semantic Scholar and OpenAlex)" in render_help
    assert "CitePlug" not in render_help


def test_a_plugins_ids_are_checked_by_its_own_kinds(citeplug: None) -> None:
    from pubtrack.models import Identifiers
    from pubtrack.sources.base import SourceResult, WorkRef
    from pubtrack.verify import answer_keys, asked_keys, verify

    asked = asked_keys("citeplug", "10.1000/ABC")
    assert asked == {("doi", "10.1000/abc")}
    right = SourceResult("w", "found", external_id="10.1000/abc")
    wrong = SourceResult("w", "found", external_id="10.1000/other")
    assert answer_keys("citeplug", right) == {("doi", "10.1000/abc")}
    ref = WorkRef("w", Identifiers(doi="10.1000/abc"), "A title long enough", [], 2024)
    assert verify("citeplug", ref, asked, right).status == "ok"
    assert verify("citeplug", ref, asked, wrong).status == "conflict"
    assert asked_keys("no_such_source", "10.1000/abc") == set()


def test_a_plugins_citing_page_is_linked(citeplug: None) -> None:
    from pubtrack.models import Author, CitationCount, Work
    from pubtrack.render.context import build_publications

    work = Work("k", "article", "A Paper", authors=[Author("Zihang", "", "Liu")], year=2024)
    at = "2026-11-28T03:00:00Z"
    [pub] = build_publications(
        [work],
        is_owner=lambda author: False,
        max_authors=10,
        selected_only=False,
        citations={"k": {"citeplug": CitationCount("k", "citeplug", 7, at)}},
        external_ids={"k": {"citeplug": "R42"}},
        preference=("citeplug",),
    )
    assert pub.citation is not None and pub.citation.label == "CitePlug"
    assert pub.cited_by_url == "https://citeplug.example/cites/R42"
    assert "citeplug" not in pub.ids  # a plugin's id is not one of the work's ids


def test_pdf_links_follow_the_registry_order(citeplug: None, tmp_path: Path) -> None:
    from pubtrack.db import Store
    from pubtrack.models import Work
    from pubtrack.render.context import build_publications

    with Store.open(tmp_path / "p.db") as store:
        for source in ("openalex", "semantic_scholar", "arxiv", "citeplug"):
            store.save_source_record(
                "a", source, status="found", data={"pdf_url": f"https://{source}.example/a.pdf"}
            )
            if source not in ("citeplug", "arxiv"):
                store.save_source_record(
                    "b", source, status="found", data={"pdf_url": f"https://{source}.example/b"}
                )
        store.save_source_record("c", "arxiv", status="found", data={"pdf_url": "ftp://x/c"})
        pdfs = store.open_access_pdfs()
    assert set(pdfs["a"]) == {"openalex", "semantic_scholar", "arxiv", "citeplug"}
    assert "c" not in pdfs  # web links only
    reg = registry()
    assert reg.by_id_trust(reg.names)[:2] == ["citeplug", "arxiv"]
    works = [Work(key, "article", f"Paper {key}", year=2024) for key in ("a", "b")]
    shown = build_publications(
        works,
        is_owner=lambda author: False,
        max_authors=10,
        selected_only=False,
        citations={},
        external_ids={},
        preference=(),
        pdfs=pdfs,
    )
    pdf = {p.key: next(k.url for k in p.links if k.label == "PDF") for p in shown}
    # the most trusted source that has one: the plugin (id_trust 5), else S2 before OpenAlex
    assert pdf == {"a": "https://citeplug.example/a.pdf", "b": "https://semantic_scholar.example/b"}


def test_a_source_missing_from_the_run_says_what_to_install(tmp_path: Path) -> None:
    from pubtrack.sync.run import _instantiate

    [stand_in] = _instantiate(["google_scholar"], {}, Config(root=tmp_path), None)
    assert stand_in.skip_reason() == "not installed (pip install 'pubtrack[scholar]')"


def test_add_merges_records_in_the_order_the_apis_declare() -> None:
    from pubtrack.sources.registry import api_class

    names = ["arxiv", "semantic_scholar", "openalex", "datacite", "dblp", "crossref"]
    trust = {}
    for name in names:
        cls = api_class(name)
        assert cls is not None
        trust[name] = cls.record_trust
    assert sorted(names, key=trust.__getitem__) == [
        "crossref",
        "dblp",
        "datacite",
        "openalex",
        "semantic_scholar",
        "arxiv",
    ]
    orcid = api_class("orcid")
    assert orcid is not None and orcid.record_trust > max(trust.values())  # undeclared: last
