"""`make new`: the next lesson, named from its title, valid, clean and buildable as created."""

from __future__ import annotations

import datetime

import pytest

from scripts.alttext import figure_cells
from scripts.errors import SettingError
from scripts.lesson import KNOWN_TAGS, LessonError, read_lesson
from scripts.lint import lint_lesson
from scripts.scaffold import create_lesson, slugify

from .conftest import run_build, run_script

TODAY = datetime.date(2026, 5, 17)


def next_number(sources) -> str:
    return f"{max(int(p.name[:2]) for p in sources.glob('[0-9][0-9]_*.py')) + 1:02d}"


def test_new_lesson_takes_the_next_number_and_a_slug_from_the_title(course_copy):
    expected = course_copy / "sources" / f"{next_number(course_copy / 'sources')}_loss_functions.py"
    path = create_lesson(course_copy / "sources", "Loss Functions", TODAY)
    assert path == expected


def test_new_lesson_header_is_valid_with_version_1_0_and_the_date(course_copy):
    path = create_lesson(course_copy / "sources", 'Loss "Functions": Ünïcode', TODAY)
    info = read_lesson(path).info
    assert info.title == 'Loss "Functions": Ünïcode'
    assert (info.version, info.date) == ("1.0", "2026-05-17")
    assert info.summary


def test_new_lesson_has_every_tag_and_no_title_cell(course_copy):
    lesson = read_lesson(create_lesson(course_copy / "sources", "Loss Functions", TODAY))
    cells = lesson.notebook.cells
    used = {tag for cell in cells for tag in cell.metadata.get("tags", [])}
    assert used == KNOWN_TAGS
    assert cells[0].source.startswith("## ")  # the build makes the title slide


def test_new_lesson_gives_its_figure_an_alt_text(course_copy):
    notebook = read_lesson(create_lesson(course_copy / "sources", "Loss Functions", TODAY)).notebook
    drawing = figure_cells(notebook)
    assert drawing  # the skeleton has a figure, so an author sees where alt text goes
    assert all(notebook.cells[i].metadata.get("alt", "").strip() for i in drawing)


def test_new_lesson_passes_the_lint(course_copy):
    path = create_lesson(course_copy / "sources", "Loss Functions", TODAY)
    assert lint_lesson(path, course_copy / "build" / ".cache") == []
    done = run_build(course_copy, "lint", path.stem)
    assert done.returncode == 0, done.stdout + done.stderr


def test_new_command_lists_the_lesson_in_the_readme_table(course_copy):
    name = f"{next_number(course_copy / 'sources')}_loss_functions.py"
    done = run_build(course_copy, "new", "Loss Functions")
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_build(course_copy, "readme", "--check").returncode == 0
    assert name in (course_copy / "README.md").read_text(encoding="utf-8")


def test_slug_is_lowercase_ascii_words_at_most_five():
    assert slugify("Loss Functions") == "loss_functions"
    assert slugify("Über: the NEW  thing, part 2 of many") == "uber_the_new_thing_part"
    assert slugify("Linear Regression from Scratch and Beyond") == "linear_regression_from_scratch"


def test_new_refuses_an_empty_title(course_copy):
    with pytest.raises(SettingError, match=r"TITLE: the title '\?!' has no letters or digits"):
        create_lesson(course_copy / "sources", "  ?! ", TODAY)


def test_new_refuses_a_title_whose_lesson_exists(course_copy):
    sources = course_copy / "sources"
    first = create_lesson(sources, "Loss Functions", TODAY)
    first.write_text("# edited by the author\n", encoding="utf-8")
    with pytest.raises(LessonError, match="already exists"):
        create_lesson(sources, "Loss functions!", TODAY)
    assert first.read_text(encoding="utf-8") == "# edited by the author\n"
    assert sorted(p.name for p in sources.glob("*_loss_functions.py")) == [first.name]


def test_new_command_exits_1_on_an_empty_title(course_copy):
    done = run_build(course_copy, "new", "")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'error: TITLE: the title is empty; give a title, e.g. make new TITLE="Loss Functions"'
    )  # no invented file and line: there is none yet


@pytest.mark.slow
def test_new_lesson_runs_as_a_plain_script(course_copy, tmp_path):
    path = create_lesson(course_copy / "sources", "Loss Functions", TODAY)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    done = run_script(path, run_dir)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "device:" in done.stdout


@pytest.mark.slow
def test_new_lesson_builds(course_copy):
    path = create_lesson(course_copy / "sources", "Loss Functions", TODAY)
    built = run_build(course_copy, "build", "--jobs", "1", path.stem)
    assert built.returncode == 0, built.stdout + built.stderr
    deck = built.out(path.stem) / f"{path.stem}_v1.0.slides.html"
    assert "Loss Functions" in deck.read_text(encoding="utf-8")
