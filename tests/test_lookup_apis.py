"""The lookup APIs (ORCID, dblp, DataCite: read by add / import / discover) carry their
metadata on their classes and are registered as ``pubtrack.lookup_apis`` entry points;
the HTTP layer takes their pace and headers from that registry and names no API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import installed_plugin
from pubtrack.config import Config, SourceSettings, SyncSettings, load_config
from pubtrack.sources.base import Api, LookupApi
from pubtrack.sources.http import HttpClient, redact
from pubtrack.sources.registry import (
    api_class,
    api_endpoint,
    api_endpoints,
    lookup_apis,
    registry,
    request_defaults,
    secret_envs,
)
from pubtrack.works.lookup import configure_limits

SRC = Path(__file__).resolve().parent.parent / "src" / "pubtrack"

# What the HTTP layer's own table held before the metadata moved onto the classes:
# nothing about their behaviour may change.
BEFORE = {
    "orcid": (0.05, {"Accept": "application/vnd.orcid+json"}, "PUBTRACK_ORCID_API_URL"),
    "dblp": (1.0, {"Accept": "application/xml"}, "PUBTRACK_DBLP_API_URL"),
    "datacite": (0.1, {"Accept": "application/vnd.api+json"}, "PUBTRACK_DATACITE_API_URL"),
}


class _Recorder:
    """A requests.Session stand-in: records what each request carried, answers ``{}``."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.sent: list[dict[str, str]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent.append({**self.headers, **(kwargs.get("headers") or {})})
        response = requests.Response()
        response.status_code = 200
        response._content = b"{}"
        response.url = url
        return response

    def close(self) -> None:
        pass


def test_the_lookup_apis_are_registered_with_their_metadata() -> None:
    reg = lookup_apis()
    assert reg.names == ("orcid", "dblp", "datacite")  # listing order as before
    assert not reg.broken
    for cls in reg:
        assert issubclass(cls, LookupApi) and cls.__module__ == f"pubtrack.sources.{cls.name}"
        interval, headers, env = BEFORE[cls.name]
        assert (cls.min_interval, cls.headers, cls.url_env) == (interval, headers, env)
        assert request_defaults(cls.name) == (interval, headers)
        assert api_class(cls.name) is cls
        assert api_endpoint(cls.name).url_env == env
    # They are not sync sources (no [sync] sources entry, no view column) ...
    assert not set(reg.names) & set(registry().names)
    # ... but every API with a URL is listed, sources first.
    names = [e.name for e in api_endpoints()]
    assert names[-3:] == ["orcid", "dblp", "datacite"]
    assert names[:4] == ["semantic_scholar", "arxiv", "openalex", "crossref"]


def test_sync_sources_keep_their_defaults_in_the_http_layer() -> None:
    # A sync source passes its (configurable) interval itself: none by default here.
    for name in registry().names:
        assert request_defaults(name) == (0.0, {})
    assert request_defaults("no_such_api") == (0.0, {})
    assert secret_envs() == ("S2_API_KEY", "OPENALEX_API_KEY")


def test_the_http_layer_names_no_api() -> None:
    text = (SRC / "sources" / "http.py").read_text(encoding="utf-8").lower()
    apis: list[type[Api]] = [*registry(), *lookup_apis()]
    for cls in apis:
        for word in (cls.name, cls.label, cls.url_env, cls.key_env, cls.default_url):
            if word:
                assert word.lower() not in text, f"http.py names {word!r}"
    for word in ("s2", "semantic", "scholar", "arxiv", "orcid", "dblp", "datacite"):
        assert not re.search(rf"\b{word}\b", text), f"http.py names {word!r}"


