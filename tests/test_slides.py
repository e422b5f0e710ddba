"""Slide cuts and the offline deck."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from scripts.config import CourseConfig
from scripts.lesson import Lesson, LessonInfo
from scripts.slidefit import FIGURE_KEPT, SLIDE_BUDGET, fit_slides, group_slides
from scripts.slideheight import (
    FIGURE_MAX_WIDTH,
    FIGURE_MIN_HEIGHT,
    ROW_WIDTH,
    cell_height,
    figure_rows,
    natural_figure_height,
)
from scripts.slides import cut_slides, highlight_for_deck, slide_count

INFO = LessonInfo(
    path=None,
    name="09_x",
    number="09",
    title="T <&>",
    version="1.0",
    date="2026-01-01",
    summary=("a",),
)
CONFIG = CourseConfig(title="Course <C>", authors=("A. Author & co",))
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
    deck = cut_slides(nb, INFO, CONFIG)
    assert slide_types(deck.cells) == ["slide", "slide", "-", "-", "slide", "-", "-"]


def test_author_slide_type_wins_over_the_automatic_cut():
    nb = new_notebook(cells=[new_markdown_cell("## Heading"), new_markdown_cell("more")])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "fragment"}
    nb.cells[1].metadata["slideshow"] = {"slide_type": "subslide"}
    assert slide_types(cut_slides(nb, INFO, CONFIG).cells)[1:] == ["fragment", "subslide"]


def test_title_slide_shows_title_version_and_date_escaped():
    title = cut_slides(new_notebook(cells=[]), INFO, CONFIG).cells[0].source
    assert "T &lt;&amp;&gt;" in title and "Version 1.0" in title and "2026-01-01" in title


def test_a_short_opening_paragraph_before_the_first_heading_is_the_title_slides_lead():
    lead = new_markdown_cell("In this lab we fit a line. It takes ten minutes.")
    cells = [lead, new_markdown_cell("## Data"), code(2)]
    deck = cut_slides(new_notebook(cells=cells), INFO, CONFIG)
    assert slide_types(deck.cells) == ["slide", "-", "slide", "-"]  # one slide fewer
    assert deck.cells[1].metadata["tags"] == ["title-lead"]


@pytest.mark.parametrize(
    "cells",
    [
        [new_markdown_cell("Long. " * 60), new_markdown_cell("## Data")],  # a page of prose
        [new_markdown_cell("Here is a tensor:"), new_code_cell("x = 1")],  # it introduces code
        [new_markdown_cell("![Pipeline](figures/p.png)"), new_markdown_cell("## Data")],
        [
            new_markdown_cell("Intro.", metadata={"slideshow": {"slide_type": "slide"}}),
            new_markdown_cell("## Data"),
        ],  # the author's choice
        [new_markdown_cell("Intro.", metadata={"tags": ["notes"]}), new_markdown_cell("## Data")],
    ],
)
def test_other_opening_prose_keeps_a_slide_of_its_own(cells):
    deck = cut_slides(new_notebook(cells=cells), INFO, CONFIG)
    first = next(c for c in deck.cells[1:] if "notes" not in c.metadata.get("tags", []))
    assert first.metadata["slideshow"]["slide_type"] in ("slide", "notes")
    assert "title-lead" not in first.metadata.get("tags", [])


def test_title_slide_names_the_course_lesson_number_and_author_from_the_config():
    title = cut_slides(new_notebook(cells=[]), INFO, CONFIG).cells[0].source
    assert "Course &lt;C&gt;" in title and "Lesson 09" in title and "A. Author &amp; co" in title


def test_a_wrapped_code_line_hangs_under_its_own_indentation():
    code_html = highlight_for_deck("x = 1\n    y = " + "2 + " * 40 + "2\n\nz = 3")
    lines = re.findall(r'<span class="line"[^>]*>', code_html)
    assert len(lines) == 4  # blank lines stay, as a block each
    assert lines[1] == '<span class="line" style="padding-left: 8ch; text-indent: -8ch">'
    assert lines[0] == lines[2] == lines[3] == '<span class="line">'


def test_built_deck_has_one_section_per_cut(tiny_course):
    deck = (tiny_course.root / "build" / DECK).read_text(encoding="utf-8")
    # nbconvert nests every slide as <section><section> (a column of one subslide)
    slides = re.split(r"<section[^>]*>\s*<section[^>]*>", deck)[1:]
    # title, `# Plain heading`, `## A figure`, `## Exercise`, its solution, author-chosen cut
    assert len(slides) == 6
    assert "MARK_PLAIN_MD" in slides[1] and "MARK_SAME_SLIDE" in slides[1]
    assert "MARK_H3" in slides[2] and "MARK_AUTHOR_CUT" in slides[5]
    assert "MARK_EXERCISE" in slides[3] and "MARK_SOLUTION" not in slides[3]
    assert "Solution: MARK_EXERCISE" in slides[4] and "MARK_SOLUTION" in slides[4]


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
    assert slide_count(cut_slides(nb, INFO, CONFIG)) == 3


def lesson_of(*cells) -> Lesson:
    """A lesson in memory whose cell N starts on line 10 * N + 1 of sources/09_x.py."""
    info = LessonInfo(Path("sources/09_x.py"), "09_x", "09", "T", "1.0", "2026-01-01", ("a",))
    lines = [(10 * i + 1, 10 * i + 9) for i in range(len(cells))]
    return Lesson(info, new_notebook(cells=list(cells)), lines)


def fitted(lesson: Lesson):
    return fit_slides(cut_slides(lesson.notebook, lesson.info, CONFIG), lesson)


def code(lines: int, output_lines: int = 0, name: str = "x"):
    cell = new_code_cell("\n".join(f"{name} = {i}" for i in range(lines)))
    if output_lines:
        text = "".join(f"{name} out {i}\n" for i in range(output_lines))
        cell.outputs = [new_output("stream", name="stdout", text=text)]
    return cell


def figure(width_pt: int = 504, height_pt: int = 252):
    cell = code(4, name="fig")
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_pt}pt" height="{height_pt}pt"/>'
    cell.outputs = [new_output("display_data", data={"image/svg+xml": svg, "text/plain": "F"})]
    return cell


def sources(deck) -> list[str]:
    return [c.source.splitlines()[0] if c.source else "" for c in deck.cells]


def test_a_slide_too_long_continues_on_a_slide_with_the_heading_repeated():
    deck, warnings = fitted(lesson_of(new_markdown_cell("## Long"), *[code(8) for _ in range(4)]))
    slides = group_slides(deck.cells)[1:]
    assert [s[0].source for s in slides] == ["## Long", "## Long (cont.)"]
    assert [len(s) for s in slides] == [3, 3]  # heading + two cells, twice
    assert warnings == []


def test_every_fitted_slide_stays_within_the_budget():
    deck, _ = fitted(lesson_of(new_markdown_cell("# A\ntext"), *[code(6, 6) for _ in range(7)]))
    heights = [sum(cell_height(c) for c in s) for s in group_slides(deck.cells)[1:]]
    assert len(heights) > 2 and max(heights) <= SLIDE_BUDGET


def heights(deck) -> list[float]:
    return [sum(cell_height(c) for c in s) for s in group_slides(deck.cells)[1:]]


def test_output_too_tall_to_share_a_slide_keeps_the_lines_that_print_it():
    deck, warnings = fitted(lesson_of(new_markdown_cell("## Out"), code(12, output_lines=18)))
    first, second = group_slides(deck.cells)[1:]
    assert first[1].outputs == [] and first[1].source.startswith("x = 0")
    assert second[0].source == "## Out (cont.)"
    assert second[1].outputs and second[1].source.strip()  # code and output together
    assert "x = 11" in second[1].source and "x = 11" not in first[1].source
    assert warnings == [] and max(heights(deck)) <= SLIDE_BUDGET


def test_a_long_prose_cell_is_cut_between_blocks_never_inside_one():
    items = [f"- item {i} " + "word " * 30 for i in range(14)]
    prose = "\n".join(["## Scope of this notebook", "An opening paragraph.", "", *items])
    deck, warnings = fitted(lesson_of(new_markdown_cell(prose)))
    slides = group_slides(deck.cells)[1:]
    assert len(slides) >= 2 and warnings == []
    continued = [s[0].source.splitlines()[0] for s in slides[1:]]
    assert continued == ["## Scope of this notebook (cont.)"] * (len(slides) - 1)
    shown = "\n".join(c.source for s in slides for c in s)
    assert all(shown.count(item) == 1 for item in items)  # every item whole, exactly once
    assert max(heights(deck)) <= SLIDE_BUDGET


def test_a_code_cell_taller_than_a_slide_is_cut_between_statements():
    deck, warnings = fitted(lesson_of(new_markdown_cell("## Huge"), code(40, output_lines=2)))
    slides = group_slides(deck.cells)[1:]
    assert len(slides) == 2 and warnings == []
    assert slides[-1][-1].outputs and slides[-1][-1].source.startswith("x = ")
    assert max(heights(deck)) <= SLIDE_BUDGET


def test_a_block_taller_than_any_slide_is_shrunk_and_reported_with_its_line():
    table = "\n".join(["| a | b |", "| --- | --- |", *[f"| {i} | {i} |" for i in range(30)]])
    deck, warnings = fitted(lesson_of(new_markdown_cell("## Huge"), new_markdown_cell(table)))
    assert len(warnings) == 1
    assert warnings[0].startswith('sources/09_x.py:11: slide "Huge" has a block taller than')
    assert warnings[0].endswith("split this cell or shorten its output")
    assert deck.cells[-1].metadata["deck"]["scale"] < 1
    assert max(heights(deck)) <= SLIDE_BUDGET


def test_a_slide_is_not_left_near_empty_when_its_code_could_start_there():
    cells = [new_markdown_cell("## Walk\nOne sentence."), code(22, output_lines=4)]
    deck, _ = fitted(lesson_of(*cells))
    assert len(group_slides(deck.cells)[1:]) == 2
    assert min(heights(deck)) >= SLIDE_BUDGET / 3


def test_a_cell_a_little_too_tall_is_shown_smaller_rather_than_moved():
    cells = [new_markdown_cell("## Tight\n" + "Some words. " * 30), code(12, output_lines=2)]
    deck, _ = fitted(lesson_of(*cells))
    (slide,) = group_slides(deck.cells)[1:]
    assert 0.85 <= slide[-1].metadata["deck"]["scale"] < 1


def test_pep8_blank_lines_are_not_shown_on_slides():
    cell = new_code_cell("import math\n\n\ndef f():\n    return 1\n\n\n\nprint(f())\n")
    deck = cut_slides(new_notebook(cells=[cell]), INFO, CONFIG)
    assert deck.cells[1].source == "import math\n\ndef f():\n    return 1\n\nprint(f())"


def test_a_heading_inside_a_cell_starts_a_new_slide():
    cell = new_markdown_cell("## First\ntext one\n\n### sub\nmore\n\n## Second\ntext two")
    deck = cut_slides(new_notebook(cells=[cell]), INFO, CONFIG)
    assert sources(deck)[1:] == ["## First", "## Second"]
    assert slide_types(deck.cells)[1:] == ["slide", "slide"]


def test_a_continued_exercise_keeps_its_frame_and_heading_in_one_cell():
    task = new_markdown_cell("## Exercise: long\n" + "\n\n".join(["Step. " * 40] * 6))
    task.metadata["tags"] = ["exercise"]
    deck, _ = fitted(lesson_of(task))
    continued = group_slides(deck.cells)[2]
    assert continued[0].source.startswith("## Exercise: long (cont.)\n")
    assert continued[0].metadata["tags"] == ["exercise"]


def test_a_figure_shrinks_a_little_to_stay_beside_its_code():
    cells = [new_markdown_cell("## Plot\n" + "Some words. " * 2), figure()]
    deck, _ = fitted(lesson_of(*cells))
    slides = group_slides(deck.cells)[1:]
    (output,) = slides[0][-1].outputs
    assert len(slides) == 1
    assert FIGURE_MIN_HEIGHT <= output.metadata["deck"]["height"] < natural_figure_height(output)


def test_a_figure_that_would_be_small_moves_on_with_its_code_and_grows():
    cells = [new_markdown_cell("## Plot\n" + "Some words. " * 20), figure()]
    deck, _ = fitted(lesson_of(*cells))
    first, second = group_slides(deck.cells)[1:]
    assert [c.cell_type for c in first] == ["markdown"]  # a short cell is never cut from it
    assert second[0].source == "## Plot (cont.)" and second[1].source.startswith("fig = 0\n")
    (output,) = second[1].outputs
    assert output.metadata["deck"]["height"] > natural_figure_height(output)


def long_figure(lines: int = 16):
    """A figure drawn by code too long for both to fit a slide at a readable size."""
    cell = figure()
    cell.source = "\n".join(f"fig = {i}" for i in range(lines))
    return cell


def test_a_figure_under_long_code_moves_on_with_its_last_code_lines_and_grows():
    cells = [new_markdown_cell("## Plot\n" + "Some words. " * 20), long_figure()]
    deck, _ = fitted(lesson_of(*cells))
    first, second = group_slides(deck.cells)[1:]
    assert first[-1].outputs == [] and first[-1].source.startswith("fig = 0")
    assert second[0].source == "## Plot (cont.)" and second[1].source.endswith("fig = 15")
    (output,) = second[1].outputs
    assert output.metadata["deck"]["height"] > natural_figure_height(output)


def test_a_near_empty_last_slide_joins_the_one_before_with_its_figure_a_little_smaller():
    printed = code(1, name="p")
    printed.outputs = [new_output("stream", name="stdout", text="tensor([1.97])\n")]
    cells = [new_markdown_cell("## Plot\n" + "Some words. " * 20), figure(), printed]
    deck, _ = fitted(lesson_of(*cells))
    first, second = group_slides(deck.cells)[1:]  # not a third with one printed line
    assert [c.source[:5] for c in second] == ["## Pl", "fig =", "p = 0"]
    (output,) = second[1].outputs
    natural = natural_figure_height(output)
    assert FIGURE_KEPT * natural <= output.metadata["deck"]["height"] < natural
    assert sum(cell_height(c) for c in second) <= SLIDE_BUDGET


def test_what_a_cell_printed_before_its_figure_stays_with_the_code_that_printed_it():
    cell = long_figure()
    cell.outputs.insert(0, new_output("stream", name="stdout", text="PRINTED FIRST\n"))
    deck, _ = fitted(lesson_of(new_markdown_cell("## Plot\n" + "Some words. " * 20), cell))
    first, second = group_slides(deck.cells)[1:]
    assert [o.output_type for o in first[-1].outputs] == ["stream"]
    assert [o.output_type for o in second[-1].outputs] == ["display_data"]


def test_a_figure_grows_into_the_room_its_slide_leaves():
    deck, _ = fitted(lesson_of(new_markdown_cell("## Plot"), figure()))
    (output,) = deck.cells[-1].outputs
    assert output.metadata["deck"]["height"] > natural_figure_height(output)
    assert output.metadata["deck"]["height"] <= FIGURE_MAX_WIDTH / 2  # a 2:1 figure: as wide
    (slide,) = group_slides(deck.cells)[1:]
    assert sum(cell_height(c) for c in slide) <= SLIDE_BUDGET


def test_a_wide_figure_grows_only_as_far_as_the_slide_is_wide():
    deck, _ = fitted(lesson_of(new_markdown_cell("## Plot"), figure(width_pt=800, height_pt=100)))
    (output,) = deck.cells[-1].outputs
    assert output.metadata["deck"]["height"] == int(FIGURE_MAX_WIDTH / 8)


def test_solution_follows_its_exercise_on_a_slide_of_its_own():
    exercise = new_markdown_cell("## Exercise: add up\nSum the list.")
    exercise.metadata["tags"] = ["exercise"]
    solution = new_code_cell("print(sum([1, 2]))")
    solution.metadata["tags"] = ["solution"]
    deck = cut_slides(new_notebook(cells=[exercise, solution]), INFO, CONFIG)
    assert sources(deck)[1:] == ["## Exercise: add up", "## Solution: add up", "print(sum([1, 2]))"]
    assert slide_types(deck.cells)[1:] == ["slide", "slide", "-"]


def test_a_solution_with_its_own_heading_gets_no_second_one():
    exercise = new_markdown_cell("## Exercise: add up")
    exercise.metadata["tags"] = ["exercise"]
    solution = new_markdown_cell("## Solution: add up\nIt is 3.")
    solution.metadata["tags"] = ["solution"]
    deck = cut_slides(new_notebook(cells=[exercise, solution]), INFO, CONFIG)
    assert sources(deck)[1:] == ["## Exercise: add up", "## Solution: add up"]


def test_deck_declares_the_slide_count_the_build_meant(tiny_course):
    html = (tiny_course.root / "build" / DECK).read_text(encoding="utf-8")
    meta = re.search(r'<meta[^>]*name="slide-count"[^>]*>', html).group(0)
    assert 'content="6"' in meta


def test_code_font_is_embedded_in_the_deck(tiny_course):
    html = (tiny_course.root / "build" / DECK).read_text(encoding="utf-8")
    assert 'font-family: "Deck Mono"' in html and "data:font/woff;base64," in html


def test_the_decks_code_font_is_subset_once_and_read_back_from_the_cache(tmp_path, monkeypatch):
    from scripts import slides

    monkeypatch.setattr(slides, "FONT_CACHE", tmp_path / "cache")
    slides.mono_font_css.cache_clear()  # the in-memory copy: each build process starts without
    made = slides.mono_font_css()
    stored = list((tmp_path / "cache").glob("deck-mono-*.css"))
    assert len(stored) == 1 and stored[0].read_text(encoding="utf-8") == made

    def refuse(*args, **kwargs):
        raise AssertionError("subset again, with the subset in the cache")

    slides.mono_font_css.cache_clear()
    monkeypatch.setattr(slides.subset, "Subsetter", refuse)
    assert slides.mono_font_css() == made
    # Other characters kept: another name, so the old subset is never read for them.
    monkeypatch.setattr(slides, "MONO_UNICODES", "U+0020-007E")
    slides.mono_font_css.cache_clear()
    with pytest.raises(AssertionError, match="subset again"):
        slides.mono_font_css()
    slides.mono_font_css.cache_clear()


def test_the_decks_code_font_is_the_same_without_a_cache_it_can_write(tmp_path, monkeypatch):
    from scripts import slides

    monkeypatch.setattr(slides, "FONT_CACHE", tmp_path / "cache")
    slides.mono_font_css.cache_clear()
    cached = slides.mono_font_css()
    (tmp_path / "read-only").write_text("a file, not a folder")
    monkeypatch.setattr(slides, "FONT_CACHE", tmp_path / "read-only" / "cache")
    slides.mono_font_css.cache_clear()
    assert slides.mono_font_css() == cached  # subset again, nothing written, no error
    slides.mono_font_css.cache_clear()


def figures_cell(count: int, width_pt: int = 288, height_pt: int = 180, between: bool = False):
    """A cell of 8 code lines that draws `count` figures (with a printed line between them)."""
    cell = code(8, name="fig")
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_pt}pt" height="{height_pt}pt"/>'
    for index in range(count):
        if between and index:
            cell.outputs.append(new_output("stream", name="stdout", text="between\n"))
        data = {"image/svg+xml": svg, "text/plain": "F"}
        cell.outputs.append(new_output("display_data", data=data))
    return cell


def test_figures_too_tall_one_above_the_other_go_side_by_side_with_their_code():
    deck, warnings = fitted(lesson_of(new_markdown_cell("## Three"), figures_cell(3)))
    slides = group_slides(deck.cells)[1:]
    assert len(slides) == 1 and warnings == []  # code and its three figures on one slide
    cell = slides[0][1]
    assert cell.metadata["deck"]["figure_row"] is True
    heights = {o.metadata["deck"]["height"] for o in cell.outputs}
    assert len(heights) == 1 and min(heights) >= 220  # one height, not below the row minimum
    assert sum(cell_height(c) for c in slides[0]) <= SLIDE_BUDGET


def test_rows_are_packed_in_order_and_text_between_figures_opens_a_new_row():
    cell = figures_cell(4)
    for output in cell.outputs:
        output.metadata["deck"] = {"height": 300}  # 480 wide: two to a row of 1200
    assert [len(row) for row in figure_rows(cell.outputs)] == [2, 2]
    assert 2 * 480 + 16 <= ROW_WIDTH < 3 * 480 + 32
    mixed = figures_cell(3, between=True)
    for output in mixed.outputs:
        if output.output_type == "display_data":
            output.metadata["deck"] = {"height": 100}
    assert [len(row) for row in figure_rows(mixed.outputs)] == [1, 1, 1]


def test_one_figure_or_figures_that_fit_stay_one_above_the_other():
    deck, _ = fitted(lesson_of(new_markdown_cell("## Two small"), figures_cell(2, 288, 72)))
    cell = group_slides(deck.cells)[1][1]
    assert "figure_row" not in cell.metadata.get("deck", {})
