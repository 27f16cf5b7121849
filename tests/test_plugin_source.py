"""A third-party source installed as a plugin works end to end.

The example plugin (examples/pubtrack-inspire) is registered the way an
installed package is: a ``*.dist-info`` directory with an ``entry_points.txt``
on the path of a real `pubtrack` process. A local stand-in for the INSPIRE API
answers it. Its ``[sync.inspire]`` settings reach it, its label is shown, and
its counts appear in render, stats, the database views and the badges.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.slow  # real subprocesses against a local server

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "examples" / "pubtrack-inspire"

BIB = """\
@article{ada2020engine,
  title = {Notes on the Analytical Engine},
  author = {Lovelace, Ada and Babbage, Charles},
  journal = {Scientific Memoirs},
  year = {2020},
  doi = {10.1234/engine},
}

@misc{ada2021bernoulli,
  title = {Computing Bernoulli Numbers},
  author = {Lovelace, Ada},
  year = {2021},
  eprint = {2101.00001},
  archiveprefix = {arXiv},
}

@misc{ada2022unknown,
  title = {A Paper INSPIRE Does Not Know},
  author = {Lovelace, Ada},
  year = {2022},
  doi = {10.1234/nowhere},
}
"""

# INSPIRE records: (control number, DOIs, arXiv ids, citations, without self-citations)
RECORDS = [
    (1001, ["10.1234/engine"], [], 40, 31),
    (1002, [], ["2101.00001"], 12, 9),
]


class _Inspire(BaseHTTPRequestHandler):
    queries: list[str] = []

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/api/literature":
            self.send_error(404)
            return
        query = parse_qs(url.query).get("q", [""])[0]
        type(self).queries.append(query)
        wanted = {part.strip() for part in query.split(" or ")}
        hits = []
        for number, dois, eprints, count, without in RECORDS:
            ids = {f"doi:{d}" for d in dois} | {f"arxiv:{a}" for a in eprints}
            if ids & wanted:
                hits.append(
                    {
                        "id": str(number),
                        "metadata": {
                            "control_number": number,
                            "citation_count": count,
                            "citation_count_without_self_citations": without,
                            "dois": [{"value": d} for d in dois],
                            "arxiv_eprints": [{"value": a} for a in eprints],
                        },
                    }
                )
        body = json.dumps({"hits": {"hits": hits, "total": len(hits)}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def inspire() -> Iterator[str]:
    _Inspire.queries = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inspire)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path, inspire: str) -> tuple[Path, dict[str, str]]:
    # The plugin "installed": its module on the path, its distribution metadata beside it.
    site = tmp_path / "site"
    dist = site / "pubtrack_inspire-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pubtrack-inspire\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[pubtrack.sources]\ninspire = pubtrack_inspire:Inspire\n", encoding="utf-8"
    )
    root = tmp_path / "cv"
    (root / "bib").mkdir(parents=True)
    (root / "bib" / "publications.bib").write_text(BIB, encoding="utf-8")
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\n\n[bib]\npublications = ["bib/*.bib"]\ntalks = []\n\n'
        '[sync]\nsources = ["inspire"]\n\n'
        "[sync.inspire]\nexclude_self_citations = true\nbatch_size = 2\nmin_interval = 0\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_")}
    env.update(
        PUBTRACK_CONFIG=str(root / "pubtrack.toml"),
        PUBTRACK_INSPIRE_API_URL=inspire,
        PYTHONPATH=os.pathsep.join([str(PLUGIN), str(site)]),
    )
    return root, env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pubtrack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_plugin_source_syncs_and_shows_everywhere(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, env = project
    result = _run(env, "sync")
    assert result.returncode == 0, result.stdout + result.stderr
    # [sync.inspire] reached the plugin: batches of 2, and the counts without self-citations.
    assert len(_Inspire.queries) == 2
    assert "inspire: 3 works, 2 requests, 2 found, 1 not found" in result.stderr

    db = sqlite3.connect(root / "data" / "pubtrack.db")
    latest = dict(
        db.execute(
            "SELECT publication_key, count FROM latest_citations WHERE source = 'inspire'"
        ).fetchall()
    )
    assert latest == {"ada2020engine": 31, "ada2021bernoulli": 9}
    # The per-paper view has a column for the plugin, as for the built-ins.
    columns = [row[1] for row in db.execute("PRAGMA table_info(publication_metrics)")]
    assert "inspire" in columns
    row = db.execute(
        "SELECT inspire FROM publication_metrics WHERE key = 'ada2020engine'"
    ).fetchone()
    assert row == (31,)
    db.close()

    render = _run(env, "render", "--format", "md")
    assert render.returncode == 0, render.stderr
    assert "Cited by 31 (INSPIRE-HEP" in render.stdout
    # Its page of citing papers (Source.citing_papers_url), from the record number stored.
    linked = _run(env, "render", "--format", "md", "--cited-by-link")
    assert linked.returncode == 0, linked.stderr
    assert "(https://inspirehep.net/literature?q=refersto:recid:1001)" in linked.stdout
    helped = _run(env, "render", "--help")
    assert "INSPIRE-HEP" in " ".join(helped.stdout.split())

    stats = _run(env, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    inspire_stats = json.loads(stats.stdout)["sources"]["inspire"]
    assert inspire_stats["total_citations"] == 40
    assert inspire_stats["h_index"] == 2

    text = _run(env, "stats")
    assert "inspire" in text.stdout.splitlines()[2]  # a column of the table, as built-ins

    badge = _run(env, "badge", "--metric", "citations", "--source", "inspire")
    assert badge.returncode == 0, badge.stderr
    assert json.loads(badge.stdout)["message"] == "40"


def test_a_plugin_setting_of_the_wrong_type_is_a_config_error(
    project: tuple[Path, dict[str, str]],
) -> None:
    root, env = project
    toml = root / "pubtrack.toml"
    toml.write_text(toml.read_text().replace("= true", '= "yes"'))
    result = _run(env, "sync", "--dry-run")
    assert result.returncode == 2
    assert "[sync.inspire] exclude_self_citations: expected true or false" in result.stderr
    toml.write_text(toml.read_text().replace('exclude_self_citations = "yes"', "self_cites = 1"))
    result = _run(env, "sync", "--dry-run")
    assert "[sync.inspire] self_cites: unknown setting" in result.stderr