def test_requests_carry_the_apis_headers_and_keep_its_pace() -> None:
    session = _Recorder()
    http = HttpClient(session=session, sleep=lambda s: None)  # type: ignore[arg-type]
    http.request("orcid", "GET", "http://127.0.0.1:9/orcid/0000/works")
    http.request("dblp", "GET", "http://127.0.0.1:9/dblp/pid/1.xml", expect="text")
    http.request("crossref", "GET", "http://127.0.0.1:9/works/x")
    http.request("datacite", "GET", "http://x/dois/y", headers={"Accept": "application/json"})
    accepts = [sent.get("Accept") for sent in session.sent]
    assert accepts == [
        "application/vnd.orcid+json",
        "application/xml",
        None,  # a sync source sends no Accept of its own
        "application/json",  # the caller's header wins
    ]
    assert http.limiter("orcid").min_interval == 0.05
    assert http.limiter("dblp").min_interval == 1.0
    assert http.limiter("crossref").min_interval == 0.0  # sources pass theirs per request


def test_configure_limits_reads_the_classes_and_the_config() -> None:
    config = Config(
        root=Path("."),
        sync=SyncSettings(tables={"orcid": SourceSettings(min_interval=0.5)}),
    )
    http = HttpClient(session=_Recorder())  # type: ignore[arg-type]
    configure_limits(config, http)
    assert http.limiter("orcid").min_interval == 0.5  # [sync.orcid] min_interval
    assert http.limiter("datacite").min_interval == 0.1
    assert http.limiter("dblp").min_interval == 1.0
    assert http.limiter("arxiv").min_interval == 3.0 and http.limiter("arxiv").exclusive
    assert http.limiter("crossref").min_interval == 0.2 and not http.limiter("crossref").exclusive
    assert not http.limiter("orcid").exclusive


PLUGIN = """
from pubtrack.sources.base import LookupApi


class Zenodo(LookupApi):
    name = "zenodo"
    label = "Zenodo"
    default_url = "https://zenodo.example/api"
    url_env = "PUBTRACK_ZENODO_API_URL"
    key_env = "ZENODO_TOKEN"
    min_interval = 0.25
    headers = {"Accept": "application/vnd.zenodo+json"}
"""


@pytest.fixture
def zenodo(tmp_path: Path) -> Iterator[None]:
    """A lookup API installed as a plugin: a module and an entry point on sys.path."""
    with installed_plugin(
        tmp_path,
        "pubtrack-zenodo-test",
        "[pubtrack.lookup_apis]\nzenodo = pubtrack_zenodo_test:Zenodo\n",
        {"pubtrack_zenodo_test": PLUGIN},
    ):
        yield


def test_a_registered_lookup_api_is_known_everywhere(
    zenodo: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "zenodo" in lookup_apis()
    # its URL and variable
    monkeypatch.setenv("PUBTRACK_ZENODO_API_URL", "http://127.0.0.1:9/zen/")
    assert Config(root=tmp_path).api_url("zenodo") == "http://127.0.0.1:9/zen"
    # its [sync.zenodo] table is accepted (a lookup API's pace), not warned about
    (tmp_path / "pubtrack.toml").write_text("[sync.zenodo]\nmin_interval = 0.75\n")
    config = load_config(tmp_path / "pubtrack.toml")
    assert config.sync.source("zenodo").min_interval == 0.75
    assert not [w for w in config.warning_lines() if "zenodo" in w]
    # the HTTP layer paces it and sends its headers
    session = _Recorder()
    http = HttpClient(session=session, sleep=lambda s: None)  # type: ignore[arg-type]
    http.request("zenodo", "GET", "http://127.0.0.1:9/zen/records/1")
    assert session.sent[0]["Accept"] == "application/vnd.zenodo+json"
    assert http.limiter("zenodo").min_interval == 0.25
    configure_limits(config, http)
    assert http.limiter("zenodo").min_interval == 0.75
    # and its key never shows
    assert "ZENODO_TOKEN" in secret_envs()
    monkeypatch.setenv("ZENODO_TOKEN", "zen-secret-123")
    assert redact("failed: token zen-secret-123") == "failed: token ***"
