"""LaTeX -> Unicode for displayed fields (pubtrack.bibtex.latex)."""

from __future__ import annotations

import pytest

from pubtrack.bibtex.latex import decode, unescape_url, unknown_commands
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


# -- The LaTeX2e text symbols (base set + textcomp), as the LaTeX2e sources and
# the Comprehensive LaTeX Symbol List name them: every one prints a character.
@pytest.mark.parametrize(
    ("command", "char"),
    [
        ("textquotesingle", "'"),
        ("textquotedbl", '"'),
        ("textsection", "§"),
        ("S", "§"),
        ("textparagraph", "¶"),
        ("P", "¶"),
        ("textdagger", "†"),
        ("dag", "†"),
        ("textdaggerdbl", "‡"),
        ("ddag", "‡"),
        ("textcopyright", "©"),
        ("copyright", "©"),
        ("textsterling", "£"),
        ("pounds", "£"),
        ("textregistered", "®"),
        ("texttrademark", "™"),
        ("textquoteleft", "‘"),
        ("textquoteright", "’"),
        ("textquotedblleft", "“"),
        ("textquotedblright", "”"),
        ("quotedblbase", "„"),
        ("quotesinglbase", "‚"),
        ("guillemotleft", "«"),
        ("guillemotright", "»"),
        ("guilsinglleft", "‹"),
        ("guilsinglright", "›"),
        ("textendash", "–"),
        ("textemdash", "—"),
        ("textellipsis", "…"),
        ("textbullet", "•"),
        ("textperiodcentered", "·"),
        ("textexclamdown", "¡"),
        ("textquestiondown", "¿"),
        ("textasciicircum", "^"),
        ("textasciitilde", "~"),
        ("textbackslash", "\\"),
        ("textbar", "|"),
        ("textbardbl", "‖"),
        ("textbraceleft", "{"),
        ("textbraceright", "}"),
        ("textdollar", "$"),
        ("textless", "<"),
        ("textgreater", ">"),
        ("textunderscore", "_"),
        ("textvisiblespace", "␣"),
        ("textordfeminine", "ª"),
        ("textordmasculine", "º"),
        ("textasciigrave", "`"),
        ("textasciiacute", "´"),
        ("textasciidieresis", "¨"),
        ("textasciimacron", "¯"),
        ("textasciibreve", "˘"),
        ("textasciicaron", "ˇ"),
        ("textacutedbl", "˝"),
        ("textdegree", "°"),
        ("textcelsius", "℃"),
        ("textmu", "µ"),
        ("textohm", "Ω"),
        ("textpm", "±"),
        ("texttimes", "×"),
        ("textdiv", "÷"),
        ("textminus", "−"),
        ("textonehalf", "½"),
        ("textonequarter", "¼"),
        ("textthreequarters", "¾"),
        ("textonesuperior", "¹"),
        ("texttwosuperior", "²"),
        ("textthreesuperior", "³"),
        ("textperthousand", "‰"),
        ("textpertenthousand", "‱"),
        ("textcent", "¢"),
        ("textcurrency", "¤"),
        ("textyen", "¥"),
        ("texteuro", "€"),
        ("textwon", "₩"),
        ("textnaira", "₦"),
        ("textpeso", "₱"),
        ("textbaht", "฿"),
        ("textlira", "₤"),
        ("textdong", "₫"),
        ("textflorin", "ƒ"),
        ("textbrokenbar", "¦"),
        ("textlnot", "¬"),
        ("textnumero", "№"),
        ("textcircledP", "℗"),
        ("textservicemark", "℠"),
        ("textrecipe", "℞"),
        ("textestimated", "℮"),
        ("textmusicalnote", "♪"),
        ("textreferencemark", "※"),
        ("textinterrobang", "‽"),
        ("textopenbullet", "◦"),
        ("textbigcircle", "◯"),
        ("textleftarrow", "←"),
        ("textrightarrow", "→"),
        ("textuparrow", "↑"),
        ("textdownarrow", "↓"),
        ("textsurd", "√"),
        ("textfractionsolidus", "⁄"),
        ("textlbrackdbl", "⟦"),
        ("textrbrackdbl", "⟧"),
        ("slash", "/"),
    ],
)
def test_latex2e_text_symbols_print_their_character(command: str, char: str) -> None:
    assert decode(f"a\\{command}{{}}b") == f"a{char}b"
    assert decode(f"{{\\{command}}}") == char.strip()
    assert unknown_commands(f"\\{command}") == ()


