"""The handouts read back from the PDF itself: where every character landed, fonts, outline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pdfplumber
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pypdf import PdfReader

from scripts import assets, contents
from scripts.editions import make_edition
from scripts.handout import render_handout_html, write_pdf
from scripts.lesson import LessonInfo

LESSONS = ["01_tag_table", "02_second", "04_long_content"]
EDITIONS = ["worked", "student"]
LABELS = {"worked": "Worked edition (with solutions)", "student": "Student edition"}
MM = 72 / 25.4
TOLERANCE = 0.5  # pt: rounding in the PDF's coordinates
TOC_LINE = re.compile(r"^(?P<title>.+?)\s+(?P<page>\d+)$")  # the leader is a line, not text
FOOTER = re.compile(r"^.+ · v\d+\.\d+ · \d{4}-\d\d-\d\d page (\d+) of (\d+)$")


def pdf_path(built, lesson: str, edition: str):
    (path,) = built.out(lesson).glob(f"*.{edition}.pdf")
    return path


def page_margins() -> tuple[float, float, float, float]:
    """Top, right, bottom, left margins in pt, from the @page rule of handout.css."""
    css = assets.template_css("handout.css")
    rule = re.search(r"@page\s*\{[^}]*?\bmargin:\s*([^;]+);", css).group(1).split()
    top, right, bottom, left = (float(v.removesuffix("mm")) * MM for v in rule)
    return top, right, bottom, left


def page_lines(page) -> list[str]:
    return [line["text"] for line in page.extract_text_lines()]


def landing_pages(pdf, texts: list[str], skip: int) -> dict[str, int]:
    """The first page (1-based) after the first `skip` pages with a line equal to each text."""
    found = {}
    for number, page in enumerate(pdf.pages[skip:], start=skip + 1):
        for line in page_lines(page):
            if line in texts and line not in found:
                found[line] = number
    return found


def toc_entries(pdf) -> tuple[list[tuple[str, int]], int]:
    """The contents' (heading, page) pairs and how many pages the contents take."""
    entries, pages = [], 0
    for number, page in enumerate(pdf.pages, start=1):
        lines = toc_lines(page)
        if "Contents" in lines:
            lines = lines[lines.index("Contents") + 1 :]
        rows, wrapped = [], []
        for line in lines:
            row = TOC_LINE.match(line)
            if row is None:
                wrapped.append(line)  # the first line(s) of an entry that wraps
                continue
            title = " ".join([*wrapped, row["title"]])
            rows.append((title, int(row["page"])))
            wrapped = []
        if not rows or len(page.annots) < len(rows):
            break  # every entry is a link: a page of headings that end in numbers is not a list
        entries += rows
        pages = number
    return entries, pages


