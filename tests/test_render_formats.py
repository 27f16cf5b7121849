"""Every format on tricky input: escaping, emphasis, accents, long author lists, marks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from pubtrack.models import (
    EM_CLOSE,
    EM_OPEN,
    STRONG_CLOSE,
    STRONG_OPEN,
    Author,
    Library,
    Link,
    Work,
)
from pubtrack.render import RenderOptions, render_library

OWNER = ["Zihang Liu", "Z. Liu"]


def render(works: list[Work], fmt: str, **kwargs: object) -> str:
    options = RenderOptions(format=fmt, generated_at="2026-11-28T12:00:00Z", **kwargs)  # type: ignore[arg-type]
    return render_library(Library(works=works), options, owner_names=OWNER)


def work(title: str, **kwargs: object) -> Work:
    kwargs.setdefault("authors", [Author("Zihang", "", "Liu")])
    kwargs.setdefault("year", 2024)
    return Work(kwargs.pop("key", "k"), "article", title, **kwargs)  # type: ignore[arg-type]


def many_authors(n: int, owner_at: int) -> list[Author]:
    """n authors "First1 Last1", ...; the owner at 1-based position owner_at."""
    return [
        Author("Zihang", "", "Liu") if i == owner_at else Author(f"First{i}", "", f"Last{i}")
        for i in range(1, n + 1)
    ]


# -- HTML -----------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_script_title_is_inert() -> None:
    evil = '<script>alert("x")</script> & <b>bold</b>'
    out = render(
        [work(evil, venue='Venue "<i>"', links=[Link("PDF", 'https://x.org/a"onmouseover="x')])],
        "html",
    )
    parser = _Collector()
    parser.feed(out)
    assert "script" not in parser.tags and "b" not in parser.tags and "i" not in parser.tags
    assert evil in "".join(parser.text)  # shown as text, exactly
    assert "&lt;script&gt;" in out
    assert 'href="https://x.org/a&#34;onmouseover=&#34;x"' in out


def test_html_drops_javascript_urls() -> None:
    out = render([work("T", links=[Link("PDF", "javascript:alert(1)")])], "html")
    assert "javascript:" not in out
    assert ">PDF<" not in out  # dropped, not a dead '#' link


def test_html_emphasis_owner_and_marks() -> None:
    title = f"Learning {EM_OPEN}<fast>{EM_CLOSE} and {STRONG_OPEN}strong{STRONG_CLOSE}"
    authors = [
        Author("Ana", "", "Ruiz", marks=("*",)),
        Author("Zihang", "", "Liu", marks=("*", "†")),
    ]
    out = render([work(title, authors=authors)], "html")
    assert "Learning <em>&lt;fast&gt;</em> and <strong>strong</strong>" in out
    assert (
        'Ana Ruiz<sup class="pubtrack-mark">*</sup>, '
        '<strong class="pubtrack-owner">Zihang Liu</strong><sup class="pubtrack-mark">*†</sup>'
    ) in out
    assert "\ue000" not in out and "\ue001" not in out
    assert out.count("<h2>") == 1 and "<ol" in out


# -- LaTeX -----------------------------------------------------------------------


def test_latex_specials_escaped() -> None:
    title = r"100% of $x_1$ & #2 {set} ~ ^ \cmd <a|b>"
    out = render([work(title)], "tex")
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(r"\item"))
    assert line == (
        r"  \item \textbf{100\% of \$x\_1\$ \& \#2 \{set\} \textasciitilde{} "
        r"\textasciicircum{} \textbackslash{}cmd \textless{}a\textbar{}b\textgreater{}}\\"
    )
    assert out.startswith("\\section*{Publications}\n\\begin{enumerate}\n")
    assert out.rstrip().endswith("\\end{enumerate}")


def test_latex_urls_in_href() -> None:
    url = "https://example.org/a_b/c%20d#sec~1{x}"
    out = render([work("T", links=[Link("Code", url)])], "tex")
    assert r"\href{https://example.org/a_b/c\%20d\#sec~1%7Bx%7D}{Code}" in out


def test_latex_emphasis_owner_marks() -> None:
    title = f"On {EM_OPEN}in vivo{EM_CLOSE} tests"
    authors = [Author("Zihang", "", "Liu", marks=("†",)), Author("Bo", "", "Li", marks=("*",))]
    out = render([work(title, authors=authors)], "tex")
    assert r"\textbf{On \emph{in vivo} tests}" in out
    assert r"\textbf{Zihang Liu}\textsuperscript{\textdagger{}}, Bo Li\textsuperscript{*}" in out


# -- Markdown -----------------------------------------------------------------------


def test_markdown_specials_do_not_break_the_list() -> None:
    works = [
        work("1. *Not* a [link](x) <b>_under_</b> `code` | pipe", key="a", year=2024),
        work("# Not a heading", key="b", year=2023, venue="- not a list"),
        work("Plain", key="c", year=2022),
    ]
    out = render(works, "md")
    lines = out.splitlines()
    assert (
        lines[2]
        == (r"1. **1\. \*Not\* a \[link\](x) \<b\>\_under\_\</b\> \`code\` \| pipe**\ "[:-1])
    )
    assert r"2. **\# Not a heading**\ "[:-1] in lines
    assert r"   \- not a list, 2023\ "[:-1] in lines
    # Three items, numbered 1-3, each starting a line.
    assert [ln[:3] for ln in lines if re.match(r"^\d+\. ", ln)] == ["1. ", "2. ", "3. "]


def test_markdown_hard_breaks_and_indent_for_two_digit_numbers() -> None:
    works = [work(f"Title {i}", key=f"k{i}", year=2000 + i) for i in range(1, 12)]
    out = render(works, "md")
    item10 = out.split("\n\n")[10]
    assert item10.startswith("10. **Title 2**\\\n    ")  # continuation under the text
    for item in out.split("\n\n")[1:]:
        body = item.splitlines()
        assert all(ln.endswith("\\") for ln in body[:-1])
        assert not body[-1].endswith("\\")


def test_markdown_emphasis_and_marks() -> None:
    title = f"A {EM_OPEN}fast{EM_CLOSE} {STRONG_OPEN}method{STRONG_CLOSE}"
    authors = [Author("Zihang", "", "Liu", marks=("*",)), Author("Bo", "", "Li", marks=("†",))]
    out = render([work(title, authors=authors)], "md")
    assert "1. **A *fast* method**\\" in out  # already bold: no nested **
    assert r"   **Zihang Liu**\*, Bo Li†" in out


def test_markdown_url_with_parentheses() -> None:
    out = render([work("T", links=[Link("PDF", "https://x.org/a (1).pdf")])], "md")
    assert "[PDF](https://x.org/a%20%281%29.pdf)" in out


# -- all formats -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "tex", "json"])
def test_accents_survive(fmt: str) -> None:
    authors = [Author("José", "", "Núñez"), Author("Zíhang", "", "LIU")]
    out = render([work("Über café naïveté", authors=authors, venue="Études")], fmt)
    for text in ("Über café naïveté", "José Núñez", "Études"):
        assert text in out
    if fmt == "md":
        assert "**Zíhang LIU**" in out  # the owner, accent- and case-insensitively


@pytest.mark.parametrize(
    ("fmt", "owner", "ellipsis"),
    [
        ("md", "**Zihang Liu**", "…"),
        ("html", '<strong class="pubtrack-owner">Zihang Liu</strong>', "…"),
        ("tex", r"\textbf{Zihang Liu}", r"\ldots{}"),
    ],
)
def test_long_author_list_keeps_owner_at_15(fmt: str, owner: str, ellipsis: str) -> None:
    out = render([work("T", authors=many_authors(30, 15))], fmt, max_authors=10)
    names = ", ".join(f"First{i} Last{i}" for i in range(1, 9))
    assert f"{names}, {ellipsis}, {owner}, {ellipsis}, First30 Last30" in out
    assert "First9 Last9" not in out and "First16 Last16" not in out


def test_long_author_list_json_keeps_everyone() -> None:
    out = json.loads(render([work("T", authors=many_authors(30, 15))], "json", max_authors=10))
    assert len(out["publications"][0]["authors"]) == 30
    assert out["publications"][0]["authors_detail"][14] == {
        "name": "Zihang Liu",
        "marks": [],
        "owner": True,
    }


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("md", "**Zihang Liu**, Bo Li, et al."),
        ("html", '<strong class="pubtrack-owner">Zihang Liu</strong>, Bo Li, et al.'),
        ("tex", r"\textbf{Zihang Liu}, Bo Li, et al."),
    ],
)
def test_and_others_is_et_al(fmt: str, expected: str) -> None:
    authors = [Author("Zihang", "", "Liu"), Author("Bo", "", "Li"), Author(is_others=True)]
    assert expected in render([work("T", authors=authors)], fmt)


def test_and_others_kept_after_truncation() -> None:
    authors = [*many_authors(12, 1), Author(is_others=True)]
    out = render([work("T", authors=authors)], "md", max_authors=5)
    assert "**Zihang Liu**, First2 Last2, First3 Last3, First4 Last4, …, et al." in out


def test_max_authors_zero_keeps_all() -> None:
    out = render([work("T", authors=many_authors(30, 15))], "md", max_authors=0)
    assert "…" not in out and "First29 Last29" in out


@pytest.mark.parametrize("fmt", ["md", "html", "tex"])
def test_compact_style_one_line_per_work(fmt: str) -> None:
    works = [work(f"Title {i}", key=f"k{i}", year=2000 + i) for i in range(3)]
    out = render(works, fmt, style="compact")
    item_lines = [ln for ln in out.splitlines() if "Title " in ln]
    assert len(item_lines) == 3
    assert "Title 2." in item_lines[0]  # newest first, title ends with a period


@pytest.mark.parametrize("fmt", ["md", "html", "tex"])
def test_custom_template(tmp_path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    template = tmp_path / "mine.j2"
    template.write_text(
        "{% for p in publications %}[{{ p.number }}] {{ p.title|text }} / "
        "{{ p.authors|authors }} / {{ p.venue_line|text }}\n{% endfor %}"
        "owner={{ owner }} at {{ generated_at }}\n",
        encoding="utf-8",
    )
    out = render([work("A & B <c>", venue="V_1")], fmt, template=template)
    escaped = {
        "md": r"[1] A & B \<c\> / **Zihang Liu** / V\_1, 2024",
        "html": '[1] A &amp; B &lt;c&gt; / <strong class="pubtrack-owner">Zihang Liu</strong>'
        " / V_1, 2024",
        "tex": r"[1] A \& B \textless{}c\textgreater{} / \textbf{Zihang Liu} / V\_1, 2024",
    }[fmt]
    assert out == f"{escaped}\nowner=Zihang Liu at 2026-11-28T12:00:00Z\n"


def test_custom_template_errors_are_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pubtrack.errors import BadInputError

    template = tmp_path / "broken.j2"
    template.write_text("{% for p in publications %}\n{{ p.nope }}\n", encoding="utf-8")
    with pytest.raises(BadInputError, match=r"broken\.j2:\d+"):
        render([work("T")], "md", template=template)
    template.write_text("{{ no_such_variable }}", encoding="utf-8")
    with pytest.raises(BadInputError, match="no_such_variable"):
        render([work("T")], "md", template=template)


def test_markdown_renders_as_intended_in_commonmark() -> None:
    """Parse the output as GitHub would (CommonMark + tables): items, breaks, text."""
    markdown_it = pytest.importorskip("markdown_it")
    works = [
        work("1. *Not* a [link](x) <b>_under_</b> `code` | pipe", key="a", year=2024),
        work("# Not a heading", key="b", year=2023, venue="- not a list"),
        work("x", key="c", year=2022, authors=[Author("Zihang", "", "Liu", marks=("*",))]),
    ]
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(render(works, "md"))
    assert html.count("<li>") == 3 and "<ul>" not in html and "<h1>" not in html
    title = "1. *Not* a [link](x) &lt;b&gt;_under_&lt;/b&gt; `code` | pipe"
    assert f"<strong>{title}</strong><br />" in html
    assert "- not a list, 2023<br />" in html
    assert "<strong>Zihang Liu</strong>*" in html


def test_unbalanced_markers_never_leak() -> None:
    title = f"A {EM_OPEN}open and {STRONG_OPEN}x{STRONG_CLOSE} close{EM_CLOSE}{EM_CLOSE} {EM_OPEN}z"
    for fmt in ("md", "html", "tex", "json"):
        out = render([work(title)], fmt)
        assert not any(c in out for c in (EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE))
    assert "**A *open and x close* z**" in render([work(title)], "md")


@pytest.mark.parametrize(
    ("fmt", "heading", "continued"),
    [
        ("md", "### 2023\n\n2. **Old**", None),
        ("html", '<h3 class="pubtrack-group">2023</h3>', '<ol class="pubtrack-list" start="2">'),
        ("tex", "\\subsection*{2023}", "\\setcounter{enumi}{1}"),
    ],
)
def test_grouped_numbering_continues(fmt: str, heading: str, continued: str | None) -> None:
    works = [work("New", key="a", year=2024), work("Old", key="b", year=2023)]
    out = render(works, fmt, group_by="year")
    assert heading in out
    if continued:
        assert continued in out


TRICKY_TITLE = (
    f"<script>alert(1)</script> 50% & $5 #1 under_score {{x}} ~ ^ \\ *star* [l](u) `c` | "
    f"{EM_OPEN}Émphasis{EM_CLOSE} naïve"
)


@pytest.mark.parametrize("style", ["default", "compact"])
@pytest.mark.parametrize("fmt", ["md", "html", "tex", "json"])
def test_every_format_on_one_tricky_work(fmt: str, style: str) -> None:
    authors = [*many_authors(20, 15), Author(is_others=True)]
    authors[0] = Author("Ana", "", "Ruiz", marks=("*",))
    authors[14] = Author("Zihang", "", "Liu", marks=("*",))
    w = work(TRICKY_TITLE, authors=authors, venue="Proc. of A & B_C", award="Best <Paper>")
    w.links = [Link("PDF", "https://x.org/a_b%20c#frag")]
    out = render([w], fmt, style=style, max_authors=6)
    assert not any(c in out for c in (EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE))
    assert "naïve" in out and "Ruiz" in out
    if fmt == "json":
        pub = json.loads(out)["publications"][0]
        assert pub["title"] == TRICKY_TITLE.replace(EM_OPEN, "").replace(EM_CLOSE, "")
        assert pub["award"] == "Best <Paper>" and len(pub["authors"]) == 21
        return
    assert "<script>" not in out  # inert: escaped in md and html, \textless{} in tex
    # The owner stays visible in the shortened list, and "and others" ends it.
    owner = {"md": "**Zihang Liu**", "html": "pubtrack-owner", "tex": r"\textbf{Zihang Liu}"}
    assert owner[fmt] in out and "et al." in out and "First20" not in out
    if fmt == "tex":
        body = re.sub(r"\\href\{[^}]*\}", "", out)
        assert not re.search(r"(?<!\\)[&%$#_]", body)  # every special escaped outside URLs
        assert r"\href{https://x.org/a_b\%20c\#frag}{PDF}" in out
    if fmt == "md":
        assert r"\<script\>alert(1)\</script\>" in out and r"\*star\* \[l\](u) \`c\` \|" in out
    if fmt == "html":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "Best &lt;Paper&gt;" in out