def test_text_symbol_swallows_the_space_after_it_as_tex_does() -> None:
    assert decode(r"\S 3 and \P 2") == "§3 and ¶2"
    assert decode(r"It\textquotesingle s") == "It's"
    assert decode(r"\pounds 5, \copyright\ 2024") == "£5, © 2024"


def test_spaces_quotes_and_dashes() -> None:
    assert decode(r"5\,km, a\;b, a\quad b, a\qquad b, a\ b, a\enspace b") == (
        "5 km, a b, a b, a b, a b, a b"
    )
    assert decode(r"a\!b, x\/y, hy\-phen") == "ab, xy, hyphen"
    assert decode(r"and\slash or") == "and/or"
    assert decode(r"\glqq Zitat\grqq{} \flqq cit\'e\frqq") == "„Zitat“ «cité»"
    assert decode("!`Hola! ?`Qu\\'e?") == "¡Hola! ¿Qué?"


# -- Accents: the OT1/T1 accent commands on any letter (combining mark + NFC),
# braced, unbraced, on dotless i/j, and on an empty group.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\~a", "ã"),
        (r"\~{a}", "ã"),
        (r"{\~a}", "ã"),
        (r"\'\i", "í"),
        (r"\'{\i}", "í"),
        (r"\"{\i}", "ï"),
        (r"\^\j", "ĵ"),
        (r"\v{g}", "ǧ"),
        (r"\v g", "ǧ"),
        (r"\k{a}", "ą"),
        (r"\k{e}", "ę"),
        (r"\H{o}", "ő"),
        (r"\H{u}", "ű"),
        (r"\r{u}", "ů"),
        (r"\r{a}", "å"),
        (r"\d{s}", "ṣ"),
        (r"\d{h}", "ḥ"),
        (r"\b{k}", "ḵ"),
        (r"\=a", "ā"),
        (r"\={\i}", "ī"),
        (r"\.z", "ż"),
        (r"\.{I}", "İ"),
        (r"\u{g}", "ğ"),
        (r"\u{a}", "ă"),
        (r"\c{s}", "ş"),
        (r"\textcommabelow{s}", "ș"),
        (r"\G{a}", "ȁ"),
        (r"\h{a}", "ả"),
        (r"\t{oo}", "o\u0361o"),
        (r"\'{\ae}", "ǽ"),
        (r"\v{\i}", "ǐ"),
        (r"\^{}", "ˆ"),
        (r"\~{}", "˜"),
        (r"\'{}", "´"),
        (r"\"{}", "¨"),
        (r"\v{}", "ˇ"),
        (r"\'x", "x\u0301"),  # no precomposed letter: the combining mark stays
    ],
)
def test_accents_on_any_letter(text: str, expected: str) -> None:
    assert decode(text) == expected


def test_special_letters() -> None:
    assert decode(r"\ss\ \SS\ \ae\ \AE\ \oe\ \OE\ \o\ \O\ \aa\ \AA\ \l\ \L") == (
        "ß SS æ Æ œ Œ ø Ø å Å ł Ł"
    )
    assert decode(r"\dh\ \DH\ \th\ \TH\ \ng\ \NG\ \dj\ \DJ\ \ij\ \IJ\ \i\ \j") == (
        "ð Ð þ Þ ŋ Ŋ đ Đ ĳ Ĳ ı ȷ"
    )
    assert decode(r"\AA ngstr\"om, Bj\o rn, Stra\ss e") == "Ångström, Bjørn, Straße"


