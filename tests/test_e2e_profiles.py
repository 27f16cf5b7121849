"""End to end, as subprocesses against the fake APIs: a list that keeps itself.

A new user with only an ORCID iD gets a project whose check is clean and whose
render lists exactly their works; a second import adds nothing; discover on a
project missing three works proposes exactly those three; fix upgrades a
preprint and the diff touches only its fields; a renamed key keeps its history.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pubtrack.identity import normalize_title
from pubtrack.testing.fake_api import (
    OWNER,
    Catalogue,
    FakeApiServer,
    fast_sync_settings,
    make_owner_catalogue,
)

pytestmark = pytest.mark.slow  # real subprocesses against the fake API server

TIME_SCALE = 0.01
OPENALEX_KEY = "e2e-profiles-openalex-key-89"
N_WORKS = 10


@dataclass
class Env:
    tmp: Path
    server: FakeApiServer
    catalogue: Catalogue
    env: dict[str, str]

    def run(self, *args: str, cwd: Path | None = None, stdin: str | None = None):
        result = subprocess.run(
            [sys.executable, "-m", "pubtrack", *args],
            cwd=cwd or self.tmp / "cv",
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            input=stdin,
        )
        assert OPENALEX_KEY not in result.stdout + result.stderr
        return result

    @property
    def owner_papers(self):  # noqa: ANN201
        return self.catalogue.owner_papers  # type: ignore[attr-defined]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Env]:
    catalogue = make_owner_catalogue(N_WORKS, seed=5)
    server = FakeApiServer(catalogue, time_scale=TIME_SCALE, openalex_api_key=OPENALEX_KEY)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PUBTRACK_") and "API_KEY" not in k
    }
    env.update(OPENALEX_API_KEY=OPENALEX_KEY, PYTHONWARNINGS="ignore")
    with server:
        env.update(server.env())
        yield Env(tmp_path, server, catalogue, env)


def _speed_up(root: Path) -> None:
    """The fake's limits are scaled down: let the client keep scaled intervals too."""
    with (root / "pubtrack.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + fast_sync_settings(TIME_SCALE))


def _rendered_titles(world: Env) -> list[str]:
    out = world.run("render", "--format", "json")
    assert out.returncode == 0, out.stderr
    return [p["title"] for p in json.loads(out.stdout)["publications"]]


def test_new_user_with_only_an_orcid_gets_a_clean_project_with_exactly_their_works(world: Env):
    result = world.run("init", "cv", "--orcid", OWNER["orcid"], cwd=world.tmp)
    assert result.returncode == 0, result.stderr
    root = world.tmp / "cv"
    toml = (root / "pubtrack.toml").read_text()
    assert f'name = "{OWNER["name"]}"' in toml
    assert f'orcid = "{OWNER["orcid"]}"' in toml
    check = world.run("check")
    assert check.returncode == 0, check.stdout + check.stderr
    titles = _rendered_titles(world)
    expected = {normalize_title(p.title) for p in world.owner_papers}
    # ...including the work only ORCID knows (its authors from ORCID's full record).
    only_orcid = world.catalogue.orcid_only  # type: ignore[attr-defined]
    expected |= {normalize_title(p.title) for p in only_orcid}
    assert sorted(normalize_title(t) for t in titles) == sorted(expected)  # one entry per work
    bib = (root / "bib" / "publications.bib").read_text()
    assert 'author = {Thomson, Alec and Bergstr{\\"o}m, Ingrid}' in re.sub(r" +=", " =", bib)
    # Published preprints: the journal version with the preprint's arXiv id on the same entry.
    for paper in world.owner_papers:
        if paper.doi and paper.arxiv_id:
            entry = bib[bib.index(paper.doi) - 600 : bib.index(paper.doi) + 200]
            assert paper.arxiv_id in entry
    # A second import adds nothing and leaves the file byte for byte.
    _speed_up(root)
    before = (root / "bib" / "publications.bib").read_bytes()
    again = world.run(
        "import",
        "--orcid",
        OWNER["orcid"],
        "--s2-author",
        OWNER["s2"],
        "--openalex-author",
        OWNER["openalex"],
        "--dblp",
        OWNER["dblp"],
        "--yes",
    )
    assert again.returncode == 0, again.stderr
    assert "Nothing to add." in again.stdout
    # OpenAlex lists preprints apart from their journal versions: more records than works,
    # deduplicated into one entry per work.
    listed = int(re.search(r"(\d+) on openalex", again.stdout).group(1))
    assert listed > N_WORKS
    assert f": {N_WORKS + 1} distinct work(s) of yours." in again.stdout
    assert f"{N_WORKS + 1} work(s) already in the bib." in again.stdout
    assert "looks merged with a namesake" in again.stderr
    assert "the owner is not among the authors" in again.stderr
    assert (root / "bib" / "publications.bib").read_bytes() == before


def _drop_entries(bib: Path, n: int) -> list[str]:
    """Remove the first n entries; their titles."""
    text = bib.read_text()
    starts = [m.start() for m in re.finditer(r"^@", text, re.M)]
    removed = [
        text[s : starts[i + 1] if i + 1 < len(starts) else len(text)]
        for i, s in enumerate(starts[:n])
    ]
    for chunk in removed:
        text = text.replace(chunk, "")
    bib.write_text(text)
    return [re.search(r"title\s*=\s*\{(.*)\},", c).group(1) for c in removed]


def test_discover_proposes_exactly_the_three_missing_works(world: Env):
    assert world.run("init", "cv", "--orcid", OWNER["orcid"], cwd=world.tmp).returncode == 0
    root = world.tmp / "cv"
    _speed_up(root)
    toml = root / "pubtrack.toml"
    text = toml.read_text()
    for name, value in (
        ("semantic_scholar_id", OWNER["s2"]),
        ("openalex_id", OWNER["openalex"]),
        ("dblp", OWNER["dblp"]),
    ):
        text = text.replace(f'{name} = ""', f'{name} = "{value}"')
    toml.write_text(text)
    missing = _drop_entries(root / "bib" / "publications.bib", 3)
    result = world.run("discover")
    assert result.returncode == 0, result.stderr
    proposed = re.findall(r"^\s+\d+\. (.*) \(\d{4};", result.stdout, re.M)
    assert sorted(normalize_title(t) for t in proposed) == sorted(
        normalize_title(t.replace("{", "").replace("}", "")) for t in missing
    )
    # Never the namesake's papers nor the paper the owner did not write.
    assert "Alexandra" not in result.stdout
    assert "merged with a namesake" in result.stderr
    # --ignore keeps one away; --add --pick appends one of the others; then --add the rest.
    ignored = next(t for t in proposed)
    assert world.run("discover", "--ignore", ignored).returncode == 0
    listed = world.run("discover")
    assert ignored not in listed.stdout and "(1 ignored work(s) not shown.)" in listed.stdout
    picked = world.run("discover", "--add", "--yes", "--pick", "2")
    assert picked.returncode == 0 and "Added 1 work(s)" in picked.stdout
    rest = world.run("discover", "--add", "--yes")
    assert (
        "1 work(s) of yours are not in the bib" in rest.stdout and "Added 1 work(s)" in rest.stdout
    )
    final = world.run("discover")
    assert "Nothing missing" in final.stdout
    assert world.run("check").returncode == 0


def test_fix_upgrades_a_preprint_and_the_diff_touches_only_its_fields(world: Env):
    root = world.tmp / "cv"
    assert world.run("init", "cv", cwd=world.tmp).returncode == 0
    _speed_up(root)
    toml = root / "pubtrack.toml"
    toml.write_text(toml.read_text().replace('name = ""', f'name = "{OWNER["name"]}"'))
    paper = next(p for p in world.owner_papers if p.arxiv_id and p.doi)
    other = next(p for p in world.owner_papers if p.doi and not p.arxiv_id)
    bib = root / "bib" / "publications.bib"
    original = (
        bib.read_text() + f"\n@misc{{pre,\r\n  title = {{{paper.title}}},\r\n"
        f"  author = {{{' and '.join(paper.authors)}}},\r\n"
        f"  year = {paper.year},\r\n  eprint = {{{paper.arxiv_id}}},\r\n"
        "  archiveprefix = {arXiv}\r\n}\r\n"
        f"\n@article{{kept,\n  title={{{other.title}}}, author={{{' and '.join(other.authors)}}},\n"
        f"  journal = {{{other.venue}}}, year = {other.year}, doi = {{{other.doi}}}}}\n"
    )
    bib.write_bytes(original.encode("utf-8"))
    sync = world.run(
        "sync", "--source", "arxiv", "--source", "semantic_scholar", "--source", "crossref"
    )
    assert sync.returncode == 0, sync.stderr
    assert f"Published: pre: arXiv {paper.arxiv_id} was published in {paper.venue}" in sync.stdout
    check = world.run("check")
    assert "was published in" in check.stdout and "pubtrack fix applies it" in check.stdout
    dry = world.run("fix", "--dry-run")
    assert bib.read_bytes() == original.encode("utf-8")
    changed = [
        ln for ln in dry.stdout.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")
    ]
    assert sorted(changed) == sorted(
        [
            "-@misc{pre,",
            "+@article{pre,",
            "-  archiveprefix = {arXiv}",
            "+  archiveprefix = {arXiv},",
            f"+  doi = {{{paper.doi}}},",
            f"+  journal = {{{paper.venue}}}",
        ]
    )
    no_tty = world.run("fix")  # no terminal, no --yes: nothing applied
    assert bib.read_bytes() == original.encode("utf-8")
    assert "pass --yes" in no_tty.stderr
    applied = world.run("fix", "--yes")
    assert applied.returncode == 0
    new = bib.read_bytes()
    assert (root / "bib" / "publications.bib.bak").read_bytes() == original.encode("utf-8")
    # Every byte outside the entry is the same; CRLF kept inside it; the arXiv id kept.
    head = original[: original.index("@misc{pre,")].encode()
    tail = original[original.index("\n@article{kept,") :].encode()
    assert new.startswith(head) and new.endswith(tail)
    assert f"eprint = {{{paper.arxiv_id}}},\r\n".encode() in new
    assert world.run("fix").stdout.strip() == "Nothing to fix."


def test_a_renamed_key_keeps_its_history_and_no_false_h_index_move(world: Env):
    root = world.tmp / "cv"
    assert world.run("init", "cv", "--orcid", OWNER["orcid"], cwd=world.tmp).returncode == 0
    _speed_up(root)
    first = world.run("sync", "--source", "semantic_scholar")
    assert first.returncode == 0, first.stderr
    bib = root / "bib" / "publications.bib"
    key = re.search(r"^@\w+\{([^,]+),", bib.read_text(), re.M).group(1)
    before = world.run("history", key).stdout
    assert before.strip()
    bib.write_text(bib.read_text().replace("{" + key + ",", "{renamed2026,", 1))
    world.server.set_citations(bump=0)
    second = world.run("sync", "--source", "semantic_scholar", "--all")
    assert second.returncode == 0
    assert "h-index" not in second.stdout  # no move: the renamed work kept its count
    after = world.run("history", "renamed2026").stdout
    # The first night's count came along with the work; the second night added one row.
    assert after.count("semantic_scholar") == before.count("semantic_scholar") + 1
    assert before.splitlines()[1] in after
