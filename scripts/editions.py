"""The tag table: which cells (and outputs) each edition keeps. Notebook in, notebook out.

nbconvert's own preprocessors do what they exist for: dropping tagged cells
(TagRemovePreprocessor), joining a cell's stream chunks and applying carriage returns
(CoalesceStreamsPreprocessor), clearing outputs (ClearOutputPreprocessor). The steps below
are the ones nbconvert has no preprocessor for: answer boxes, empty solution cells, speaker
notes, hidden inputs, and cutting long outputs with a visible marker.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import nbformat
from nbconvert.preprocessors import (
    ClearOutputPreprocessor,
    CoalesceStreamsPreprocessor,
    TagRemovePreprocessor,
)
from nbformat.v4 import new_code_cell, new_markdown_cell

from . import checks

EDITIONS = ("slides", "student-slides", "worked", "student", "notebook")

# Which tagged cells each edition drops outright (the format's tag table).
DROPPED = {
    "slides": {"handout-only"},
    # The deck a student may have (the published site): no solutions and no speaker notes,
    # which are the lecturer's. The exercise slides stay; the answer goes in the notebook.
    "student-slides": {"handout-only", "notes", "solution", checks.TAG},
    "worked": {"notes", "slides-only"},
    "student": {"notes", "slides-only", checks.TAG},  # paper cannot run a check
    "notebook": {"notes"},
}
DECK_OUTPUT_LINES = 24
HANDOUT_OUTPUT_LINES = 80
LONG_ANSWER_LINES = 22  # an answer box this many lines tall may continue on the next page


def tags(cell) -> set[str]:
    """The cell's tags as a set."""
    return set(cell.metadata.get("tags", []))


def make_edition(executed: nbformat.NotebookNode, edition: str) -> nbformat.NotebookNode:
    """One edition of the executed lesson, on a copy."""
    notebook = copy.deepcopy(executed)
    TagRemovePreprocessor(remove_cell_tags=DROPPED[edition]).preprocess(notebook, {})
    if edition != "notebook":  # a student may want the empty cell to type in; a page does not
        notebook.cells = [cell for cell in notebook.cells if not shows_nothing(cell)]
    if edition in ("slides", "worked"):
        checks.show_passing(notebook)  # what the student's helper prints for this solution
    if edition in ("slides", "student-slides"):
        _mark_notes(notebook.cells)
        _hide_inputs(notebook.cells)
        limit_outputs(notebook, DECK_OUTPUT_LINES)
    elif edition == "worked":
        _hide_inputs(notebook.cells)
        limit_outputs(notebook, HANDOUT_OUTPUT_LINES)
    elif edition == "student":
        notebook.cells = list(_answer_boxes(notebook.cells))
        _hide_inputs(notebook.cells)
        limit_outputs(notebook, HANDOUT_OUTPUT_LINES)
    elif edition == "notebook":
        notebook.cells = [_empty_if_solution(c) for c in notebook.cells]
        ClearOutputPreprocessor().preprocess(notebook, {})
        checks.for_students(notebook)  # check cells print one line per check, via a helper
    return notebook


def shows_nothing(cell) -> bool:
    """A blank cell with no outputs, tags or slide metadata: left in the notebook it was
    converted from (Jupyter's last, empty cell), it would be an empty box on slide and page."""
    return (
        not cell.source.strip()
        and not cell.get("outputs")
        and not cell.metadata.get("tags")
        and not cell.metadata.get("slideshow")
    )


def stable_ids(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Number the cells `cell-N`: cells the build adds get random ids, which outputs must not."""
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    return notebook


def limit_outputs(notebook: nbformat.NotebookNode, max_lines: int) -> None:
    """Cut long text outputs, leaving a visible `... N more lines` marker."""
    # The kernel sends long output in pieces: join them (and apply `\r`) before counting lines.
    CoalesceStreamsPreprocessor().preprocess(notebook, {})
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = _cut(output.text, max_lines)
            elif "data" in output and "text/plain" in output.data:
                output.data["text/plain"] = _cut(output.data["text/plain"], max_lines)
            elif output.output_type == "error":
                output.traceback = output.traceback[-max_lines:]


def _cut(text: str, max_lines: int) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    kept = "".join(lines[:max_lines])
    if not kept.endswith("\n"):
        kept += "\n"
    return kept + f"... {len(lines) - max_lines} more lines\n"


def _mark_notes(cells: list) -> None:
    for cell in cells:
        if "notes" in tags(cell):
            cell.metadata["slideshow"] = {"slide_type": "notes"}


def _hide_inputs(cells: list) -> None:
    for cell in cells:
        if cell.cell_type == "code" and "hide-input" in tags(cell):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
            cell.metadata["transient"] = {"remove_source": True}


def _answer_boxes(cells: list) -> Iterable:
    """Each run of solution cells becomes one empty, ruled answer box."""
    run: list = []
    for cell in cells + [None]:
        if cell is not None and "solution" in tags(cell):
            run.append(cell)
            continue
        if run:
            yield _answer_box(run)
            run = []
        if cell is not None:
            yield cell


def _answer_box(solution_cells: list) -> nbformat.NotebookNode:
    # As many ruled lines as the worked solution has, plus room to think: 4 to 30.
    lines = max(4, min(sum(len(c.source.splitlines()) for c in solution_cells) + 2, 30))
    box = new_markdown_cell(answer_box_html(lines, "Your answer"))
    box.metadata["tags"] = ["answer-box"]
    box.metadata["answer_lines"] = lines  # the handout relabels it (scripts/exercises.py)
    return box


def answer_box_html(lines: int, label: str) -> str:
    """A ruled box with room for `lines` lines of writing, `label` (markdown) at its top."""
    # The blank lines end the HTML blocks, so that the label between them is read as markdown
    # (an exercise title may hold `code` or math).
    if lines < LONG_ANSWER_LINES:
        # One block, drawn ruled by handout.css, never split: it moves to the next page whole.
        style = f'style="height: {lines * 22 + 14}pt"'
        return f'<div class="answer-box" {style}>\n\n{label}\n\n</div>'
    # Too tall to share a page with most exercises: one block per line, so that it can start
    # below its exercise and continue on the next page (a fixed-height block cannot split).
    rules = '<div class="answer-rule"></div>' * lines
    return f'<div class="answer-box answer-box-long">\n\n{label}\n\n{rules}</div>'


def _empty_if_solution(cell) -> nbformat.NotebookNode:
    if "solution" not in tags(cell):
        return cell
    if cell.cell_type == "markdown":
        empty = new_markdown_cell("*Your answer:*")
    else:
        empty = new_code_cell("# Your solution here\n")
    empty.metadata["tags"] = ["solution"]
    return empty
