"""The rendered list as a CV reader expects it: entry kinds, forthcoming work first,
a legend for author marks, talks with type and paper, marker options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pubtrack.cli import cli
from pubtrack.db import Store
from pubtrack.models import CitationCount

REPO = Path(__file__).resolve().parent.parent

PUBS = r"""
@phdthesis{thesis, title = {On Engines}, author = {Lovelace, Ada},
  school = {University of London}, year = 2019}
@techreport{tr, title = {A Report}, author = {Lovelace, Ada},
  institution = {Analytical Society}, number = {TR-2020-7}, year = 2020}
@incollection{chap, title = {A Chapter}, author = {Lovelace, Ada and Babbage, Charles},
  booktitle = {Handbook of Engines}, publisher = {Springer}, pages = {12--34}, year = 2021}
@article{jour, title = {A Journal Paper},
  author = {Lovelace*, Ada and Babbage*, Charles and Somerville$^\dagger$, Mary},
  journal = {Journal of Engines}, volume = {12}, number = {3}, pages = {45--67}, year = 2022,
  doi = {10.1234/jour}, selected = {true}, semantic_scholar = {abc123}}
@inproceedings{future, title = {Future Work}, author = {Lovelace, Ada},
  booktitle = {NeurIPS}, year = 2018, pubstate = {forthcoming}}
@article{review, title = {Under Review Paper}, author = {Lovelace, Ada},
  journal = {Nature}, year = {2025}, note = {Under review}}
