"""The tag table, checked in every built output of the fixture course (deck, handouts, notebook)."""

from __future__ import annotations

import re

import nbformat
import pytest
from pypdf import PdfReader

from scripts.editions import limit_outputs, make_edition

LESSON = "01_tag_table"
STEM = "01_tag_table_v1.3"


def deck_text(built) -> str:
    return (built.out(LESSON) / f"{STEM}.slides.html").read_text(encoding="utf-8")


def deck_without_notes(built) -> str:
    return re.sub(r'<aside class="notes">.*?</aside>', "", deck_text(built), flags=re.DOTALL)


def pdf_text(built, edition: str) -> str:
    reader = PdfReader(built.out(LESSON) / f"{STEM}.{edition}.pdf")
    return "\n".join(page.extract_text() for page in reader.pages)


def notebook(built) -> nbformat.NotebookNode:
    return nbformat.read(built.out(LESSON) / f"{STEM}.ipynb", as_version=4)


def notebook_sources(built) -> str:
    return "\n".join(cell.source for cell in notebook(built).cells)


# (marker, in slides, in worked handout, in student handout, in student notebook)
TAG_TABLE = [
    ("MARK_PLAIN_MD", True, True, True, True),
    ("MARK_PLAIN_CODE", True, True, True, True),
    ("OUT_PLAIN", True, True, True, False),  # the notebook has no outputs
    ("MARK_EXERCISE", True, True, True, True),
    ("MARK_SOLUTION", True, True, False, False),
    ("OUT_SOLUTION", True, True, False, False),
    ("MARK_CHECK", True, True, False, True),  # paper cannot run a check
    ("✓ isinstance(cubes, int)", True, True, False, False),  # what the check prints, solved
    ("MARK_SLIDES_ONLY", True, False, False, True),
    ("MARK_HANDOUT_ONLY", False, True, True, True),
    ("MARK_HIDE_INPUT", False, False, False, True),  # input hidden everywhere but the notebook
    ("OUT_HIDE_INPUT", True, True, True, False),
    ("MARK_NOTES", False, False, False, False),  # only as speaker notes, checked below
]


@pytest.mark.parametrize(("marker", "slides", "worked", "student", "nb"), TAG_TABLE)
def test_tag_table_row_holds_in_every_output(tiny_course, marker, slides, worked, student, nb):
    found = {
        "slides": marker in deck_without_notes(tiny_course),
        "worked": marker in pdf_text(tiny_course, "worked"),
        "student": marker in pdf_text(tiny_course, "student"),
        "notebook": marker in notebook_sources(tiny_course),
    }
    assert found == {"slides": slides, "worked": worked, "student": student, "notebook": nb}


def test_notes_cells_become_speaker_notes_in_the_deck(tiny_course):
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', deck_text(tiny_course), re.DOTALL)
    assert len(notes) == 1 and "MARK_NOTES" in notes[0]


def test_student_handout_has_an_answer_box_where_the_solution_was(tiny_course):
    assert "Your answer to Exercise 1: MARK_EXERCISE" in pdf_text(tiny_course, "student")
    assert "Your answer" not in pdf_text(tiny_course, "worked")


def test_worked_handout_heads_each_solution_once(tiny_course):
    worked = pdf_text(tiny_course, "worked")
    assert worked.count("Solution to Exercise 1: MARK_EXERCISE") == 2  # contents, heading
    assert "WORKED SOLUTION" not in worked.upper()


def test_student_notebook_has_no_outputs_and_an_empty_solution_cell(tiny_course):
    cells = notebook(tiny_course).cells
    assert all(not c.get("outputs") for c in cells if c.cell_type == "code")
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert [c.source for c in solutions] == ["# Your solution here\n"]


def test_student_notebook_carries_the_lesson_stamp(tiny_course):
    meta = notebook(tiny_course).metadata["lesson"]
    assert (meta["version"], meta["date"]) == ("1.3", "2026-03-04")


def test_long_output_is_cut_with_a_visible_marker():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n" * 100_000)]
    nb.cells = [cell]
    limit_outputs(nb, 24)
    lines = nb.cells[0].outputs[0].text.splitlines()
    assert len(lines) == 25 and lines[-1] == "... 99976 more lines"


def test_make_edition_leaves_its_input_untouched():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["solution"]
    nb.cells = [cell]
    make_edition(nb, "notebook")
    assert nb.cells[0].source == "x = 1"


def test_a_blank_cell_is_left_off_slides_and_pages_but_not_out_of_the_notebook():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("print(1)"),
        nbformat.v4.new_code_cell("  \n"),
        nbformat.v4.new_markdown_cell(""),
        nbformat.v4.new_code_cell("", metadata={"tags": ["exercise"]}),
    ]
    for edition in ("slides", "student-slides", "worked", "student"):
        kept = make_edition(notebook, edition).cells
        assert [c.source for c in kept] == ["print(1)", ""], edition
    assert len(make_edition(notebook, "notebook").cells) == 4
