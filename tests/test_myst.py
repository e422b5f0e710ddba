"""Jupyter Book's MyST, rewritten as the CommonMark a lesson's prose is written in."""

from __future__ import annotations

from scripts.myst import commonmark


def test_admonitions_become_quotes_opening_with_their_title():
    source = (
        "```{note}\nMoves downhill.\nSlowly.\n```\n\n"
        ":::{admonition} Why small?\n:class: tip\nIt overshoots.\n:::"
    )
    text, left = commonmark(source)
    assert text == "> **Note.** Moves downhill.\n> Slowly.\n\n> **Why small?** It overshoots."
    assert left == []


def test_a_figure_becomes_an_image_with_its_caption_as_alt_text_and_below():
    source = "```{figure} figures/bowl.png\n:name: bowl\n:width: 300px\n\nA bowl-shaped loss.\n```"
    assert (
        commonmark(source)[0] == "![A bowl-shaped loss.](figures/bowl.png)\n\n*A bowl-shaped loss.*"
    )
    image = "```{image} a.png\n:alt: A cat\n```"
    assert commonmark(image)[0] == "![A cat](a.png)"


def test_math_code_roles_and_labels():
    source = (
        "(sec-intro)=\n## Intro\n\n```{math}\nx = 1\n```\n\n```{code-block} python\nx = 1\n```\n\n"
        "See {ref}`the intro <sec-intro>`, {cite}`a2020,b2021`, {math}`y^2` and {term}`loss`.\n\n"
        "$$\ny = 2\n$$ (eq-y)"
    )
    text, left = commonmark(source)
    assert text == (
        "## Intro\n\n$$\nx = 1\n$$\n\n```python\nx = 1\n```\n\n"
        "See the intro, [a2020, b2021], $y^2$ and loss.\n\n$$\ny = 2\n$$"
    )
    assert left == []


def test_what_is_not_rewritten_is_kept_and_said():
    source = "```{toctree}\nchapter1\n```\n\nAs {numref}`fig-loss` shows."
    text, left = commonmark(source)
    assert text == "```{toctree}\nchapter1\n```\n\nAs fig-loss shows."
    assert left == [
        "a MyST `{toctree}` directive is left as it was: rewrite it",
        "a MyST {numref} reference to fig-loss became the word 'fig-loss': reword it",
    ]


def test_plain_commonmark_is_untouched():
    source = "## A\n\n```python\nx = {1: 2}\n```\n\n> quote {not a role}"
    assert commonmark(source) == (source, [])
