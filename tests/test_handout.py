"""The printed handouts: what a student reads back from the PDF."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

PDFS = ["worked", "student"]
REPO = Path(__file__).resolve().parent.parent


def reader(built, lesson, stem, edition) -> PdfReader:
    return PdfReader(built.out(lesson) / f"{stem}.{edition}.pdf")


@pytest.mark.parametrize("edition", PDFS)
def test_every_page_has_its_number_and_the_stamp(tiny_course, edition):
    pdf = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition)
    total = len(pdf.pages)
    assert total >= 2
    for number, page in enumerate(pdf.pages, start=1):
        text = page.extract_text()
        assert f"page {number} of {total}" in text
        assert "Tag Table Fixture · v1.3 · 2026-03-04" in text


@pytest.mark.parametrize("edition", PDFS)
def test_cover_holds_title_version_date_and_summary(tiny_course, edition):
    first = (
        reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition).pages[0].extract_text()
    )
    assert "Tag Table Fixture" in first and "Version 1.3" in first and "2026-03-04" in first
    assert "Every tag of the format, once" in first


@pytest.mark.parametrize("edition", PDFS)
def test_no_raw_latex_reaches_the_page(tiny_course, edition):
    pdf = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", edition)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert not re.search(r"\\(frac|sqrt|sum|mathbf|top)\b", text)
    assert "$$" not in text
    assert 'cost = "$5"' in text  # a dollar inside code is code, not math


def test_pdf_metadata_names_lesson_version_and_edition(tiny_course):
    meta = reader(tiny_course, "01_tag_table", "01_tag_table_v1.3", "student").metadata
    assert "Tag Table Fixture" in meta.title and "v1.3" in meta.title
    assert "student" in meta.subject and "1.3" in meta.subject
    assert "01_tag_table" in meta["/Keywords"]


def test_unicode_in_title_prose_and_output_survives(tiny_course):
    pdf = reader(tiny_course, "02_second", "02_second_v2.0", "worked")
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Ünïcödé" in text and "αβγ" in text and "жзи" in text and "🎉" in text


def test_print_highlighting_marks_only_keywords_strings_and_comments():
    from scripts.handout import highlight_for_print

    page = highlight_for_print('for x in range(3):  # count\n    print(f"{x}!", x + 1)\n')
    marked = re.findall(r'<span class="(\w+)">([^<]*)</span>', page)
    assert ("k", "for") in marked and ("k", "in") in marked
    assert ("c", "# count") in marked
    assert any(kind == "s" and text.startswith('f"') for kind, text in marked)
    # names, operators, numbers and brackets are plain text: no box for WeasyPrint to lay out
    assert {kind for kind, _ in marked} <= {"k", "c", "s"}
    assert "range(3):" in page and "x + 1" in page


def test_code_is_styled_for_print_without_the_notebook_palette(tiny_course):
    from scripts.handout import render_handout_html
    from scripts.lesson import read_lesson

    lesson = read_lesson(tiny_course.root / "sources" / "01_tag_table.py")
    cell = nbformat.v4.new_code_cell("if True:\n    pass  # nothing")
    page = render_handout_html(nbformat.v4.new_notebook(cells=[cell]), lesson.info, "worked")
    assert "var(--jp-mirror-editor" not in page  # JupyterLab colours would unset ours
    assert '<span class="k">if</span>' in page and '<span class="c"># nothing</span>' in page


def test_a_cells_input_output_and_prose_are_each_one_box_inside_the_cell(tiny_course):
    """The lab template's wrappers (input and output wrappers, collapsers, editor, CodeMirror,
    output child) print nothing, and each was a box for WeasyPrint to style, lay out and
    paint: about a quarter of a handout's elements."""
    from bs4 import BeautifulSoup

    from scripts.handout import render_handout_html
    from scripts.lesson import read_lesson

    lesson = read_lesson(tiny_course.root / "sources" / "01_tag_table.py")
    prose = nbformat.v4.new_markdown_cell("Some *prose*.", metadata={"tags": ["keep-with-next"]})
    code = nbformat.v4.new_code_cell("x = 1  # one\nprint(x)\nx")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1),
    ]
    notebook = nbformat.v4.new_notebook(cells=[prose, code])
    page = render_handout_html(notebook, lesson.info, "worked")
    main = BeautifulSoup(page, "html.parser").main
    cells = main.find_all(class_="jp-Cell", recursive=False)
    assert [cell["class"][:2] for cell in cells] == [
        ["jp-Cell", "jp-MarkdownCell"],
        ["jp-Cell", "jp-CodeCell"],
    ]
    assert {"jp-RenderedMarkdown", "celltag_keep-with-next"} <= set(cells[0]["class"])
    assert cells[0].p.parent is cells[0]  # the prose directly in its cell
    source, *outputs = cells[1].find_all("pre")
    assert source.parent is cells[1]  # the input box is the <pre> itself
    assert {"jp-InputArea", "jp-InputArea-editor", "highlight"} <= set(source["class"])
    assert '<span class="c"># one</span>' in str(source)
    assert all(span.contents for span in source.find_all("span"))  # no empty span to lay out
    assert [pre.get_text() for pre in outputs] == ["1\n", "1"]
    assert all(pre.parent.parent is cells[1] for pre in outputs)  # the output's own box only
    wrappers = ("jp-Cell-inputWrapper", "jp-Cell-outputWrapper", "jp-Collapser", "cm-editor")
    assert not any(main.find_all(class_=name) for name in wrappers)
    assert not main.find_all(class_="jp-OutputArea-child")


