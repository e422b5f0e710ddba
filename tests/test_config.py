"""The course's settings: [tool.course] in pyproject.toml."""

from __future__ import annotations

import dataclasses

import pytest

from scripts.config import CourseConfig, load_config

from .conftest import REPO


def test_a_course_without_pyproject_gets_the_defaults(tmp_path):
    assert load_config(tmp_path) == CourseConfig(title="PyTorch Fundamentals", author="")


def test_a_pyproject_without_the_table_gets_the_defaults(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_config(tmp_path) == CourseConfig()


def test_the_table_sets_title_subtitle_and_author(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.course]\ntitle = "Deep Learning"\nsubtitle = "Part 1"\nauthor = "A. Lecturer"\n',
        encoding="utf-8",
    )
    assert load_config(tmp_path) == CourseConfig("Deep Learning", "Part 1", "A. Lecturer")


def test_this_course_names_itself_and_its_authors():
    config = load_config(REPO)
    assert (config.title, config.author) == (
        "PyTorch Fundamentals",
        "The PyTorch Fundamentals team",
    )


def test_the_config_cannot_be_changed_once_read(tmp_path):
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_config(tmp_path).title = "Other"  # type: ignore[misc]
