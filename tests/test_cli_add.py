"""`pubtrack add`: every id form, the published version preferred, duplicates refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.bibtex import read_file
from pubtrack.cli import cli
from pubtrack.testing.fake_api import (
    FakeApiServer,
    _dblp_key,
    fast_sync_settings,
    make_owner_catalogue,
)
from pubtrack.works.ids import parse_work_id

TIME_SCALE = 0.01


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    catalogue = make_owner_catalogue(8, seed=7)
    with FakeApiServer(catalogue, time_scale=TIME_SCALE, openalex_api_key="k-123456") as fake:
        for name, value in fake.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENALEX_API_KEY", "k-123456")
        monkeypatch.delenv("S2_API_KEY", raising=False)
        yield fake


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cv"
    (root / "bib").mkdir(parents=True)
    (root / "bib" / "publications.bib").write_bytes(
        b"% mine\r\n@misc{old,\r\n  title = {Old},\r\n}"
    )
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Alec Thomson"\n[bib]\ntalks = []\n' + fast_sync_settings(TIME_SCALE)
    )
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    return root


def _papers(server: FakeApiServer):  # noqa: ANN202
    return server.catalogue.owner_papers  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text, kind, value",
    [
        ("2410.12178", "arxiv", "2410.12178"),
        ("arXiv:2410.12178v2", "arxiv", "2410.12178"),
        ("https://arxiv.org/abs/2410.12178v1", "arxiv", "2410.12178"),
        ("https://arxiv.org/pdf/2410.12178v2.pdf", "arxiv", "2410.12178"),
        ("hep-th/9901001", "arxiv", "hep-th/9901001"),
        ("10.1103/PhysRevD.89.084044", "doi", "10.1103/physrevd.89.084044"),
        ("doi:10.1145/3292500.3330701", "doi", "10.1145/3292500.3330701"),
        ("https://doi.org/10.1145/3292500.3330701", "doi", "10.1145/3292500.3330701"),
        ("https://doi.org/10.48550/arXiv.2410.12178", "arxiv_doi", "2410.12178"),
        (
            "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
            "semantic_scholar",
            "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
        ),
        (
            "https://www.semanticscholar.org/paper/Attention-Vaswani/204E3073870FAE3D05BCBC2F6A8E263D9B72E776",
            "semantic_scholar",
            "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
        ),
        ("CorpusId:13756489", "corpus_id", "13756489"),
        ("W2741809807", "openalex", "W2741809807"),
        ("https://openalex.org/W2741809807", "openalex", "W2741809807"),
        (
            "https://dblp.org/rec/conf/nips/VaswaniSPUJGKP17.html",
            "dblp",
            "conf/nips/VaswaniSPUJGKP17",
        ),
    ],
)
def test_every_id_form(text: str, kind: str, value: str):
    wid = parse_work_id(text)
    assert (wid.kind, wid.value) == (kind, value)


def test_a_bad_id_is_refused_before_any_request(server: FakeApiServer, project: Path):
    result = CliRunner().invoke(cli, ["add", "not-an-id"])
    assert result.exit_code == 2 and "not an id pubtrack knows" in result.output
    assert sum(server.request_counts.values()) == 0


def test_add_a_preprint_gets_the_published_version_and_keeps_the_file(
    server: FakeApiServer, project: Path
):
    paper = next(p for p in _papers(server) if p.arxiv_id and p.doi)
    bib = project / "bib" / "publications.bib"
    before = bib.read_bytes()
    result = CliRunner().invoke(cli, ["add", f"arXiv:{paper.arxiv_id}v1"])
    assert result.exit_code == 0, result.output
    assert f"was published in {paper.venue} (doi {paper.doi})" in result.output
    data = bib.read_bytes()
    assert (
        data.startswith(before)
        and b"\r\n@article{" in data
        and b"\n@" not in data[len(before) :].replace(b"\r\n@", b"")
    )
    library = read_file(bib)
    work = next(w for w in library.works if w.key != "old")
    assert work.entry_type == "article" and work.venue == paper.venue
    assert work.ids.doi == paper.doi and work.ids.arxiv == paper.arxiv_id  # both versions' ids
    assert work.fields["pdf"] == f"https://arxiv.org/pdf/{paper.arxiv_id}"
    assert work.fields["volume"] == paper.volume
    # The same work again, by its DOI: refused, naming the entry.
    again = CliRunner().invoke(cli, ["add", f"https://doi.org/{paper.doi.upper()}"])
    assert again.exit_code == 1
    assert f"already in the bib as {work.key}" in again.output
    assert bib.read_bytes() == data


def test_add_by_arxiv_doi_uses_datacite(server: FakeApiServer, project: Path):
    paper = next(p for p in _papers(server) if p.arxiv_id and not p.doi)
    result = CliRunner().invoke(cli, ["add", "--dry-run", f"10.48550/arXiv.{paper.arxiv_id}"])
    assert result.exit_code == 0, result.output
    assert server.endpoint_counts["datacite GET /dois/{doi}"] == 1
    assert (
        result.output.startswith("@misc{")
        and f"eprint        = {{{paper.arxiv_id}}}" in result.output
    )
    assert (project / "bib" / "publications.bib").read_bytes().count(b"@") == 1  # dry run


def test_add_by_s2_openalex_and_dblp_ids(server: FakeApiServer, project: Path):
    a, b, c = [p for p in _papers(server) if p.doi][:3]
    out = project / "bib" / "new.bib"
    result = CliRunner().invoke(
        cli,
        [
            "add",
            a.s2_id,
            f"https://openalex.org/{b.openalex_id}",
            f"https://dblp.org/rec/{_dblp_key(c)}.html",
            "--to",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    works = read_file(out).works
    assert sorted(w.ids.doi for w in works) == sorted([a.doi, b.doi, c.doi])
    assert all(any("Thomson" in x.last for x in w.authors) for w in works)


def test_title_needs_one_confident_match(server: FakeApiServer, project: Path):
    paper = _papers(server)[2]
    ok = CliRunner().invoke(cli, ["add", "--dry-run", "--title", paper.title.lower()])
    assert ok.exit_code == 0 and paper.title in ok.output.replace("{", "").replace("}", "")
    none = CliRunner().invoke(cli, ["add", "--title", "Completely unrelated words here"])
    assert none.exit_code == 2 and "no confident match" in none.output


def test_a_confident_title_match_counts_as_held(server: FakeApiServer, project: Path):
    paper = next(p for p in _papers(server) if p.doi)
    bib = project / "bib" / "publications.bib"
    with bib.open("a") as fh:
        fh.write(
            f"\n@article{{mine, title={{{paper.title}}}, author={{Alec Thomson}},"
            f" year={paper.year}}}\n"
        )
    result = CliRunner().invoke(cli, ["add", paper.doi])
    assert result.exit_code == 1 and "already in the bib as mine" in result.output


def test_entries_pasted_from_crossref_x_bibtex_hold_their_dois(
    server: FakeApiServer, project: Path, corpora_api: Path
):
    """Crossref's own BibTeX (recorded x-bibtex answers) in the bib: adding those DOIs
    again is refused by id, naming the entry, before any request."""
    from pubtrack.testing.fake_api.replay import read_cassette

    folder = corpora_api / "crossref"
    texts = [(folder / "bibtex-dblp_doi.org_x-bibtex_10.1007_11880561_13.bib").read_text()]
    for name in (
        "rcrossref_cr_cn_bibentry__transform_x-bibtex.yml",
        "rcrossref_cr_cn_no_agency_still_work__agency_404_and_x-bibtex.yml",
    ):
        bodies = [r.body for r in read_cassette(folder / name) if r.body.lstrip().startswith("@")]
        texts.append(bodies[0])
    assert len(texts) == 3
    bib = project / "bib" / "publications.bib"
    bib.write_text("\n".join(texts), encoding="utf-8")
    works = read_file(bib).works
    assert len(works) == 3 and all(w.ids.doi for w in works)
    before = bib.read_bytes()
    for work in works:
        result = CliRunner().invoke(cli, ["add", f"https://doi.org/{work.ids.doi.upper()}"])
        assert result.exit_code == 1
        assert f"already in the bib as {work.key} (bib/publications.bib:" in result.output
    assert sum(server.request_counts.values()) == 0
    assert bib.read_bytes() == before
