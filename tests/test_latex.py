"""LaTeX -> Unicode for displayed fields (pubtrack.bibtex.latex)."""

from __future__ import annotations

import pytest

from pubtrack.bibtex.latex import decode, unescape_url
from pubtrack.models import EM_CLOSE, EM_OPEN, STRONG_CLOSE, STRONG_OPEN, plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"{\"u}ber", "über"),
        (r"\"{U}ber", "Über"),
        (r"\"u", "ü"),
        (r"\'{e}t\'e", "été"),
        (r"{\'\i}", "í"),
        (r"\'{\i}", "í"),
        (r"\`a la", "à la"),
        (r"\^{o}", "ô"),
        (r"\~n", "ñ"),
        (r"\c{c}a", "ça"),
        (r"\c c", "ç"),
        (r"\v{s}\v S", "šŠ"),
        (r"\H{o}", "ő"),
        (r"\k{a}", "ą"),
        (r"\r{u}", "ů"),
        (r"\u{g}", "ğ"),
        (r"\={a}", "ā"),
        (r"\.{z}", "ż"),
        (r"Stra\ss e", "Straße"),
        (r"{\o}re", "øre"),
        (r"\O", "Ø"),
        (r"{\aa}", "å"),
        (r"\AA{}", "Å"),
        (r"\ae\oe", "æœ"),
        (r"\l{}\'od\'z", "łódź"),
        (r"Erd\H{o}s", "Erdős"),
        (r"{\"{o}}", "ö"),
    ],
)
def test_accents_in_every_spelling(text: str, expected: str) -> None:
    assert decode(text) == expected


def test_dashes_quotes_ties_and_escapes() -> None:
    assert decode("pages 1--10") == "pages 1–10"
    assert decode("yes---no") == "yes—no"
    assert decode("``quoted''") == "“quoted”"
    assert decode("n.s.~2") == "n.s.\u00a02"
    assert decode(r"R\&D 5\% \$3 a\_b \#1") == "R&D 5% $3 a_b #1"
    assert decode("single-hyphen") == "single-hyphen"


def test_protective_braces_are_removed() -> None:
    assert decode("{An} amazing {title}") == "An amazing title"
    assert decode("A {bunch {of} braces {in}} title") == "A bunch of braces in title"
    assert decode("{{BERT}}: pre-training") == "BERT: pre-training"


def test_logos_are_not_empty() -> None:
    assert decode(r"{\TeX}book") == "TeXbook"
    assert decode(r"The \LaTeX{} companion") == "The LaTeX companion"
    assert decode(r"\LaTeX is fun") == "LaTeX is fun"
    assert decode(r"{\BibTeX} styles") == "BibTeX styles"


def test_emphasis_becomes_markers() -> None:
    assert decode(r"\emph{Deep} nets") == f"{EM_OPEN}Deep{EM_CLOSE} nets"
    assert decode(r"\textit{it} \textsl{sl}") == f"{EM_OPEN}it{EM_CLOSE} {EM_OPEN}sl{EM_CLOSE}"
    assert decode(r"\textbf{bold}") == f"{STRONG_OPEN}bold{STRONG_CLOSE}"
    assert decode(r"A {\em whole group} here") == f"A {EM_OPEN}whole group{EM_CLOSE} here"
    assert decode(r"{\bf B}") == f"{STRONG_OPEN}B{STRONG_CLOSE}"
    assert plain(decode(r"On \emph{E. coli}")) == "On E. coli"
    assert decode(r"\emph{}x") == "x"  # no empty emphasis


def test_content_commands_keep_their_text() -> None:
    assert decode(r"\textsc{Caps} and \texttt{code}") == "Caps and code"
    assert decode(r"\mkbibquote{Quoted}") == "“Quoted”"
    assert decode(r"\unknowncmd{kept text}") == "kept text"
    assert decode(r"in {\ExTeX} and \relax{}plain") == "in ExTeX and plain"  # logo-like names kept
    assert decode(r"\noopsort{1982}Title") == "Title"
    assert decode(r"\href{http://x.org/a_b}{the link}") == "the link"
    assert decode(r"\url{http://a.org/~x\_y}") == "http://a.org/~x_y"


def test_math_is_left_readable() -> None:
    assert decode(r"$\alpha$-stable") == "α-stable"
    assert decode(r"$O(n^2)$ time") == "O(n²) time"
    assert decode(r"$x^{2}$ and $a_i$") == "x² and aᵢ"
    assert decode(r"$\mathcal{O}(n \log n)$") == "O(n log n)"
    assert decode(r"$\frac{1}{2}$") == "1/2"
    assert decode(r"$x^{ab}$") == "x^(ab)"
    assert decode(r"\(\beta\)-VAE") == "β-VAE"
    assert decode(r"a \[x^2\] b") == "a x² b"
    assert decode(r"$\leq$ 5") == "≤ 5"


def test_whitespace_is_collapsed_and_plain_text_untouched() -> None:
    assert decode("A  title\n   over lines") == "A title over lines"
    plain_text = "Model Balancing Helps Low-data Training"
    assert decode(plain_text) == plain_text


def test_malformed_input_never_raises() -> None:
    for text in (r"Simon {\"}the {saint", "{unbalanced", "close}", "$open math", "\\", r"\'"):
        assert isinstance(decode(text), str)
    assert "saint" in decode(r"Simon {\"}the {saint")


def test_urls_are_only_unescaped() -> None:
    assert unescape_url(r"https://x.org/a\_b?q=1\%20~c") == "https://x.org/a_b?q=1%20~c"
    assert unescape_url("{https://x.org/{A}}") == "https://x.org/A"
    assert unescape_url("http://a.org/x.pdf; https://b.org/y.pdf") == "http://a.org/x.pdf"
