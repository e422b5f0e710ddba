"""Every lesson in sources/ runs as a plain script: its asserts are the lesson's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.lesson import read_lesson

from .conftest import run_script

pytestmark = pytest.mark.slow  # runs the real lessons, with torch

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "sources").glob("[0-9][0-9]_*.py"))


def test_the_course_has_lessons():
    assert LESSONS, "sources/ holds no NN_slug.py lesson"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_as_a_plain_script(lesson, tmp_path):
    done = run_script(lesson, tmp_path)
    assert done.returncode == 0, f"{lesson.name} failed:\n{done.stderr[-3000:]}"
    assert list(tmp_path.iterdir()) == [], "a lesson must not leave files behind"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_header_is_valid(lesson):
    info = read_lesson(lesson).info
    assert info.title and info.summary and info.name == lesson.stem
