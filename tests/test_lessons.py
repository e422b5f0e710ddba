"""Every lesson in sources/ runs as a plain script (its asserts are the lesson's own tests) and
fits a 50-minute slot."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.build import discard, prepare, render
from scripts.config import CourseConfig
from scripts.lesson import read_lesson

from .conftest import run_script

pytestmark = pytest.mark.slow  # runs the real lessons, with torch

REPO = Path(__file__).resolve().parent.parent
LESSONS = sorted((REPO / "sources").glob("[0-9][0-9]_*.py"))
MAX_SLIDES = 32  # a 50-minute slot, continuation and solution slides included


def test_the_course_has_lessons():
    assert LESSONS, "sources/ holds no NN_slug.py lesson"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_as_a_plain_script(lesson, tmp_path):
    done = run_script(lesson, tmp_path)
    assert done.returncode == 0, f"{lesson.name} failed:\n{done.stderr[-3000:]}"
    left = [p for p in tmp_path.iterdir() if not p.is_symlink()]  # links: sources/' files
    assert left == [], "a lesson must not leave files behind"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_header_is_valid(lesson):
    info = read_lesson(lesson).info
    assert info.title and info.summary and info.name == lesson.stem


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_deck_fits_a_50_minute_slot(lesson, tmp_path):
    """The deck as the build cuts it (executed, continuation slides added) has <= 32 slides."""
    source = tmp_path / "sources" / lesson.name
    source.parent.mkdir()
    shutil.copy(lesson, source)  # a course folder of its own: no build/ or legacy/ touched

    def quiet(name: str, message: str) -> None:
        pass

    prepared = prepare(source, tmp_path, CourseConfig(), quiet)
    try:
        slides = render(prepared, "deck", quiet).slides
    finally:
        discard(prepared)
    assert 0 < slides <= MAX_SLIDES, (
        f"{lesson.name}: {slides} slides; move detail into handout-only cells "
        f"(sources/README.md) until the deck has at most {MAX_SLIDES}"
    )
