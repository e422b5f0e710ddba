"""Check cells: what a student sees in the notebook, and the build's proof that each check works.

The student notebook runs each check through the helper the build adds (`%%check`), so these
tests run it the way a student does: in a kernel, with nbclient, blank and then answered.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import pytest

from scripts.checks import is_check
from scripts.editions import make_edition
from scripts.execute import execute
from scripts.lesson import read_lesson

from .conftest import REPO, run_build

LESSON = "01_tag_table"


def printed(cell) -> list[str]:
    """The lines a code cell printed; a traceback fails the test instead (never shown)."""
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"the cell raised {errors[0].ename}: {errors[0].evalue}"
    return "".join(o.get("text", "") for o in cell.outputs).splitlines()


def student_notebook(path: Path):
    """The lesson and its student notebook, as the build writes it (answers blank)."""
    lesson = read_lesson(path)
    return lesson, make_edition(lesson.notebook, "notebook")


def paste_answers(lesson, notebook, answers: list[str] | None = None):
    """The student notebook with each blank code solution filled in (the worked one by default)."""
    worked = [c.source for c in lesson.notebook.cells if _solution_code(c)]
    answered = copy.deepcopy(notebook)
    blanks = [c for c in answered.cells if _solution_code(c)]
    assert len(blanks) == len(worked)
    for cell, source in zip(blanks, answers or worked, strict=True):
        cell.source = source
    return answered


def check_outputs(lesson, notebook) -> list[list[str]]:
    ran = execute(lesson, notebook)
    return [printed(cell) for cell in ran.cells if is_check(cell)]


def _solution_code(cell) -> bool:
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


@pytest.fixture(scope="module")
def tag_table(tmp_path_factory):
    """The fixture lesson with a check (tests/fixtures/course), read in a course copy."""
    from .conftest import copy_course

    root = copy_course(tmp_path_factory.mktemp("checks") / "course")
    return student_notebook(root / "sources" / f"{LESSON}.py")


def test_check_before_any_answer_says_not_attempted_yet(tag_table):
    lesson, notebook = tag_table
    (lines,) = check_outputs(lesson, notebook)
    assert len(lines) == 1 and lines[0].startswith("not attempted yet: ")


def test_check_on_a_wrong_answer_prints_each_hint_not_a_traceback(tag_table):
    lesson, notebook = tag_table
    (lines,) = check_outputs(lesson, paste_answers(lesson, notebook, ["cubes = 5.0"]))
    assert lines == [
        "not yet: cubes should be a whole number, not 5.0",
        "not yet: cubes should be more than the plain sum, 6; not 5.0",
        "0 of 2 checks passed: keep going.",
    ]


def test_check_on_the_worked_solution_passes_as_the_worked_handout_shows(tag_table):
    lesson, notebook = tag_table
    (lines,) = check_outputs(lesson, paste_answers(lesson, notebook))
    assert lines == ["✓ isinstance(cubes, int)", "✓ cubes > sum(values)", "All 2 checks passed."]
    # The deck and the worked handout show the very lines the student's helper prints.
    (shown,) = [c for c in make_edition(lesson.notebook, "worked").cells if is_check(c)]
    assert printed(shown) == lines


def test_a_vacuous_check_fails_the_build_at_its_line(course_copy):
    source = course_copy / "sources" / f"{LESSON}.py"
    text = source.read_text(encoding="utf-8")
    vacuous = 'assert len(values) == 3, "values should hold three numbers"'
    check = "assert isinstance(cubes, int)"
    source.write_text(text.replace(check, f"{vacuous}\n{check}"))
    line = next(n for n, t in enumerate(source.read_text().splitlines(), 1) if t == vacuous)
    built = run_build(course_copy, "build", LESSON[:2])
    assert built.returncode != 0
    assert (
        f'sources/{LESSON}.py:{line}: the check for exercise "MARK_EXERCISE" passes without an '
        "answer; it checks nothing"
    ) in built.stdout + built.stderr
    assert not (course_copy / "build" / LESSON).exists()  # nothing published


def test_the_build_proves_checks_in_one_extra_run_that_is_cached(tiny_course, tmp_path):
    cache = tiny_course.root / "build" / ".cache"
    assert (cache / f"{LESSON}.student-run.ipynb").is_file()
    assert not (cache / "02_second.student-run.ipynb").exists()  # no checks, no extra kernel
    root = shutil.copytree(tiny_course.root, tmp_path / "course")
    source = root / "sources" / f"{LESSON}.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# %% [markdown]\n# More prose.\n")
    again = run_build(root, "build", LESSON[:2])  # prose only: neither run is repeated
    assert again.returncode == 0, again.stdout + again.stderr
    assert re.search(r"checks [0-9.]+s \(cached\)", again.stdout), again.stdout


REAL = sorted((REPO / "sources").glob("[0-9][0-9]_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_real_student_notebook_passes_every_check_with_the_worked_answers(path):
    lesson, notebook = student_notebook(path)
    outputs = check_outputs(lesson, paste_answers(lesson, notebook))
    assert outputs, "every lesson with exercises has checks"
    for lines in outputs:
        assert lines[-1].startswith("All ") and lines[-1].endswith(" checks passed."), lines
        assert all(line.startswith("✓ ") for line in lines[:-1]), lines