def test_a_lesson_without_headings_has_no_empty_contents_on_its_cover(tiny_course):
    from scripts.handout import render_handout_html
    from scripts.lesson import read_lesson

    lesson = read_lesson(tiny_course.root / "sources" / "01_tag_table.py")
    prose = nbformat.v4.new_markdown_cell("Prose, and no heading anywhere.")
    headed = nbformat.v4.new_markdown_cell("## A heading")
    bare = render_handout_html(nbformat.v4.new_notebook(cells=[prose]), lesson.info, "worked")
    listed = render_handout_html(nbformat.v4.new_notebook(cells=[headed]), lesson.info, "worked")
    assert "Contents" not in bare and 'class="toc"' not in bare
    assert "Contents" in listed and "A heading</span>" in listed


def test_a_space_before_an_inline_element_never_leaves_one_word_alone_on_a_line():
    # At this width WeasyPrint 70 alone puts "It" on a line of its own (scripts/linebreak.py).
    from scripts.handout import write_pdf
    from scripts.lesson import read_lesson

    info = read_lesson(REPO / "tests/fixtures/course/sources/01_tag_table.py").info
    prose = (
        "<p>It walks the graph from the loss back to the leaves, multiplying local derivatives "
        "(the chain rule), and <strong>adds</strong> the result into each leaf's .grad.</p>"
    )
    pdf = write_pdf(f"<html><body><main>{prose}</main></body></html>", info, "worked")
    lines = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
    assert lines[0].startswith("It walks the graph") and lines[0].rstrip().endswith("and")
    assert lines[1].startswith("adds the result")  # what does not fit still moves down


def test_a_handouts_bytes_do_not_depend_on_the_handouts_its_process_laid_out_before(
    monkeypatch,
):
    # A process lays out all its handouts with one font configuration (scripts/handout.py);
    # had a CJK handout's faces joined it, they would be the fallback for these symbols.
    from scripts import handout
    from scripts.lesson import read_lesson

    monkeypatch.setattr(handout, "_FONTS", {})
    info = read_lesson(REPO / "tests/fixtures/course/sources/01_tag_table.py").info
    plain = "<html><body><main><p>Ⅳ ℃ № ™ ‰ ‱</p></main></body></html>"
    first = handout.write_pdf(plain, info, "worked")
    handout.write_pdf(plain.replace("Ⅳ", "中文 한국어 Ⅳ"), info, "worked")
    assert handout.write_pdf(plain, info, "worked") == first
    assert len(handout._FONTS) == 2  # the plain one was used again, not made anew


def test_a_handout_laid_out_a_day_later_has_the_same_bytes_when_fonttools_subsets(monkeypatch):
    # Where HarfBuzz's subsetter is missing, WeasyPrint subsets with fontTools, which stamps
    # each font with the time it saved it (scripts/handout.py: _fonts_dated).
    import time

    from weasyprint.pdf import fonts

    from scripts import handout
    from scripts.lesson import read_lesson

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    info = read_lesson(REPO / "tests/fixtures/course/sources/01_tag_table.py").info
    page = "<html><body><main><p>Bold <b>words</b> and <code>x = 1</code></p></main></body></html>"
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = handout.write_pdf(page, info, "worked")
    monkeypatch.setattr(time, "time", lambda: now + 86_400)
    assert handout.write_pdf(page, info, "worked") == first
    assert "SOURCE_DATE_EPOCH" not in os.environ  # the build's processes are left as they were


def test_a_forked_worker_never_deletes_the_font_files_of_the_process_it_came_from(
    monkeypatch, tmp_path
):
    # WeasyPrint deletes a font configuration's files when it is collected, and each process
    # clears its own configurations as it ends; a pool worker inherits its parent's.
    import multiprocessing
    import tempfile

    from scripts import handout
    from scripts.lesson import read_lesson

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(handout, "_FONTS", {})
    monkeypatch.setattr(handout, "_OWN", set())
    info = read_lesson(REPO / "tests/fixtures/course/sources/01_tag_table.py").info
    page = "<html><body><main><p>Fonts</p></main></body></html>"
    first = handout.write_pdf(page, info, "worked")
    ours = sorted(tmp_path.glob("weasyprint-*"))
    assert len(ours) == 1 and any(ours[0].iterdir())
    parents = id(handout._FONTS[False])
    receiving, sending = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(
        target=_lay_out_and_say_whose_fonts, args=(page, info, sending)
    )
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0
    # The worker laid out with its parent's configuration, warm, and made none of its own.
    assert receiving.recv() == (parents, set(), True)
    assert sorted(tmp_path.glob("weasyprint-*")) == ours
    assert any(ours[0].iterdir())  # and the parent's files outlived the worker
    assert handout.write_pdf(page, info, "worked") == first


