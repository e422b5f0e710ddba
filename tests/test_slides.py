"""Slide cuts and the offline deck."""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from scripts.lesson import LessonInfo
from scripts.slides import cut_slides, slide_count

INFO = LessonInfo(
    path=None,
    name="09_x",
    number="09",
    title="T <&>",
    version="1.0",
    date="2026-01-01",
    summary=("a",),
)
DECK = "01_tag_table/01_tag_table_v1.3.slides.html"


def slide_types(cells) -> list[str]:
    return [c.metadata["slideshow"]["slide_type"] for c in cells]


def test_h1_and_h2_cut_slides_and_other_cells_continue():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# One"),
            new_code_cell("x = 1"),
            new_markdown_cell("text"),
            new_markdown_cell("## Two"),
            new_markdown_cell("### not a cut"),
            new_markdown_cell("#hashtag"),
        ]
    )
    deck = cut_slides(nb, INFO)
    assert slide_types(deck.cells) == ["slide", "slide", "-", "-", "slide", "-", "-"]


def test_author_slide_type_wins_over_the_automatic_cut():
    nb = new_notebook(cells=[new_markdown_cell("## Heading"), new_markdown_cell("more")])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "fragment"}
    nb.cells[1].metadata["slideshow"] = {"slide_type": "subslide"}
    assert slide_types(cut_slides(nb, INFO).cells)[1:] == ["fragment", "subslide"]


def test_title_slide_shows_title_version_and_date_escaped():
    title = cut_slides(new_notebook(cells=[]), INFO).cells[0].source
    assert "T &lt;&amp;&gt;" in title and "Version 1.0" in title and "2026-01-01" in title


def test_built_deck_has_one_section_per_cut(tiny_course):
    deck = (tiny_course.root / "build" / DECK).read_text(encoding="utf-8")
    # nbconvert nests every slide as <section><section> (a column of one subslide)
    slides = re.split(r"<section[^>]*>\s*<section[^>]*>", deck)[1:]
    # title, `# Plain heading`, `## A figure`, `## Exercise`, author-chosen cut
    assert len(slides) == 5
    assert "MARK_PLAIN_MD" in slides[1] and "MARK_SAME_SLIDE" in slides[1]
    assert "MARK_H3" in slides[2] and "MARK_AUTHOR_CUT" in slides[4]


def test_deck_loads_nothing_over_the_network(tiny_course):
    for deck in (tiny_course.root / "build").glob("*/*.slides.html"):
        html = deck.read_text(encoding="utf-8")
        remote = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
        assert remote == [], f"{deck.name} loads {remote}"
        assert "@import url(http" not in html and "require.js" not in html


def test_deck_carries_reveal_its_theme_and_the_notes_plugin(tiny_course):
    html = (tiny_course.root / "build" / DECK).read_text(encoding="utf-8")
    assert "Reveal.initialize" in html and "RevealNotes" in html
    assert ".reveal" in html and "--r-background-color" in html  # the theme's CSS is inside
    assert 'src="data:image/svg+xml;base64' in html  # math and figures as data, not files


def test_output_html_is_shown_as_text_not_run(tiny_course):
    html = (tiny_course.root / "build/02_second/02_second_v2.0.slides.html").read_text("utf-8")
    assert (
        "&lt;script&gt;alert(&#39;OUT_SCRIPT&#39;)&lt;/script&gt;" in html
        or "&lt;script&gt;alert('OUT_SCRIPT')&lt;/script&gt;" in html
    )
    assert "<script>alert(" not in html


def test_slide_count_counts_slides_and_subslides():
    nb = nbformat.v4.new_notebook(cells=[new_markdown_cell("## a"), new_markdown_cell("## b")])
    assert slide_count(cut_slides(nb, INFO)) == 3
