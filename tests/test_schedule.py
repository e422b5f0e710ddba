"""The stage scheduler: artifacts render in parallel processes; a failure stays with its lesson."""

from __future__ import annotations

from scripts import build, schedule
from scripts.config import CourseConfig

REAL_RENDER = build.render
BROKEN = "01_tag_table"


def quiet(name: str, message: str) -> None:
    """A progress callback the worker processes can import (a lambda cannot be sent to them)."""


def render_breaking_one_handout(prepared, artifact, progress):
    if prepared.lesson.info.name == BROKEN and artifact == "student":
        raise RuntimeError("the renderer broke")
    return REAL_RENDER(prepared, artifact, progress)


def test_a_failed_render_fails_its_own_lesson_and_publishes_nothing_of_it(course_copy, monkeypatch):
    # The pool forks its workers after this patch, so they render with it too.
    monkeypatch.setattr(build, "render", render_breaking_one_handout)
    paths = [course_copy / "sources" / f"{name}.py" for name in (BROKEN, "02_second")]
    broken, fine = schedule.build_lessons(paths, course_copy, CourseConfig(), 2, quiet)

    assert broken.error == (
        "sources/01_tag_table.py:1: the build failed: RuntimeError: the renderer broke; report this"
    )
    assert broken.version == "1.3"  # the summary still names the version that failed
    assert not (course_copy / "build" / BROKEN).exists()  # none of its artifacts went out
    assert fine.error == ""
    assert sorted(p.name for p in (course_copy / "build" / "02_second").iterdir()) == sorted(
        [*fine.built, ".built.json", ".source.py"]
    )
    assert len(fine.built) == len(build.ARTIFACTS) + 1 and fine.slides > 0 and fine.executed
    assert not list((course_copy / "build").glob(".0*"))  # staging folders are gone


def test_results_come_back_in_the_order_asked_with_their_time(course_copy):
    paths = sorted((course_copy / "sources").glob("0*.py"), reverse=True)
    results = schedule.build_lessons(paths, course_copy, CourseConfig(), 2, quiet)
    assert [r.path for r in results] == paths
    assert all(not r.error and r.seconds > 0 for r in results)
