"""The real handouts as printed: exercises beside their answer boxes, no near-empty pages,
the contents on the cover, and each worked solution under a heading of its own."""

from __future__ import annotations

import re

import pdfplumber
import pytest
from pypdf import PdfReader

from scripts.exercises import EXERCISE_PREFIX, HEADING, find_exercises
from scripts.lesson import read_lesson

from .conftest import REPO
from .pagefill import empty_fractions
from .test_handout_pdf import _flat, page_lines, toc_entries

pytestmark = pytest.mark.slow  # renders the real lessons' handouts, with torch

LESSONS = sorted(p.stem for p in (REPO / "sources").glob("[0-9][0-9]_*.py"))
MOSTLY_EMPTY = 0.8  # of the text area, below the last ink


def exercise_titles(lesson: str) -> list[str]:
    """Each exercise's title as its source heading writes it, without "Exercise:"."""
    cells = read_lesson(REPO / "sources" / f"{lesson}.py").notebook.cells
    titles = []
    for exercise in find_exercises(cells):
        prose = next(c.source for c in exercise.cells if c.cell_type == "markdown")
        heading = HEADING.search(prose)
        titles.append(EXERCISE_PREFIX.sub("", heading["text"]).strip())
    return titles


def plain(title: str) -> str:
    """A markdown title as the PDF's text shows it (no backticks or emphasis marks)."""
    return re.sub(r"[`*_]", "", title) if "$" not in title else title.split("$")[0].strip()


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_exercise_and_its_answer_box_are_on_one_page(real_handouts, lesson):
    with pdfplumber.open(real_handouts[lesson, "student"]) as pdf:
        _, toc_pages = toc_entries(pdf)
        pages = [" ".join(page_lines(page)) for page in pdf.pages]
    titles = exercise_titles(lesson)
    assert titles
    for number, title in enumerate(titles, start=1):
        heading = f"Exercise {number}: {plain(title)}"
        box = f"Your answer to Exercise {number}:"
        on = [n for n, text in enumerate(pages, start=1) if heading in text and n > toc_pages]
        assert on, f"{heading!r} not found"
        assert box in pages[on[0] - 1], f"{heading!r} is on page {on[0]}, its answer box is not"


@pytest.mark.parametrize("edition", ["worked", "student"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_no_page_but_the_last_is_mostly_empty(real_handouts, lesson, edition):
    fractions = empty_fractions(real_handouts[lesson, edition])
    empty = [(n, f"{f:.0%}") for n, f in enumerate(fractions[:-1], 1) if f > MOSTLY_EMPTY]
    assert empty == []


@pytest.mark.parametrize("edition", ["worked", "student"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_the_contents_fit_on_the_cover(real_handouts, lesson, edition):
    with pdfplumber.open(real_handouts[lesson, edition]) as pdf:
        entries, toc_pages = toc_entries(pdf)
    assert len(entries) >= 10 and toc_pages == 1


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_worked_solution_has_one_heading_in_contents_and_bookmarks(real_handouts, lesson):
    path = real_handouts[lesson, "worked"]
    with pdfplumber.open(path) as pdf:
        entries, _ = toc_entries(pdf)
        text = " ".join(" ".join(page_lines(page)) for page in pdf.pages)
    bookmarks = [item.title for item in _flat(PdfReader(path).outline)]
    count = len(exercise_titles(lesson))
    wanted = [f"Solution to Exercise {n}:" for n in range(1, count + 1)]
    assert all(sum(t.startswith(w) for t, _ in entries) == 1 for w in wanted), entries
    assert all(sum(b.startswith(w) for b in bookmarks) == 1 for w in wanted), bookmarks
    assert "WORKED SOLUTION" not in text.upper()
