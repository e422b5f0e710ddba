"""Reading a lesson: the header contract and the one-line errors for bad sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.lesson import LessonError, read_lesson, unknown_tags
from scripts.lessons import Lessons

HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {{extension: .py, format_name: percent}}
#   kernelspec: {{name: python3, display_name: Python 3, language: python}}
#   lesson:
{lesson}
# ---
"""
GOOD_KEYS = {
    "title": '#     title: "A Lesson"',
    "version": '#     version: "1.2"',
    "date": '#     date: "2026-02-03"',
    "summary": '#     summary:\n#       - "One topic"',
}
BODY = '\n# %% [markdown]\n# ## Hello\n\n# %%\nprint("hi")\n'


def write_lesson(folder: Path, name: str = "03_example.py", body: str = BODY, **keys) -> Path:
    """A lesson file whose header keys can be replaced (value) or dropped (None)."""
    lines = [keys.get(k, v) for k, v in GOOD_KEYS.items() if keys.get(k, v) is not None]
    path = folder / name
    path.write_text(HEADER.format(lesson="\n".join(lines)) + body, encoding="utf-8")
    return path


def test_read_lesson_returns_header_facts_and_cell_lines(tmp_path):
    lesson = read_lesson(write_lesson(tmp_path))
    assert (lesson.info.title, lesson.info.version, lesson.info.date) == (
        "A Lesson",
        "1.2",
        "2026-02-03",
    )
    assert lesson.info.stem == "03_example_v1.2"
    assert lesson.cell_lines == [(16, 17), (19, 20)]


@pytest.mark.parametrize("key", ["title", "version", "date", "summary"])
def test_missing_header_key_names_the_file_and_key(tmp_path, key):
    path = write_lesson(tmp_path, **{key: None})
    with pytest.raises(LessonError) as caught:
        read_lesson(path)
    assert str(caught.value).startswith(f"{path}:")
    assert f"lesson.{key}" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected_line"),
    [
        ("version", "#     version: 1.2", 10),  # a float in YAML
        ("version", '#     version: "v1"', 10),
        ("date", "#     date: 2026-02-03", 11),  # a date object in YAML
        ("date", '#     date: "03/02/2026"', 11),
    ],
)
def test_malformed_version_or_date_points_at_its_line(tmp_path, key, value, expected_line):
    path = write_lesson(tmp_path, **{key: value})
    with pytest.raises(LessonError) as caught:
        read_lesson(path)
    assert caught.value.line == expected_line
    assert f"lesson.{key}" in str(caught.value)


def test_missing_header_is_an_error_at_line_1(tmp_path):
    path = tmp_path / "03_example.py"
    path.write_text(BODY, encoding="utf-8")
    with pytest.raises(LessonError, match=r"03_example.py:1: the lesson header is missing"):
        read_lesson(path)


@pytest.mark.parametrize("name", ["3_example.py", "03-example.py", "03_Example.py", "lesson.py"])
def test_file_name_must_be_nn_slug(tmp_path, name):
    with pytest.raises(LessonError, match="does not match NN_slug.py"):
        read_lesson(write_lesson(tmp_path, name=name))


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "03_empty.py"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(LessonError, match="03_empty.py:1: the file is empty"):
        read_lesson(path)


def test_non_utf8_file_names_the_line(tmp_path):
    path = tmp_path / "03_latin1.py"
    path.write_bytes(HEADER.format(lesson="").encode() + b"# caf\xe9\n")
    with pytest.raises(LessonError, match=r"03_latin1.py:11: the file is not UTF-8"):
        read_lesson(path)


def test_syntax_error_names_its_line_and_says_magics_cannot_run(tmp_path):
    path = write_lesson(tmp_path, body=BODY + "\n# %%\npip install torch\n")
    with pytest.raises(LessonError) as caught:
        read_lesson(path)
    assert caught.value.line == 23
    assert "SyntaxError" in str(caught.value) and "shell commands" in str(caught.value)


def test_commented_magic_is_refused_with_its_line(tmp_path):
    path = write_lesson(tmp_path, body=BODY + "\n# %%\n# %pip install torch\n")
    with pytest.raises(
        LessonError, match=r":23: IPython magic or shell command `%pip install torch`"
    ):
        read_lesson(path)


def test_every_duplicate_lesson_number_is_reported_naming_the_others(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("03_a.py", "03_b.py", "04_c.py", "05_a.py", "05_b.py", "05_c.py"):
        (sources / name).write_text("# %%\n", encoding="utf-8")
    problems = {p.name: str(e) for p, e in Lessons.find(tmp_path).problems.items()}
    assert sorted(problems) == ["03_a.py", "03_b.py", "05_a.py", "05_b.py", "05_c.py"]
    assert problems["03_b.py"].startswith("sources/03_b.py:1: lesson number 03 is also used by")
    assert "sources/03_a.py;" in problems["03_b.py"]
    assert "used by sources/05_a.py, sources/05_c.py;" in problems["05_b.py"]


def test_unknown_tag_is_a_warning_naming_the_tag(tmp_path):
    lesson = read_lesson(write_lesson(tmp_path, body=BODY + '\n# %% tags=["soluton"]\nx = 1\n'))
    warnings = unknown_tags(lesson)
    assert len(warnings) == 1
    assert "unknown tag 'soluton'" in warnings[0] and ":22:" in warnings[0]