def test_unknown_commands_are_kept_as_text_and_named() -> None:
    assert (
        decode(r"An \ourmethod{} for \foo{bar} and \baz qux") == "An ourmethod for bar and baz qux"
    )
    assert unknown_commands(r"An \ourmethod{} for \foo{bar} and \baz qux") == (
        "ourmethod",
        "foo",
        "baz",
    )
    # an unknown switch at the start of a group is a font declaration: not shown
    assert decode(r"{\ssf babel} and {\smc dante}") == "babel and dante"
    assert unknown_commands(r"{\ssf babel}") == ("ssf",)
    assert unknown_commands(r"\textquotesingle \textbf{x} $\alpha$") == ()
    assert unknown_commands("plain text") == ()


# -- Math: the source's spacing after a command, super/subscripts people can
# read, operators, Greek, \mathrm, \text.
def test_math_spacing_after_commands() -> None:
    assert decode(r"$\alpha = 1$") == "α = 1"
    assert decode(r"$n \times n$ board") == "n × n board"
    assert decode(r"$a \leq b$, $\sim 10$") == "a ≤ b, ∼ 10"
    assert decode(r"$\Omega (n^k)$") == "Ω(n^k)"  # no space before a bracket
    assert decode(r"$\alpha \beta$") == "αβ"  # TeX sets two letters together
    assert decode(r"of $ \Omega $: x") == "of Ω: x"  # spaces inside $...$ trimmed


def test_math_superscripts_subscripts_and_ordinals() -> None:
    assert decode(r"$11^{th}$ and 2\textsuperscript{nd} and 1$^{st}$") == "11th and 2nd and 1st"
    assert decode(r"$^{13}$C and $^{3}$He") == "¹³C and ³He"
    assert decode(r"$10^{-3}$, km\,s$^{-1}$, H$_2$O") == "10⁻³, km s⁻¹, H₂O"
    assert decode(r"$90^\circ$, 25$^o$C") == "90°, 25°C"
    assert decode(r"M$_\odot$, $L_{\odot}$") == "M⊙, L⊙"
    assert decode(r"$2^k$ and $O^*(2^k)$") == "2^k and O*(2^k)"


def test_math_operators_greek_and_text() -> None:
    assert decode(r"$\mathrm{CO}_2$, $\text{km s}^{-1}$, $\mathbf{x}$") == "CO₂, km s⁻¹, x"
    assert decode(r"$\Gamma, \Delta, \varepsilon, \phi, \omega$") == "Γ, Δ, ε, ϕ, ω"
    assert decode(r"$\pm \mp \div \cdot \infty \partial \nabla \sum \prod \int$") == (
        "± ∓ ÷ · ∞ ∂ ∇ ∑ ∏ ∫"
    )
    assert decode(r"$\lesssim \gtrsim \approx \propto \equiv \neq$") == "≲ ≳ ≈ ∝ ≡ ≠"
    assert decode(r"$\rightarrow \Rightarrow \leftrightarrow \mapsto$") == "→ ⇒ ↔ ↦"
    assert decode(r"$\not\subset$, $a \not= b$") == "⊄, a ≠ b"
    assert decode(r"$\mathbb{R}^n$, $\operatorname{tr}(A)$") == "ℝⁿ, tr(A)"
    assert decode(r"$\log\log n$, $\sin x$") == "log log n, sin x"


