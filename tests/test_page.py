"""`render --format html --standalone`: one self-contained page, tested as text and in
headless Chromium (skipped with the reason when no browser can run here)."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from browser import browser_problem, chromium_driver
from pubtrack.db import Store
from pubtrack.models import CitationCount, Library, Work
from pubtrack.testing.demo import make_demo_project


def _render(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pubtrack", "render", "--standalone", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PUBTRACK_CONFIG": str(project / "pubtrack.toml")},
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_demo_project(tmp_path_factory.mktemp("page") / "cv")
    result = _render(project, "--output", "page.html")
    assert result.returncode == 0, result.stderr
    return project / "page.html"


def test_page_is_self_contained(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # Nothing is loaded from anywhere: no src/href to a stylesheet, script or font.
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", html)
    assert not re.search(r"<link[^>]*stylesheet", html)
    assert "@import" not in html and "url(" not in html and "@font-face" not in html
    # Size budget: under 100 KB plus about 1 KB per work.
    assert len(html.encode("utf-8")) < 100_000 + 1_000 * 5


def test_page_content(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert '<strong class="pubtrack-owner">Ada Lovelace</strong>' in html
    assert "Citation counts as of: Semantic Scholar Nov 2026; OpenAlex Nov 2026." in html
    # A sparkline per paper with two or more days of counts, and the per-year chart.
    assert html.count('<svg class="spark"') == 4
    assert '<svg class="chart"' in html and "<title>2024: 23</title>" in html
    assert "@media (prefers-color-scheme:dark)" in html
    # Talks: type, and a link to the paper on the same page.
    assert 'On <a href="#pub-lovelace2025engines">' in html
    assert "Invited talk, Royal Society Lecture" in html
    # Labelled controls, hidden until the script shows them.
    for control in ("f-q", "f-year", "f-kind", "f-sort", "f-sel"):
        assert f'<label for="{control}"' in html or f'for="{control}">' in html


def test_bibtex_is_the_entry_cleaned(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    block = re.search(r'<pre id="bib-lovelace2025engines">(.*?)</pre>', html, re.DOTALL)
    assert block is not None
    bib = block.group(1)
    assert bib.startswith("@inproceedings{lovelace2025engines,")
    assert "doi = {10.5555/coe.2025.1}," in bib
    assert r"title = {Analytical Engines as \emph{General} Computers}," in bib
    for private in ("selected", "abbr", "code", "award", "google_scholar_id"):
        assert f"  {private} =" not in bib


def test_a_night_without_new_counts_leaves_the_page_alone(page: Path) -> None:
    result = _render(page.parent, "--output", "page.html")
    assert result.returncode == 0
    assert "page.html: unchanged" in result.stderr


def test_standalone_needs_html(page: Path) -> None:
    result = _render(page.parent, "--format", "md")
    assert result.returncode == 2
    assert "--standalone goes with --format html" in result.stderr


BROWSER = browser_problem()
_browser_available = pytest.mark.skipif(BROWSER is not None, reason=str(BROWSER))


def needs_browser(test):  # type: ignore[no-untyped-def]
    """A test that drives a real browser: skipped without one, and slow."""
    return pytest.mark.slow(_browser_available(test))


def _visible_titles(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return [
        li.find_element(By.CLASS_NAME, "t").text
        for li in driver.find_elements(By.CSS_SELECTOR, "#pubs > li")
        if li.is_displayed()
    ]


@needs_browser
def test_filters_and_sorting_in_a_browser(page: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    with chromium_driver(tmp_path / "profile") as driver:
        driver.get(page.as_uri())
        assert driver.find_element(By.ID, "filters").is_displayed()
        assert len(_visible_titles(driver)) == 5
        assert driver.find_element(By.ID, "f-count").text == "5 of 5 shown"

        # Keyboard: tab into the keyword box and type.
        box = driver.find_element(By.ID, "f-q")
        box.send_keys("bernoulli")
        assert _visible_titles(driver) == ["Notes on the Bernoulli Numbers"]
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.BACKSPACE)
        assert len(_visible_titles(driver)) == 5

        Select(driver.find_element(By.ID, "f-year")).select_by_visible_text("2021")
        assert _visible_titles(driver) == ["On the Limits of Mechanical Reasoning"]
        Select(driver.find_element(By.ID, "f-year")).select_by_index(0)

        Select(driver.find_element(By.ID, "f-kind")).select_by_value("journal")
        assert set(_visible_titles(driver)) == {
            "Notes on the Bernoulli Numbers",
            "Engines That Weave Algebraic Patterns",
        }
        Select(driver.find_element(By.ID, "f-kind")).select_by_index(0)

        Select(driver.find_element(By.ID, "f-sort")).select_by_value("cites")
        titles = _visible_titles(driver)
        assert titles[:3] == [
            "Notes on the Bernoulli Numbers",
            "Analytical Engines as General Computers",
            "On the Limits of Mechanical Reasoning",
        ]
        Select(driver.find_element(By.ID, "f-sort")).select_by_value("date")
        assert _visible_titles(driver)[0] == "Engines That Weave Algebraic Patterns"

        driver.find_element(By.ID, "f-sel").click()
        assert set(_visible_titles(driver)) == {
            "Analytical Engines as General Computers",
            "Notes on the Bernoulli Numbers",
        }
        assert driver.find_element(By.ID, "f-count").text == "2 of 5 shown"

        # The BibTeX block opens and its copy button is there.
        summary = driver.find_element(By.CSS_SELECTOR, "#pub-lovelace2024notes summary")
        summary.click()
        button = driver.find_element(By.CSS_SELECTOR, "#pub-lovelace2024notes button.copy")
        assert button.is_displayed()
        button.click()
        assert button.text in ("Copied", "Copy BibTeX")

        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []


@needs_browser
def test_keyboard_and_color_scheme_in_a_browser(page: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with chromium_driver(tmp_path / "profile") as driver:
        driver.get(page.as_uri())
        # The first Tab lands in the keyword box: the filters come first.
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        assert driver.switch_to.active_element.get_attribute("id") == "f-q"
        driver.switch_to.active_element.send_keys("lecture", Keys.TAB)
        assert driver.switch_to.active_element.get_attribute("id") == "f-year"
        background = "return getComputedStyle(document.body).backgroundColor"
        for scheme, color in (("light", "rgb(255, 255, 255)"), ("dark", "rgb(18, 20, 23)")):
            driver.execute_cdp_cmd(
                "Emulation.setEmulatedMedia",
                {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            )
            assert driver.execute_script(background) == color


@needs_browser
def test_page_without_javascript_shows_everything(page: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with chromium_driver(tmp_path / "profile", javascript=False) as driver:
        driver.get(page.as_uri())
        assert not driver.find_element(By.ID, "filters").is_displayed()
        assert len(_visible_titles(driver)) == 5
        assert driver.find_element(By.CSS_SELECTOR, "#talk-talk2024rs").is_displayed()


def test_size_budget_for_a_long_list(tmp_path: Path) -> None:
    from pubtrack.testing.fake_api import make_papers, write_bib

    root = tmp_path / "long"
    (root / "data").mkdir(parents=True)
    write_bib(make_papers(200, seed=1), root / "bib" / "publications.bib")
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\n[bib]\npublications = ["bib/*.bib"]\ntalks = []\n',
        encoding="utf-8",
    )
    result = _render(root, "--output", "page.html")
    assert result.returncode == 0, result.stderr
    html = (root / "page.html").read_text(encoding="utf-8")
    assert html.count('<li id="pub-') == 200
    assert len(html.encode("utf-8")) < 100_000 + 1_000 * 200


def test_page_command_is_render_standalone(page: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pubtrack", "page", "--output", "other.html"],
        cwd=page.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PUBTRACK_CONFIG": str(page.parent / "pubtrack.toml")},
    )
    assert result.returncode == 0, result.stderr
    assert (page.parent / "other.html").read_bytes() == page.read_bytes()


# -- the page's data: one query over the daily counts ---------------------------------


def _series_from_spans(store: Store, points: int) -> dict[str, Any]:
    """The page's data as it was computed before (every span of every work read into
    Python, the stats report through JSON): the oracle the one query is checked against."""
    from itertools import groupby

    from pubtrack.stats import build_stats

    papers: dict[str, dict[str, list[list[Any]]]] = {}
    for (key, source), spans in groupby(store.iter_spans(), key=lambda r: (r[0], r[1])):
        daily: list[tuple[str, int]] = []
        for span in spans:
            day, count = span[4][:10], int(span[2])
            if daily and daily[-1][0] == day:
                daily[-1] = (day, count)
            else:
                daily.append((day, count))
        days: list[tuple[str, int]] = []
        for day, count in daily:
            if not days or days[-1][1] != count:
                days.append((day, count))
        papers.setdefault(key, {})[source] = [[d, c] for d, c in days[-points:]]
    report = json.loads(build_stats(store).to_json())
    per_year = {
        name: {int(y): int(n) for y, n in (data.get("citations_per_year") or {}).items()}
        for name, data in report.get("sources", {}).items()
    }
    return {"papers": papers, "per_year": {k: v for k, v in per_year.items() if v}}


def _random_store(seed: int) -> Store:
    """Random syncs: several a day, counts that go up, down and back within a day,
    sources skipped, works not fetched, some works removed from the bib at the end."""
    rng = random.Random(seed)
    store = Store.memory()
    keys = [f"w{i}" for i in range(rng.randint(1, 8))]
    store.sync_library(Library(works=[Work(k, "article", k) for k in keys]))
    last: dict[tuple[str, str], int] = {}
    moment = datetime(2026, 1, 1, 3, tzinfo=UTC)
    for _sync in range(rng.randint(1, 60)):
        moment += timedelta(hours=rng.choice([1, 2, 6, 24, 24, 24, 48, 24 * 9]))
        ts = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        for source in ("semantic_scholar", "openalex"):
            if rng.random() < 0.2:
                continue
            counts = []
            for key in keys:
                if rng.random() < 0.8:
                    before = last.get((key, source), rng.randint(0, 9))
                    count = max(0, before + rng.choice([-1, 0, 0, 0, 1, 2, 5]))
                    last[(key, source)] = count
                    counts.append(CitationCount(key, source, count, ts))
            store.record_citations(counts)
    kept = [k for k in keys if rng.random() < 0.8]
    store.sync_library(Library(works=[Work(k, "article", k) for k in kept]))
    return store


@pytest.mark.parametrize("seed", range(30))
def test_the_series_query_gives_what_the_spans_gave_on_random_histories(seed: int) -> None:
    from pubtrack.render.page import SPARK_POINTS, load_series

    store = _random_store(seed)
    assert load_series(store) == _series_from_spans(store, SPARK_POINTS)
    for points in (1, 2, 3, 7):
        expected = _series_from_spans(store, points)["papers"]
        found = store.recent_change_points(points)
        assert {
            key: {source: [[d, c] for d, c in days] for source, days in per.items()}
            for key, per in found.items()
        } == expected
    # The parsed bib's works (count_only), as the read commands count them.
    chosen = [k for k in ("w0", "w2", "w5") if random.Random(seed).random() < 0.7]
    store.count_only(chosen)
    assert load_series(store) == _series_from_spans(store, SPARK_POINTS)
    assert set(load_series(store)["papers"]) <= set(chosen)


def test_the_series_of_the_stats_project_is_what_the_spans_gave(stats_project: Path) -> None:
    from pubtrack.render.page import SPARK_POINTS, load_series

    with Store.open_readonly(stats_project / "data" / "pubtrack.db") as store:
        found = load_series(store)
        assert found == _series_from_spans(store, SPARK_POINTS)
    assert set(found["papers"]) == {"p1", "p2", "p3"}  # p4 left the bib
    assert any(len(days) >= 2 for per in found["papers"].values() for days in per.values())
    assert found["per_year"]


def test_the_series_keeps_the_days_a_count_moved() -> None:
    """28 nightly checks, the count moving twice: three points (the first day, each
    move), the last ``points`` of them."""
    store = Store.memory()
    store.sync_library(Library(works=[Work("a", "article", "A")]))
    for day in range(1, 29):
        count = 5 if day < 10 else 7 if day < 20 else 5
        ts = f"2026-02-{day:02d}T03:00:00Z"
        store.record_citations([CitationCount("a", "openalex", count, ts)])
    assert store.recent_change_points(30) == {
        "a": {
            "openalex": [("2026-02-01", 5), ("2026-02-10", 7), ("2026-02-20", 5)],
        }
    }
    assert store.recent_change_points(2) == {
        "a": {"openalex": [("2026-02-10", 7), ("2026-02-20", 5)]}
    }


def test_a_database_that_fails_while_read_gives_the_page_without_counts(tmp_path: Path) -> None:
    """The history cannot be read (a damaged page, met while the series is read): as
    any render, the page is printed without counts and a warning; with --output it is
    an error and nothing is written."""
    from conftest import history_with_a_damaged_tail

    root = tmp_path / "damaged"
    (root / "data").mkdir(parents=True)
    (root / "bib").mkdir()
    keys = history_with_a_damaged_tail(root / "data" / "pubtrack.db")
    (root / "bib" / "publications.bib").write_text(
        "".join(
            f"@article{{{k},\n  author = {{Lovelace, Ada}},\n  title = {{Work {k}}},\n"
            f"  journal = {{J}},\n  year = {{2024}},\n}}\n\n"
            for k in [*keys, "z"]
        ),
        encoding="utf-8",
    )
    (root / "pubtrack.toml").write_text(
        '[owner]\nname = "Ada Lovelace"\n[bib]\npublications = ["bib/*.bib"]\ntalks = []\n',
        encoding="utf-8",
    )
    shown = _render(root)
    assert shown.returncode == 0, shown.stderr
    assert "pubtrack.db: cannot read citation counts: database disk image is malformed" in (
        shown.stderr
    )
    assert "rendering without citation counts" in shown.stderr
    assert shown.stdout.count('<li id="pub-') == len(keys) + 1
    assert '<svg class="spark"' not in shown.stdout and "Cited by" not in shown.stdout
    written = _render(root, "--output", "page.html")
    assert written.returncode == 1
    assert "malformed; nothing written" in written.stderr
    assert not (root / "page.html").exists()


def test_the_page_counts_the_works_of_the_parsed_bib(stats_project: Path) -> None:
    """p1 leaves the bib after the last sync: the page's sparklines and per-year chart
    drop it at once, with no sync and no write (the OpenAlex per-year counts were p1's)."""
    from pubtrack.bibtex import load_library
    from pubtrack.config import load_config
    from pubtrack.render import RenderOptions, load_stored, render_project

    config = load_config(stats_project / "pubtrack.toml")
    db = stats_project / "data" / "pubtrack.db"
    library = load_library(config)
    assert {w.key for w in library.works} == {"p1", "p2", "p3"}
    everyone = load_stored(config, library, print, series=True).series
    assert "p1" in everyone["papers"]

    def chart() -> str:
        html = render_project(config, RenderOptions(format="html", standalone=True)).text
        return html[html.index("<figure>") : html.index("</figure>")]

    with_p1 = chart()
    bib = stats_project / "bib" / "publications.bib"
    text = bib.read_text(encoding="utf-8")
    start = text.rindex("@", 0, text.index("{p1,") + 1)
    end = text.find("\n@", start + 1)
    bib.write_text(text[:start] + (text[end + 1 :] if end != -1 else ""), encoding="utf-8")
    stamp = db.stat().st_mtime_ns
    library = load_library(config)
    assert {w.key for w in library.works} == {"p2", "p3"}
    rest = load_stored(config, library, print, series=True).series
    assert "p1" not in rest["papers"]
    # p1's own OpenAlex years (2024, 2025) are gone; p2's counts remain
    assert set(everyone["per_year"]["openalex"]) >= {2024, 2025}
    assert not set(rest["per_year"].get("openalex", {})) & {2024, 2025}
    assert chart() != with_p1
    assert db.stat().st_mtime_ns == stamp