def _lay_out_and_say_whose_fonts(page, info, answer) -> None:
    from scripts import handout

    same = handout.write_pdf(page, info, "worked") == handout.write_pdf(page, info, "worked")
    answer.send((id(handout._FONTS[False]), set(handout._OWN), same))


def test_long_code_lines_get_a_hanging_indent_past_their_own_indentation():
    from scripts.handout import LONG_CODE_LINE, highlight_for_print

    long = "    total = " + " + ".join(["x"] * LONG_CODE_LINE)
    page = highlight_for_print(f"if x:\n{long}\nshort = 1\n")
    assert page.count('class="long-line"') == 1
    assert 'style="padding-left: 8ch; text-indent: -8ch">    total = x' in page
    assert "</span>short = 1\n" in page  # no empty line after the block


def test_the_hanging_indent_lands_on_the_long_line_after_leading_blank_lines():
    from scripts.handout import LONG_CODE_LINE, highlight_for_print

    long = "total = " + " + ".join(["x"] * LONG_CODE_LINE)
    page = highlight_for_print(f"\n\nshort = 1\n{long}\n")
    assert 'text-indent: -4ch">total = x' in page
    assert '<span class="long-line"' not in page.split("short = 1")[0]


def test_two_contents_columns_are_balanced_by_the_lines_their_entries_take():
    from scripts.contents import COLUMN_CHARS, Entry, balanced_columns

    long, short = "x" * (COLUMN_CHARS + 5), "Setup"  # a title that wraps takes two lines
    entries = [Entry("2", f"sec-{n}", t) for n, t in enumerate([long, long, *[short] * 4])]
    left, right = balanced_columns(entries)
    assert (len(left), len(right)) == (2, 4)  # 4 lines each, not 3 entries each
    left, right = balanced_columns(entries[:5])  # 7 lines: the left column takes the odd one
    assert [e.lines() for e in left] == [2, 2] and len(right) == 3


def test_a_handout_without_its_fonts_installed_fails_with_the_fix(tmp_path, monkeypatch):
    # WeasyPrint would lay the page out in the system's fonts and say nothing.
    from scripts import assets
    from scripts.handout import write_pdf
    from scripts.lesson import LessonInfo

    monkeypatch.setattr(assets, "NODE_MODULES", tmp_path / "node_modules")
    info = LessonInfo(tmp_path / "09_x.py", "09_x", "09", "X", "1.0", "2026-01-01", ("a",))
    with pytest.raises(assets.MissingAsset) as error:
        write_pdf("<p>text</p>", info, "worked")
    assert "noto-sans" in str(error.value) and "make setup" in str(error.value)


def figures_notebook(width_pt: int, count: int = 6) -> nbformat.NotebookNode:
    """One cell that drew `count` figures `width_pt` wide (5:3), as a loop of plt.show() does."""
    height = width_pt * 3 // 5
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_pt}pt" height="{height}pt" '
        f'viewBox="0 0 {width_pt} {height}"><rect width="{width_pt}" height="{height}" '
        'fill="#0072b2"/></svg>'
    )
    outputs = [
        nbformat.v4.new_output("display_data", data={"image/svg+xml": svg, "text/plain": "F"})
        for _ in range(count)
    ]
    cell = nbformat.v4.new_code_cell("for lr in rates:\n    plot(lr)", outputs=outputs)
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Rates"), cell])


def test_small_figures_print_two_to_a_row_and_large_ones_one_to_a_row():
    from scripts.handout import render_handout_html, write_pdf
    from scripts.lesson import read_lesson

    info = read_lesson(REPO / "tests/fixtures/course/sources/01_tag_table.py").info
    small = render_handout_html(figures_notebook(288, 8), info, "worked")  # 4 in wide: 102 mm
    large = render_handout_html(figures_notebook(460, 8), info, "worked")  # 6.4 in: 162 mm
    assert "celltag_figure-pairs" in small and "celltag_figure-pairs" not in large
    stacked = small.replace("celltag_figure-pairs", "celltag_none")
    pages = [
        len(PdfReader(io.BytesIO(write_pdf(h, info, "worked"))).pages) for h in (small, stacked)
    ]
    assert pages == [2, 4]  # the cover, then four rows of two on one page; stacked, three