# -- The AASTeX / ADS journal abbreviation macros (aas_macros): each expands
# to the journal's name, so no venue is empty.
@pytest.mark.parametrize(
    ("macro", "journal"),
    [
        ("aj", "Astronomical Journal"),
        ("actaa", "Acta Astronomica"),
        ("araa", "Annual Review of Astronomy and Astrophysics"),
        ("apj", "Astrophysical Journal"),
        ("apjl", "Astrophysical Journal Letters"),
        ("apjs", "Astrophysical Journal Supplement Series"),
        ("ao", "Applied Optics"),
        ("apss", "Astrophysics and Space Science"),
        ("aap", "Astronomy and Astrophysics"),
        ("aapr", "Astronomy and Astrophysics Review"),
        ("aaps", "Astronomy and Astrophysics Supplement Series"),
        ("azh", "Astronomicheskii Zhurnal"),
        ("baas", "Bulletin of the American Astronomical Society"),
        ("bac", "Bulletin of the Astronomical Institutes of Czechoslovakia"),
        ("caa", "Chinese Astronomy and Astrophysics"),
        ("cjaa", "Chinese Journal of Astronomy and Astrophysics"),
        ("icarus", "Icarus"),
        ("jcap", "Journal of Cosmology and Astroparticle Physics"),
        ("jrasc", "Journal of the Royal Astronomical Society of Canada"),
        ("memras", "Memoirs of the Royal Astronomical Society"),
        ("mnras", "Monthly Notices of the Royal Astronomical Society"),
        ("na", "New Astronomy"),
        ("nar", "New Astronomy Reviews"),
        ("pra", "Physical Review A"),
        ("prb", "Physical Review B"),
        ("prc", "Physical Review C"),
        ("prd", "Physical Review D"),
        ("pre", "Physical Review E"),
        ("prl", "Physical Review Letters"),
        ("pasa", "Publications of the Astronomical Society of Australia"),
        ("pasp", "Publications of the Astronomical Society of the Pacific"),
        ("pasj", "Publications of the Astronomical Society of Japan"),
        ("rmxaa", "Revista Mexicana de Astronomía y Astrofísica"),
        ("qjras", "Quarterly Journal of the Royal Astronomical Society"),
        ("skytel", "Sky and Telescope"),
        ("solphys", "Solar Physics"),
        ("sovast", "Soviet Astronomy"),
        ("ssr", "Space Science Reviews"),
        ("zap", "Zeitschrift für Astrophysik"),
        ("nat", "Nature"),
        ("iaucirc", "IAU Circulars"),
        ("aplett", "Astrophysics Letters"),
        ("apspr", "Astrophysics Space Physics Research"),
        ("bain", "Bulletin of the Astronomical Institutes of the Netherlands"),
        ("fcp", "Fundamentals of Cosmic Physics"),
        ("gca", "Geochimica et Cosmochimica Acta"),
        ("grl", "Geophysical Research Letters"),
        ("jcp", "Journal of Chemical Physics"),
        ("jgr", "Journal of Geophysical Research"),
        ("jqsrt", "Journal of Quantitative Spectroscopy and Radiative Transfer"),
        ("memsai", "Memorie della Società Astronomica Italiana"),
        ("nphysa", "Nuclear Physics A"),
        ("physrep", "Physics Reports"),
        ("physscr", "Physica Scripta"),
        ("planss", "Planetary and Space Science"),
        ("procspie", "Proceedings of the SPIE"),
        ("psj", "Planetary Science Journal"),
    ],
)
def test_aas_journal_macros_expand_to_the_journal(macro: str, journal: str) -> None:
    assert decode(f"\\{macro}") == journal
    assert decode(f"{{\\{macro}}}, 500, 1") == f"{journal}, 500, 1"
    assert decode(f"\\{macro} Letters") == f"{journal} Letters"  # words stay apart


def test_tex_primitives_seen_in_titles() -> None:
    assert decode(r"B\kern-.05em{\sc i\kern-.025em b}") == "Bib"
    assert decode(r"Th\^e\raise.5ex\hbox{\'{}}") == "Thê´"
    assert decode(r"the \char`\\expandafter primitive") == r"the \expandafter primitive"
    assert decode(r"\char92 x") == "\\x"