@mastersthesis{ms, title = {Small Engines}, author = {Lovelace, Ada},
  school = {King's College}, year = 2016}
"""

TALKS = r"""
@misc{t1, title = {Engines}, eventtitle = {Royal Society}, date = {2023-05-01},
  type = {invited}, publication = {jour}}
@misc{t2, title = {Other}, eventtitle = {Workshop}, date = {2022-05-01}, type = {keynote}}
"""


@pytest.fixture
def cv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cv"
    (root / "bib").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\n[bib]\npublications = ["bib/pubs.bib"]\n'
        'talks = ["bib/talks.bib"]\n',
        encoding="utf-8",
    )
    (root / "bib" / "pubs.bib").write_text(PUBS, encoding="utf-8")
    (root / "bib" / "talks.bib").write_text(TALKS, encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.delenv("PUBTRACK_CONFIG", raising=False)
    monkeypatch.delenv("PUBTRACK_DB", raising=False)
    monkeypatch.setenv("PUBTRACK_NO_CACHE", "1")
    return root


def render(*args: str) -> str:
    result = CliRunner().invoke(cli, ["render", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_entry_kinds_say_what_they_are(cv: Path) -> None:
    out = render()
    assert "PhD thesis, University of London, 2019" in out
    assert "Master's thesis, King's College, 2016" in out
    assert "Technical report TR-2020-7, Analytical Society, 2020" in out
    assert "In: Handbook of Engines (Springer), pp. 12–34, 2021" in out
    assert "Journal of Engines 12(3), 45–67, 2022" in out


def test_forthcoming_work_is_labelled_and_listed_first(cv: Path) -> None:
    out = render()
    titles = re.findall(r"^\d+\. \*\*(.+?)\*\*", out, re.MULTILINE)
    assert titles[:2] == ["Under Review Paper", "Future Work"]
    assert "Nature, 2025 (under review)" in out
    assert "NeurIPS, 2018 (to appear)" in out
    # The rest stays newest first.
    assert titles[2:] == ["A Journal Paper", "A Chapter", "A Report", "On Engines", "Small Engines"]


def test_legend_only_when_marks_appear(cv: Path) -> None:
    out = render()
    assert r"\* Equal contribution · † Corresponding author" in out
    html = render("--format", "html")
    legend = '<p class="pubtrack-legend"><sup class="pubtrack-mark">*</sup> Equal contribution'
    assert legend in html
    (cv / "bib" / "pubs.bib").write_text(PUBS.replace("*", "").replace(r"$^\dagger$", ""))
    assert "Equal contribution" not in render()


def test_legend_meanings_come_from_the_config(cv: Path) -> None:
    config = cv / "pubtrack.toml"
    config.write_text(
        config.read_text() + '[render]\nmarks = { "†" = "Equal advising" }\n', encoding="utf-8"
    )
    assert "† Equal advising" in render()


def test_talks_show_type_and_link_their_paper(cv: Path) -> None:
    out = render("--section", "talks")
    assert (
        "| May 1, 2023 | Royal Society | Invited talk | "
        "Engines (on [*A Journal Paper*](https://doi.org/10.1234/jour)) |" in out
    )
    assert "| Workshop | Keynote | Other |" in out
    html = render("--format", "html")
    assert '<td class="pubtrack-talk-type">Invited talk</td>' in html
    assert '(on <a href="#pub-jour">A Journal Paper</a>)' in html
    # Without the publications on the page, the link goes to the paper itself.
    talks_only = render("--format", "html", "--section", "talks")
    assert '(on <a href="https://doi.org/10.1234/jour">A Journal Paper</a>)' in talks_only


def test_selected_applies_to_talks(cv: Path) -> None:
    out = render("--selected")
    assert "A Journal Paper" in out and "Future Work" not in out
    assert "Engines (on [*A Journal Paper*]" in out  # given on a selected paper
    assert "Workshop" not in out


def test_group_by_year_does_not_repeat_the_year(cv: Path) -> None:
    out = render("--group-by", "year")
    assert "### 2022" in out
    assert "Journal of Engines 12(3), 45–67\\" in out
    assert "### Under review" in out and "### To appear" in out
    assert "2022\\" not in out.split("### 2022")[1].split("###")[0]


def _counts(cv: Path) -> None:
    with Store.open(cv / "data" / "pubtrack.db") as store:
        store.record_citations(
            [
                CitationCount("jour", "semantic_scholar", 42, "2026-11-28T03:00:00Z"),
                CitationCount("jour", "crossref", 40, "2026-11-27T03:00:00Z"),
            ]
        )


def test_cited_by_links_and_number_style(cv: Path) -> None:
    _counts(cv)
    out = render()
    assert "Cited by 42 (Semantic Scholar, 28 Nov 2026) · Crossref 40 (27 Nov 2026)" in out
    linked = render("--cited-by-link")
    assert (
        "[Cited by 42](https://www.semanticscholar.org/paper/abc123#citing-papers)"
        " (Semantic Scholar, 28 Nov 2026)" in linked
    )
    assert "   Cited by 42\n" in render("--citation-style", "count") + "\n"
    number = render("--citation-style", "number", "--cited-by-link", "--format", "html")
    assert (
        '<div class="pubtrack-citations"><a href="https://www.semanticscholar.org/paper/'
        'abc123#citing-papers">42</a></div>' in number
    )


def test_inject_marker_options(cv: Path) -> None:
    readme = cv / "README.md"
    readme.write_text(
        "# Ada\n\n## Selected\n<!-- pubtrack:publications selected group-by=year -->\n"
        "<!-- /pubtrack:publications -->\n\n## All\n<!-- pubtrack:publications -->\n"
        "<!-- /pubtrack:publications -->\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["render", "--inject", "README.md"])
    assert result.exit_code == 0, result.output
    text = readme.read_text(encoding="utf-8")
    selected, full = text.split("## All")
    assert "### 2022" in selected and "A Journal Paper" in selected
    assert "On Engines" not in selected
    assert "On Engines" in full and "### 2022" not in full
    # Running again changes nothing.
    before = readme.read_bytes()
    result = CliRunner().invoke(cli, ["render", "--inject", "README.md", "--exit-code"])
    assert result.exit_code == 0 and readme.read_bytes() == before


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("selected colour=red", "unknown marker option 'colour'"),
        ("group-by=decade", "group-by='decade': choose from none, year, type"),
        ("selected=yes", "marker option selected takes no value"),
        ("max-authors=many", "needs a number"),
    ],
)
def test_bad_marker_options_are_refused(cv: Path, marker: str, message: str) -> None:
    readme = cv / "README.md"
    content = f"<!-- pubtrack:publications {marker} -->\n<!-- /pubtrack:publications -->\n"
    readme.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(cli, ["render", "--inject", "README.md"])
    assert result.exit_code == 2
    assert "README.md:1: " in result.output and message in result.output
    assert readme.read_text(encoding="utf-8") == content


def test_inject_dates_counts_by_month_so_nights_do_not_churn(cv: Path) -> None:
    _counts(cv)
    readme = cv / "README.md"
    readme.write_text("<!-- pubtrack:publications -->\n<!-- /pubtrack:publications -->\n")
    CliRunner().invoke(cli, ["render", "--inject", "README.md"])
    assert "Cited by 42 (Semantic Scholar, Nov 2026)" in readme.read_text(encoding="utf-8")
    # A later fetch of the same count in the same month leaves the file alone.
    with Store.open(cv / "data" / "pubtrack.db") as store:
        store.record_citations(
            [CitationCount("jour", "semantic_scholar", 42, "2026-11-29T03:00:00Z")]
        )
    result = CliRunner().invoke(cli, ["render", "--inject", "README.md", "--exit-code"])
    assert result.exit_code == 0, result.output
    assert "README.md: unchanged" in result.output


def test_readme_custom_template_example_renders_one_entry_per_line(cv: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own template", 1)[1]
    example = re.search(r"```jinja\n(.*?)```", section, re.DOTALL)
    assert example is not None
    template = cv / "mine.md.j2"
    template.write_text(example.group(1), encoding="utf-8")
    _counts(cv)
    lines = [ln for ln in render("--template", str(template)).splitlines() if ln.strip()]
    assert len(lines) == 7
    assert all(ln.startswith("- ") for ln in lines)
    assert "- A Journal Paper (2022), 42 citations" in lines


def test_json_says_the_status(cv: Path) -> None:
    import json

    data = json.loads(render("--format", "json"))
    status = {p["key"]: p["status"] for p in data["publications"]}
    assert status["review"] == "under review"
    assert status["future"] == "to appear"
    assert status["jour"] is None


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"pubstate": "forthcoming"}, "to appear"),
        ({"pubstate": "inpress"}, "in press"),
        ({"pubstate": "submitted"}, "under review"),
        ({"year": "To appear"}, "to appear"),
        ({"note": "Under review at JMLR"}, "under review"),
        ({"note": "Accepted at ICML 2023 (oral)"}, None),  # says nothing about being out yet
        ({"note": "Oral presentation"}, None),
    ],
)
def test_publication_status(fields: dict[str, str], status: str | None) -> None:
    from pubtrack.models import Work
    from pubtrack.render.context import publication_status

    assert publication_status(Work("k", "article", "T", fields=fields)) == status
