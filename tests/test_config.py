from pathlib import Path

import pytest

from pubtrack.config import load_config, parse_duration
from pubtrack.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"), [("12h", 43200), ("2d", 172800), ("90", 90), ("1.5m", 90), (30, 30)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_parse_duration_rejects_garbage() -> None:
    with pytest.raises(ConfigError, match="invalid duration"):
        parse_duration("soon")


def test_config_found_upward_and_env_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pubtrack.toml").write_text('[owner]\nname = "A B"\n[sync]\nmax_age = "2h"\n')
    sub = tmp_path / "x" / "y"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.setenv("PUBTRACK_S2_API_URL", "http://127.0.0.1:9/s2/")
    config = load_config()
    assert config.root == tmp_path.resolve()
    assert config.owner.name == "A B"
    assert config.sync.max_age == 7200
    assert config.api_url("semantic_scholar") == "http://127.0.0.1:9/s2"
    assert config.api_url("arxiv") == "https://export.arxiv.org/api/query"


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "pubtrack.toml"
    path.write_text("[owner\nname=1")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(path)


def test_unknown_source_rejected(tmp_path: Path) -> None:
    path = tmp_path / "pubtrack.toml"
    path.write_text('[sync]\nsources = ["semantic_scholar", "bing"]\n')
    with pytest.raises(ConfigError, match="unknown source 'bing'"):
        load_config(path)