def toc_lines(page) -> list[str]:
    """The text area's lines; column by column where the contents are set in two columns."""
    top, _, bottom, _ = page_margins()
    area = page.crop((0, top, page.width, page.height - bottom))
    lines = area.extract_text_lines()
    heading = [line["bottom"] for line in lines if line["text"] == "Contents"]
    start = heading[0] + 1 if heading else top
    middle = page.width / 2
    # In two columns, the left one's page numbers end a gap's width before the middle.
    words = area.crop((0, start, page.width, area.bbox[3])).extract_words()
    if not any(w["text"].isdigit() and middle - 8 * MM < w["x1"] < middle for w in words):
        return [line["text"] for line in lines]
    columns = (
        area.crop((0, start, middle, area.bbox[3])),
        area.crop((middle, start, page.width, area.bbox[3])),
    )
    above = [line["text"] for line in lines if line["bottom"] < start]
    return above + [line for column in columns for line in page_lines(column)]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_no_character_lies_outside_the_text_area(tiny_course, lesson, edition):
    top, right, bottom, left = page_margins()
    outside = []
    with pdfplumber.open(pdf_path(tiny_course, lesson, edition)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                if char["bottom"] <= top or char["top"] >= page.height - bottom:
                    continue  # the running header and footer live in the margins
                if char["x0"] < left - TOLERANCE or char["x1"] > page.width - right + TOLERANCE:
                    outside.append(f"page {number}: {char['text']!r} at x={char['x0']:.1f}")
    assert outside == []


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_only_the_stamp_and_page_number_sit_in_the_margins(tiny_course, lesson, edition):
    top, _, bottom, _ = page_margins()
    with pdfplumber.open(pdf_path(tiny_course, lesson, edition)) as pdf:
        total = len(pdf.pages)
        for number, page in enumerate(pdf.pages, start=1):
            lines = page.extract_text_lines()
            footer = [x["text"] for x in lines if x["top"] >= page.height - bottom]
            header = [x["text"] for x in lines if x["bottom"] <= top]
            assert len(footer) == 1 and FOOTER.match(footer[0]), (number, footer)
            assert FOOTER.match(footer[0]).groups() == (str(number), str(total))
            assert header == ([] if number == 1 else [LABELS[edition]]), (number, header)


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_contents_page_numbers_match_where_the_headings_landed(tiny_course, lesson, edition):
    with pdfplumber.open(pdf_path(tiny_course, lesson, edition)) as pdf:
        entries, toc_pages = toc_entries(pdf)
        landed = landing_pages(pdf, [title for title, _ in entries], skip=toc_pages)
    assert entries, "the contents list no heading"
    assert [(title, landed.get(title)) for title, _ in entries] == entries


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_pdf_bookmarks_follow_the_headings(tiny_course, lesson, edition):
    path = pdf_path(tiny_course, lesson, edition)
    reader = PdfReader(path)
    marks = [(m.title, reader.get_destination_page_number(m) + 1) for m in _flat(reader.outline)]
    with pdfplumber.open(path) as pdf:
        entries, _ = toc_entries(pdf)
    assert [m for m in marks if m in entries] == entries  # every contents entry is a bookmark


def test_third_level_headings_are_nested_bookmarks(tiny_course):
    outline = PdfReader(pdf_path(tiny_course, "01_tag_table", "worked")).outline
    nested = [item for item in outline if isinstance(item, list)]
    assert [m.title for m in nested[0]] == ["A third-level heading does not cut MARK_H3"]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_every_font_is_embedded(tiny_course, lesson, edition):
    reader = PdfReader(pdf_path(tiny_course, lesson, edition))
    missing = []
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for name, font in fonts.items():
            font = font.get_object()
            if font["/Subtype"] == "/Type3":
                continue  # glyphs drawn by the PDF's own procedures: nothing to embed
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font.get("/FontDescriptor", {})
            if not {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor):
                missing.append(f"{name} {font.get('/BaseFont')}")
    assert missing == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_pdffonts_lists_only_embedded_subset_truetype_fonts(tiny_course, lesson):
    """What poppler's pdffonts says of both editions: every font embedded and subset, and no
    Type 3 font (glyphs as drawings: blurry, unsearchable), which none of them had before the
    speed work. A change to fonts for speed must keep this."""
    pdffonts = shutil.which("pdffonts")
    if pdffonts is None:
        pytest.skip("no pdffonts (poppler-utils) on the PATH")
    for edition in EDITIONS:
        listed = subprocess.run(
            [pdffonts, str(pdf_path(tiny_course, lesson, edition))],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[2:]
        assert listed, f"{lesson} {edition}: no fonts at all"
        for row in listed:
            assert "Type 3" not in row, row
            # the columns after the type and encoding: emb sub uni object ID
            emb, sub = row.split()[-5:-3]
            assert (emb, sub) == ("yes", "yes"), row


def test_figures_are_vector_drawings_not_pictures(tiny_course):
    with pdfplumber.open(pdf_path(tiny_course, "01_tag_table", "worked")) as pdf:
        page = next(p for p in pdf.pages[1:] if "MARK_FIGURE_SLIDE" in p.extract_text())
        assert page.images == []  # the SVG was drawn, not a PNG pasted
        assert len(page.curves) + len(page.lines) > 20
        top, right, _, left = page_margins()
        drawing = [c for c in page.curves if c["top"] > top]
        assert min(c["x0"] for c in drawing) >= left - TOLERANCE
        assert max(c["x1"] for c in drawing) <= page.width - right + TOLERANCE


@pytest.mark.parametrize("edition", EDITIONS)
def test_long_code_and_output_lines_wrap_and_lose_nothing(tiny_course, edition):
    _, right, _, left = page_margins()
    with pdfplumber.open(pdf_path(tiny_course, "04_long_content", edition)) as pdf:
        # Only what lies between the margins counts: text past the edge is text lost.
        area = [
            p.within_bbox((left - TOLERANCE, 0, p.width - right + TOLERANCE, p.height))
            for p in pdf.pages
        ]
        text = re.sub(r"\s+", "", "".join(p.extract_text() for p in area))
    assert "".join(f"L{i:03d}" for i in range(40)) in text  # the long code line
    assert "".join(f"O{i:03d}" for i in range(80)) in text  # the long output word


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_wrapped_code_line_continues_indented_under_itself(tiny_course, edition):
    with pdfplumber.open(pdf_path(tiny_course, "04_long_content", edition)) as pdf:
        page = next(p for p in pdf.pages[1:] if "MARK_LONG_LINE" in p.extract_text())
        rows = {}
        for char in page.chars:
            if "Mono" in char["fontname"]:
                rows.setdefault(round(char["top"]), []).append(char)
    lines = [sorted(row, key=lambda c: c["x0"]) for _, row in sorted(rows.items())]
    text = ["".join(c["text"] for c in line) for line in lines]
    first = next(n for n, t in enumerate(text) if t.startswith("tokens = "))
    continued = [lines[n] for n in range(first + 1, len(lines)) if text[n].startswith("L0")]
    assert continued  # the line did wrap
    column = lines[first][0]["width"]
    for line in continued:  # four columns in from where `tokens` starts, not back at the edge
        assert line[0]["x0"] == pytest.approx(lines[first][0]["x0"] + 4 * column, abs=1)


def test_code_is_set_at_a_readable_size(tiny_course):
    with pdfplumber.open(pdf_path(tiny_course, "04_long_content", "worked")) as pdf:
        sizes = {round(c["size"], 1) for p in pdf.pages for c in p.chars if "Mono" in c["fontname"]}
    assert sizes and all(8.0 <= s <= 9.5 for s in sizes), sizes


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_short_code_cell_is_never_split_across_pages(tiny_course, edition):
    with pdfplumber.open(pdf_path(tiny_course, "04_long_content", edition)) as pdf:
        pages = [p.extract_text() for p in pdf.pages]
    where = {
        marker: [n for n, text in enumerate(pages, start=1) if marker in text]
        for k in range(12)
        for marker in (f"CELL_{k:02d}_FIRST", f"CELL_{k:02d}_OUT")
    }
    assert len({n for found in where.values() for n in found}) >= 2  # the cells do span pages
    split = [k for k in range(12) if where[f"CELL_{k:02d}_FIRST"] != where[f"CELL_{k:02d}_OUT"]]
    assert split == []


def test_worked_edition_heads_solutions_and_student_edition_leaves_a_named_ruled_box(
    tiny_course,
):
    with pdfplumber.open(pdf_path(tiny_course, "01_tag_table", "worked")) as pdf:
        worked = "".join(p.extract_text() for p in pdf.pages[1:])
    with pdfplumber.open(pdf_path(tiny_course, "01_tag_table", "student")) as pdf:
        student = "".join(p.extract_text() for p in pdf.pages)
        box = _answer_box(pdf)
    assert "Solution to Exercise 1: MARK_EXERCISE" in worked and "OUT_SOLUTION" in worked
    assert "Your answer to Exercise 1: MARK_EXERCISE" in student
    assert "OUT_SOLUTION" not in student
    assert box is not None and box["height"] > 60  # room to write several lines
    assert isinstance(box["non_stroking_color"], str)  # filled with a pattern: the ruled lines


def test_an_exercise_and_its_answer_box_share_a_page(tmp_path):
    # Just enough text before the exercise that, laid out one cell after another, its task
    # and stub would end page 3 and its answer box start page 4 (measured without the rule).
    info = LessonInfo(tmp_path / "09_x.py", "09_x", "09", "Boxes", "1.0", "2026-01-01", ("a",))
    task = new_markdown_cell("## Exercise: MARK_TASK\nDo it MARK_BODY.")
    stub = new_code_cell("x = 1  # MARK_STUB")
    solution = new_code_cell("\n".join(f"y{i} = {i}" for i in range(12)))
    task.metadata["tags"], stub.metadata["tags"] = ["exercise"], ["exercise"]
    solution.metadata["tags"] = ["solution"]
    filler = [new_markdown_cell(f"Paragraph {i}. " + "Some words. " * 30) for i in range(14)]
    notebook = new_notebook(cells=[*filler, task, stub, solution])
    page = render_handout_html(make_edition(notebook, "student"), info, "student")
    (tmp_path / "x.pdf").write_bytes(write_pdf(page, info, "student"))
    with pdfplumber.open(tmp_path / "x.pdf") as pdf:
        texts = [page.extract_text() for page in pdf.pages]
    where = [
        [n for n, text in enumerate(texts[1:], start=2) if marker in text]  # after the cover
        for marker in ("MARK_BODY", "MARK_STUB", "Your answer to Exercise 1: MARK_TASK")
    ]
    assert where[0] == where[1] == where[2] and len(where[0]) == 1, where


@pytest.mark.parametrize("edition", EDITIONS)
def test_exercise_is_framed(tiny_course, edition):
    with pdfplumber.open(pdf_path(tiny_course, "01_tag_table", edition)) as pdf:
        page = next(p for p in pdf.pages[1:] if "MARK_EXERCISE" in p.extract_text())
        word = next(w for w in page.extract_words() if "MARK_EXERCISE" in w["text"])
        frames = [c for c in page.curves if _inside(word, c) and _orange(c["non_stroking_color"])]
    assert frames, "no orange frame drawn around the exercise"


def _answer_box(pdf):
    """The patterned box around the "Your answer to ..." label of the student edition."""
    for page in pdf.pages:
        label = next((w for w in page.extract_words() if w["text"] == "Your"), None)
        if label is not None:
            boxes = [r for r in page.rects if _inside(label, r)]
            return max(boxes, key=lambda r: r["height"], default=None)
    return None


def _orange(color) -> bool:
    return isinstance(color, tuple) and len(color) == 3 and color[0] > 0.6 > color[1] > color[2]


def _inside(word, rect) -> bool:
    return (
        rect["x0"] <= word["x0"]
        and word["x1"] <= rect["x1"]
        and rect["top"] <= word["top"]
        and word["bottom"] <= rect["bottom"]
    )


def _flat(outline):
    for item in outline:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


@pytest.mark.parametrize("edition", EDITIONS)
def test_emoji_and_non_latin_letters_are_set_in_the_course_fonts(tiny_course, edition):
    # WeasyPrint picks, per character, the first font of the stack that has its glyph; a
    # character set in any other font fell through to whatever the building machine had.
    with pdfplumber.open(pdf_path(tiny_course, "02_second", edition)) as pdf:
        used = {(c["text"], c["fontname"].split("+")[-1]) for p in pdf.pages for c in p.chars}
    wanted = {"🎉", "α", "ж", "Ü", "∑", "✓"}
    assert wanted <= {text for text, _ in used}
    assert [(t, f) for t, f in used if not t.isascii() and not f.startswith("Course-")] == []
    assert {f for t, f in used if t == "🎉"} <= {"Course-Emoji", "Course-Emoji-Bold"}


def _many_headings(tmp_path, count: int) -> tuple[str, list[tuple[str, int]], int]:
    """A handout of `count` headings: its HTML, its contents' entries and the pages they take."""
    info = LessonInfo(
        tmp_path / "09_x.py", "09_x", "09", "Many Headings", "1.0", "2026-01-01", ("a",) * 8
    )
    cells = [new_markdown_cell(f"## Heading number {i}\nSome text.") for i in range(count)]
    page = render_handout_html(new_notebook(cells=cells), info, "worked")
    (tmp_path / "x.pdf").write_bytes(write_pdf(page, info, "worked"))
    with pdfplumber.open(tmp_path / "x.pdf") as pdf:
        entries, toc_pages = toc_entries(pdf)
        assert "Contents" in page_lines(pdf.pages[0])
        landed = landing_pages(pdf, [title for title, _ in entries], skip=toc_pages)
    assert [title for title, _ in entries] == [f"Heading number {i}" for i in range(count)]
    assert [(title, landed.get(title)) for title, _ in entries] == entries
    return page, entries, toc_pages


def test_a_contents_entrys_page_number_ends_its_last_line_at_the_right_margin(tmp_path):
    # handout.css places the number at the entry's bottom right, over its dotted leader: the
    # numbers line up at the margin, a title that wraps has its number on its last line, and
    # no title runs under a number.
    wrapping = "A heading long enough to wrap onto a second line of a contents list that is set in"
    wrapping += " one wide"
    titles = ["Short", f"{wrapping} column, ending here", "Also short", f"{wrapping} more"]
    info = LessonInfo(tmp_path / "09_x.py", "09_x", "09", "Numbers", "1.0", "2026-01-01", ("a",))
    cells = [new_markdown_cell(f"## {title}\nSome text.") for title in titles]
    page = render_handout_html(new_notebook(cells=cells), info, "worked")
    (tmp_path / "x.pdf").write_bytes(write_pdf(page, info, "worked"))
    with pdfplumber.open(tmp_path / "x.pdf") as pdf:
        lines = toc_text_lines(pdf.pages[0])
        edge = pdf.pages[0].width - page_margins()[1]
    assert len(lines) == 6  # two of the four titles take two lines
    numbered = [line for line in lines if line["text"].split()[-1].isdigit()]
    assert [line["text"].split()[-2] for line in numbered] == ["Short", "here", "short", "more"]
    for line in numbered:
        digits = len(line["text"].split()[-1])
        title, number = line["chars"][:-digits], line["chars"][-digits:]
        assert abs(number[-1]["x1"] - edge) < TOLERANCE, line["text"]
        assert max(char["x1"] for char in title) < number[0]["x0"], line["text"]


def toc_text_lines(page) -> list[dict]:
    """The lines below the "Contents" heading, with their characters (one column)."""
    lines = page.extract_text_lines(return_chars=True)
    start = [line["text"] for line in lines].index("Contents") + 1
    _, _, bottom, _ = page_margins()
    return [line for line in lines[start:] if line["top"] < page.height - bottom]


def test_a_long_contents_list_starts_on_the_cover_and_runs_on(tmp_path):
    # Two columns hold about 70 entries on the cover; 120 must run on to the next page.
    page, _, toc_pages = _many_headings(tmp_path, 120)
    assert toc_pages == 2 and '<ol class="columns">' in page


def test_a_contents_list_that_fits_the_cover_is_set_in_two_balanced_columns(tmp_path):
    page, entries, toc_pages = _many_headings(tmp_path, 41)
    assert toc_pages == 1 and page.count('<div class="toc-columns"><ol>') == 1
    with pdfplumber.open(tmp_path / "x.pdf") as pdf:
        words = pdf.pages[0].extract_words()
    left = [w for w in words if w["text"] == "Heading" and w["x0"] < pdf.pages[0].width / 2]
    assert len(left) == 21  # the left column the longer by one: 21 and 20


def test_a_floated_contents_list_too_long_for_the_cover_loses_no_entry(tmp_path, monkeypatch):
    # The cover's room is an estimate; where it is wrong, WeasyPrint would cut the floats off.
    monkeypatch.setattr(contents, "COVER_COLUMN_LINES", 1000)
    page, _, toc_pages = _many_headings(tmp_path, 120)
    assert '<div class="toc-columns">' in page  # floated, as the wrong estimate said
    assert toc_pages == 2  # and laid out again in columns, all 120 entries


@pytest.mark.parametrize("fits_estimate", [True, False])
def test_a_long_contents_list_numbered_from_the_record_has_the_same_bytes(
    tmp_path, monkeypatch, fits_estimate
):
    # Run on (CSS columns), or floated and laid out again in columns: both ways the page
    # numbers from the last render's record (contents.pages_kept) print what WeasyPrint's
    # counters print, on both pages of the contents.
    if not fits_estimate:
        monkeypatch.setattr(contents, "COVER_COLUMN_LINES", 1000)
    page, entries, _ = _many_headings(tmp_path, 120)
    info = LessonInfo(
        tmp_path / "09_x.py", "09_x", "09", "Many Headings", "1.0", "2026-01-01", ("a",) * 8
    )
    own = (tmp_path / "x.pdf").read_bytes()
    renders = []
    for _ in range(2):  # the first keeps the record, the second is numbered from it
        with contents.pages_kept(tmp_path, info.name, "worked"):
            renders.append(write_pdf(page, info, "worked"))
    assert renders == [own, own]
    record = json.loads((tmp_path / f"{info.name}.worked{contents.PAGES_SUFFIX}").read_text())
    assert sorted(record.values()) == sorted(page_number for _, page_number in entries)