def test_optional_arguments_environments_and_structure() -> None:
    assert decode(r"see \cite[p.~5]{knuth84} here") == "see here"
    assert decode(r"\textcolor[rgb]{1,0,0}{red} and \includegraphics[width=1cm]{f}x") == "red and x"
    assert decode(r"$\sqrt{2}$, $\sqrt[3]{x}$") == "√2, ∛x"
    assert decode(r"\begin{itemize}\item one \item[b)] two\end{itemize}") == "• one b) two"
    assert decode(r"\section{Intro} text, a [1] b") == "Intro text, a [1] b"
    assert decode(r"the \nth{21} and \nth{12} century") == "the 21st and 12th century"
    assert unknown_commands(r"\begin{quote}\nth{3}\end{quote} \rlap{x}") == ()


def test_control_word_spacing_and_composed_accents() -> None:
    # TeX drops the space after a control word; a control space or \quad keeps one.
    assert decode(r"m\ae lstr\"om, \ae \ae, \ae\ \ae, \ae \quad \ae") == "mælström, ææ, æ æ, æ æ"
    assert decode(r"\# hello, l{\r a}ren, D'un point de vue l'\oe uf") == (
        "# hello, låren, D'un point de vue l'œuf"
    )
    assert decode(r"\textogonekcentered{\=O}\textogonekcentered{\=o}") == "Ǭǭ"
    assert decode(r"This is a $-$ test, $x-1$") == "This is a − test, x−1"  # math minus
    assert decode(r"a \~{}, \texttildelow, $\sim$ and \textasciitilde") == "a ˜, ˷, ∼ and ~"


def test_html_markup_in_titles_from_pubmed_and_zotero() -> None:
    # Zotero writes PubMed's <i> as {\textless}i{\textgreater}
    assert decode(r"the {\textless}i{\textgreater}E. coli{\textless}/i{\textgreater} genome") == (
        f"the {EM_OPEN}E. coli{EM_CLOSE} genome"
    )
    assert decode("CO<sub>2</sub> and <sup>13</sup>C in <b>plants</b>") == (
        f"CO₂ and ¹³C in {STRONG_OPEN}plants{STRONG_CLOSE}"
    )
    assert decode('the 20<sup>th</sup> <span class="x">century</span>') == "the 20th century"
    # comparisons and unpaired tags stay text
    assert (
        decode("n < 5 and m > 3, A<B and C>D, a <b> c") == "n < 5 and m > 3, A<B and C>D, a <b> c"
    )


def test_physics_titles() -> None:
    assert decode(r"Observation of $B^0_s \to \mu^+\mu^-$ decays") == (
        "Observation of B⁰ₛ → μ⁺μ⁻ decays"
    )
    assert decode(r"$pp$ collisions at $\sqrt{s} = 13\,\mathrm{TeV}$") == (
        "pp collisions at √s = 13 TeV"
    )
    assert decode(r"$\nu_\mu \to \nu_e$, $e^+e^-$, $J/\psi$, $\overline{\rm MS}$") == (
        "ν_μ → νₑ, e⁺e⁻, J/ψ, M̅S̅"
    )


def test_html_entities_and_upright_greek() -> None:
    assert decode("Research &amp; Development, caf&#233;, &lt;i&gt;E. coli&lt;/i&gt;") == (
        f"Research & Development, café, {EM_OPEN}E. coli{EM_CLOSE}"
    )
    assert decode(r"A & B; C, R\&D") == "A & B; C, R&D"
    assert decode(r"\textalpha-helix, \upbeta-sheet, \textOmega") == "α-helix, β-sheet, Ω"


def test_text_mode_super_and_subscripts() -> None:
    assert decode(r"Ca\textsuperscript{2+} and H\textsubscript{2}O") == "Ca²⁺ and H₂O"
    assert decode(r"Q\textsuperscript{TM} and the 21\textsuperscript{st}") == "QTM and the 21st"
