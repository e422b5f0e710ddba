"""The head start: caches the workers inherit, filled while the kernel starter loads torch."""

from __future__ import annotations

import tempfile
import time

import pytest

from scripts import build, handout, headstart, kernelfork, mathsvg, runtime
from scripts.handout import DEFAULT_CONFIG
from scripts.lesson import read_lesson

from .test_execute import STYLE_HEADER
from .test_kernelfork import starter, write_lesson  # noqa: F401  (a fixture, and its helper)

LESSON = (
    "# %% [markdown]\n# ## Squares\n# The area is $a^2 + b^2 = c^2$, and\n# $$\\sum_k k^2$$\n"
    "# %%\nsides = [3, 4, 5]\nprint([side**2 for side in sides])  # each one squared\n"
)


@pytest.fixture
def cold():
    """Empty caches, as in a process that has rendered nothing; WeasyPrint set up as a build
    sets it up."""
    runtime.configure()
    for cache in (mathsvg.formula_image, handout._print_highlight):
        cache.cache_clear()


def render_asks(path) -> tuple[int, int]:
    """What rendering the lesson's worked handout page computes afresh: (formulas, code)."""
    math, code = mathsvg.formula_image.cache_info(), handout._print_highlight.cache_info()
    lesson = read_lesson(path)
    page = build.for_rendering(lesson.notebook, lesson)
    handout.render_handout_html(page, lesson.info, "worked", DEFAULT_CONFIG)
    return (
        mathsvg.formula_image.cache_info().misses - math.misses,
        handout._print_highlight.cache_info().misses - code.misses,
    )


def test_the_head_start_caches_what_a_workers_render_asks_for(tmp_path, cold, monkeypatch):
    path = write_lesson(tmp_path, "01_squares.py", "")
    path.write_text(STYLE_HEADER + LESSON, "utf-8")
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    headstart.while_kernels_load([path], DEFAULT_CONFIG, lambda: True)
    # The skeleton's course and the records its render keeps went with it (WeasyPrint's own
    # folder of fonts lives as long as the process: a build's scratch folder holds it).
    assert all(path.name.startswith("weasyprint-") for path in temp.iterdir())
    assert mathsvg.formula_image.cache_info().currsize >= 2
    assert render_asks(path) == (0, 0)  # its formulas and its code: nothing left to do


def test_the_head_start_stops_as_soon_as_the_kernels_can_start(tmp_path, cold):
    path = write_lesson(tmp_path, "01_squares.py", "")
    path.write_text(STYLE_HEADER + LESSON, "utf-8")
    headstart.while_kernels_load([path], DEFAULT_CONFIG, lambda: False)
    assert handout._print_highlight.cache_info().currsize == 0  # nothing at all, not even
    assert mathsvg.formula_image.cache_info().currsize == 0  # the skeleton's first render
    answers = [True, True, True]  # on starting, then before the skeleton's handout and deck
    headstart.while_kernels_load([path], DEFAULT_CONFIG, lambda: bool(answers and answers.pop()))
    assert answers == []  # asked once more before the lesson, and the answer was no
    formulas, code = render_asks(path)
    assert formulas == 2 and code >= 1  # the lesson's were left to its worker


def test_a_starter_asked_to_import_at_once_says_when_it_has(tmp_path, starter):  # noqa: F811
    assert not kernelfork.loading()  # no starter
    numpy_lesson = write_lesson(tmp_path, "01_np.py", "import numpy\n")
    starter(numpy_lesson, at_once=True)
    assert kernelfork.loading()  # it has barely begun: Python is not even up
    deadline = time.monotonic() + 30
    while kernelfork.loading() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not kernelfork.loading()
    starter(write_lesson(tmp_path, "02_plain.py", "print(1)\n"), at_once=True)
    assert not kernelfork.loading()  # nothing to import at once: nothing to wait for
    starter(numpy_lesson, at_once=False)
    assert not kernelfork.loading()  # imports at the first kernel asked for
