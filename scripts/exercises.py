"""Exercises numbered for print: each one's heading, answer box and solution name it.

A handout is read on paper, away from the slides, often weeks later: "Your answer" needs to say
to which exercise, and a worked solution needs a heading of its own that the contents and the
PDF bookmarks list. Notebook in, notebook out (on the edition the handout prints):

- each run of `exercise` cells is one exercise, numbered in order: its heading
  `## Exercise: title` reads `## Exercise 2: title`;
- student edition: its answer box (scripts/editions.py) is labelled "Your answer to
  Exercise 2: title";
- worked edition: its solution opens with one heading, "Solution to Exercise 2: title" (the
  solution's own first heading, when it has one, is renamed instead of repeated);
- the exercise's cells are kept on one page with the answer box or the solution's heading
  that follows them (the `keep-with-next` tag of handout.css); a longer exercise still breaks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_markdown_cell

from .editions import answer_box_html, tags

# A `#`-`######` heading line, and an "Exercise" (or "Exercise 3") prefix on its text.
HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)[ \t#]*$", re.MULTILINE)
EXERCISE_PREFIX = re.compile(r"^exercise\b(?:\s*\d+)?\s*[:.\u2013\u2014-]?\s*", re.IGNORECASE)


@dataclass
class Exercise:
    """Where one exercise sits in the notebook, and what it is called."""

    number: int
    cells: list  # its `exercise` cells, in order
    answer: list  # what follows it: the answer box, or the solution cells

    def name(self, title: str) -> str:
        return f"Exercise {self.number}: {title}" if title else f"Exercise {self.number}"


def number_exercises(notebook: nbformat.NotebookNode, edition: str) -> None:
    """Number the exercises and name each one's answer box or solution (in place)."""
    for exercise in find_exercises(notebook.cells):
        title = _retitle_exercise(notebook, exercise)
        name = exercise.name(title)
        for cell in exercise.cells[: -1 if edition == "worked" else None]:
            # The stub stays with its task; in the student edition with the box after it too.
            add_tag(cell, "keep-with-next")
        if edition == "student":
            _label_answer_boxes(exercise.answer, name)
        elif edition == "worked" and exercise.answer:
            _head_solution(notebook, exercise, name)


def add_tag(cell, tag: str) -> None:
    """Tag a cell once (nbformat refuses a notebook with a tag twice on one cell)."""
    cell_tags = cell.metadata.setdefault("tags", [])
    if tag not in cell_tags:
        cell_tags.append(tag)


def find_exercises(cells: list) -> list[Exercise]:
    """Each run of `exercise` cells, with the solution cells or answer box right after it."""
    exercises: list[Exercise] = []
    index = 0
    while index < len(cells):
        if "exercise" not in tags(cells[index]):
            index += 1
            continue
        start = index
        while index < len(cells) and "exercise" in tags(cells[index]):
            index += 1
        answer_start = index
        while index < len(cells) and tags(cells[index]) & {"solution", "answer-box"}:
            index += 1
        exercises.append(
            Exercise(len(exercises) + 1, cells[start:answer_start], cells[answer_start:index])
        )
    return exercises


def _retitle_exercise(notebook: nbformat.NotebookNode, exercise: Exercise) -> str:
    """Put the number into the exercise's first heading; the title without "Exercise"."""
    for cell in exercise.cells:
        heading = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if heading is not None:
            title = EXERCISE_PREFIX.sub("", heading["text"]).strip()
            line = f"{heading['hashes']} {exercise.name(title)}"
            cell.source = cell.source[: heading.start()] + line + cell.source[heading.end() :]
            return title
    # No heading at all: the number must still be on the page for the answer box to refer to.
    marker = new_markdown_cell(f"### {exercise.name('')}")
    marker.metadata["tags"] = ["exercise"]
    marker.id = f"exercise-{exercise.number}-heading"  # not random: builds are byte-identical
    _insert_before(notebook, exercise.cells[0], marker)
    exercise.cells.insert(0, marker)
    return ""


def _insert_before(notebook: nbformat.NotebookNode, cell, new_cell) -> None:
    # By identity: two cells with the same source and tags are equal as dictionaries.
    index = next(i for i, c in enumerate(notebook.cells) if c is cell)
    notebook.cells.insert(index, new_cell)


def _label_answer_boxes(answer: list, name: str) -> None:
    for cell in answer:
        if "answer-box" in tags(cell):
            cell.source = answer_box_html(cell.metadata["answer_lines"], f"Your answer to {name}")


def _head_solution(notebook: nbformat.NotebookNode, exercise: Exercise, name: str) -> None:
    """One "Solution to Exercise N: title" heading at the top of the solution."""
    first = exercise.answer[0]
    heading = HEADING.match(first.source) if first.cell_type == "markdown" else None
    if heading is not None and len(heading["hashes"]) <= 2:
        # The author's own "## Solution: title" is renamed, not repeated under ours.
        first.source = f"## Solution to {name}" + first.source[heading.end() :]
        return
    cell = new_markdown_cell(f"## Solution to {name}")
    cell.metadata["tags"] = ["solution", "keep-with-next"]
    cell.id = f"solution-{exercise.number}-heading"  # not random: builds are byte-identical
    _insert_before(notebook, first, cell)
