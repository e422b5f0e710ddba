"""Self-checking exercises: `check` cells, the student notebook's helper, and the stub proof.

A `check` cell holds plain `assert cond, "hint"` statements, one per check. The lesson runs
them as written (the build's execution and `make run` prove that they pass on the worked
solution). The student notebook runs them through a small `%%check` cell magic that the build
adds (templates/check_helper.py), which prints one line per check instead of a traceback.
The build also runs the student notebook itself, answers blank (one extra kernel, cached),
and fails when a check passes there: such a check checks nothing.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_output

from .lesson import Lesson, LessonError

TAG = "check"
MAGIC = "%%check\n"
HELPER = (Path(__file__).resolve().parent / "templates" / "check_helper.py").read_text()
PASSED = "✓ "  # the helper's line for a check that holds (templates/check_helper.py)
NOT_YET = ("not yet: ", "not attempted yet")
STUDENT_RUN = "student-run"  # the stub run's name in the execution cache
HEADING = re.compile(r"^#+\s*(?:Exercise\s*[:.\-–]?\s*)?(?P<title>.+?)\s*$", re.IGNORECASE)


def is_check(cell) -> bool:
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def has_checks(notebook) -> bool:
    return any(is_check(cell) for cell in notebook.cells)


def conditions(source: str) -> list[ast.Assert]:
    """The asserts of a check cell, in order; ValueError naming the first other statement."""
    statements = ast.parse(source).body
    for statement in statements:
        if not isinstance(statement, ast.Assert):
            raise ValueError(statement.lineno)
    return statements


def shown_condition(statement: ast.Assert) -> str:
    """The condition as the helper prints it after ✓ (same normalisation)."""
    return " ".join(ast.unparse(statement.test).split())


def check_problem(source: str) -> tuple[int, str, str] | None:
    """(line offset, problem, fix) when a check cell is not a list of asserts with hints."""
    try:
        asserts = conditions(source)
    except SyntaxError as error:
        return (error.lineno or 1) - 1, "this check cell is not valid Python", "fix that line"
    except ValueError as error:
        return (
            error.args[0] - 1,
            'a check cell holds only `assert condition, "hint"` statements, one per check',
            "move other code into the solution",
        )
    if not asserts:
        return 0, "this check cell has no assert", 'add `assert condition, "hint"` lines'
    for statement in asserts:
        if statement.msg is None:
            return (
                statement.lineno - 1,
                "this check has no hint",
                'add the message a student sees when it fails: assert condition, "what to fix"',
            )
    return None


# ---- the student notebook ----


def for_students(notebook: nbformat.NotebookNode) -> None:
    """Run every check cell through the helper's `%%check`; add the helper before the first."""
    cells = notebook.cells
    checks = [index for index, cell in enumerate(cells) if is_check(cell)]
    if not checks:
        return
    for index in checks:
        cells[index].source = MAGIC + cells[index].source
    helper = new_code_cell(HELPER.rstrip("\n"))
    helper.metadata["tags"] = ["check-helper"]
    cells.insert(_exercise_start(cells, checks[0]), helper)


def _exercise_start(cells: list, check_index: int) -> int:
    """The first cell of the exercise a check belongs to (the helper goes just above it)."""
    index = check_index
    while index > 0 and not _is_exercise(cells[index]):
        index -= 1
    while index > 0 and _is_exercise(cells[index - 1]):
        index -= 1
    return index


def _is_exercise(cell) -> bool:
    return "exercise" in cell.metadata.get("tags", [])


# ---- the deck and the worked handout ----


def show_passing(notebook: nbformat.NotebookNode) -> None:
    """Give each check cell the lines the student helper prints for a correct answer.

    The lesson's own run executed the asserts and stopped on any that failed, so every check
    of a built lesson holds: these are the lines that run would have printed through the helper.
    """
    for cell in notebook.cells:
        if not is_check(cell):
            continue
        asserts = conditions(cell.source)
        text = "".join(f"{PASSED}{shown_condition(s)}\n" for s in asserts)
        text += f"All {len(asserts)} checks passed.\n"
        cell.outputs = [new_output("stream", name="stdout", text=text)]


# ---- the proof: every check says "not yet" on the student stub ----


def stub_notebook(student: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook cut after its last check: nothing later can change a check."""
    stub = copy.deepcopy(student)
    last = max(index for index, cell in enumerate(stub.cells) if is_check(cell))
    stub.cells = stub.cells[: last + 1]
    return stub


def prove_checks(lesson: Lesson, ran_stub: nbformat.NotebookNode) -> None:
    """LessonError for the first check that passes (or does not run) with answers blank."""
    source_checks = [
        (index, cell)
        for index, cell in enumerate(lesson.notebook.cells)
        if is_check(cell) and "notes" not in cell.metadata.get("tags", [])
    ]
    stub_checks = [cell for cell in ran_stub.cells if is_check(cell)]
    for (index, cell), ran in zip(source_checks, stub_checks, strict=True):
        first, _ = lesson.cell_lines[index]
        title = exercise_title(lesson.notebook.cells, index)
        printed = _printed(ran).splitlines()
        for statement in conditions(cell.source):
            if f"{PASSED}{shown_condition(statement)}" in printed:
                raise LessonError(
                    lesson.info.path,
                    first + statement.lineno,  # the cell's text starts after its `# %%` line
                    f'the check for exercise "{title}" passes without an answer',
                    "it checks nothing: assert something only a correct answer makes true",
                )
        if not any(line.startswith(NOT_YET) for line in printed):
            raise LessonError(
                lesson.info.path,
                first,
                f'the check for exercise "{title}" did not run in the student notebook '
                f"({_error(ran) or 'it printed nothing'})",
                "a check may use only names the lesson defines outside its solution cells",
            )


def exercise_title(cells: list, check_index: int) -> str:
    """The heading of the exercise a check belongs to, without its "Exercise:" prefix."""
    index = _exercise_start(cells, check_index)
    for cell in cells[index:check_index]:
        if cell.cell_type == "markdown" and _is_exercise(cell):
            for line in cell.source.splitlines():
                match = HEADING.match(line.strip())
                if match:
                    return match["title"]
    return "untitled"


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _error(cell) -> str:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}"
    return ""
