"""Math in prose: every form Jupyter's MathJax reads is drawn as SVG, macros included."""

from __future__ import annotations

import re

import pytest

from scripts.mathsvg import expand_macros, has_math, replace_math


def alts(html: str) -> list[str]:
    return re.findall(r'<img class="math-(?:inline|block)"[^>]* alt="([^"]*)"', html)


@pytest.mark.parametrize(
    ("markdown", "kind", "alt"),
    [
        ("a $x^2$ b", "inline", "x^2"),
        (r"a \(x^2\) b", "inline", "x^2"),
        ("$$\\sum_i i$$", "block", r"\sum_i i"),
        ("\\[\n\\sum_i i\n\\]", "block", r"\sum_i i"),
        (
            "\\begin{align}\nf &= 1\n\\end{align}",
            "block",
            "\\begin{align}\nf &amp;= 1\n\\end{align}",
        ),
        (
            "\\begin{equation*} E = mc^2 \\end{equation*}",
            "block",
            r"\begin{equation*} E = mc^2 \end{equation*}",
        ),
    ],
)
def test_each_delimiter_jupyter_reads_is_drawn(markdown, kind, alt):
    html = replace_math(markdown)
    assert f'class="math-{kind}"' in html
    assert alts(html) == [alt]
    assert "\\(" not in html and "\\[" not in html and "$" not in html


def test_code_dollars_and_prices_are_not_math():
    markdown = "`$x$` and ```\n$$y$$\n``` cost \\$5, or $10 a month"
    assert replace_math(markdown) == markdown
    assert not has_math(markdown)


def test_a_macro_defined_in_one_cell_holds_in_the_later_ones():
    macros: dict = {}
    first = replace_math(r"Let $\newcommand{\R}{\mathbb{R}}$ be given.", macros)
    assert first == "Let  be given."  # the definition shows nothing, and no broken image
    second = replace_math(r"Then $x \in \R^n$ and $\Real$.", macros)
    assert alts(second) == [r"x \in {\mathbb{R}}^n", r"\Real"]  # \Real is not \R


def test_macros_with_arguments_and_operators_expand():
    macros: dict = {}
    replace_math(
        r"$\newcommand{\norm}[2]{\lVert #1 \rVert_{#2}} \DeclareMathOperator{\sgn}{sgn}$", macros
    )
    assert expand_macros(r"\norm{x}{2} + \sgn(x)", macros) == (
        r"{\lVert x \rVert_{2}} + {\operatorname{sgn}}(x)"
    )
    assert expand_macros(r"\norm x 2", macros) == r"{\lVert x \rVert_{2}}"


def test_a_macro_that_uses_itself_stops():
    macros = {r"\loop": (0, r"\loop+1")}
    assert expand_macros(r"\loop", macros).count("+1") == 20


def test_a_formula_that_draws_nothing_leaves_no_image():
    assert replace_math("a ${}$ b") == "a  b"
