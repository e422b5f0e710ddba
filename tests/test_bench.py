"""`make bench`'s own parts that decide what is measured (the timings themselves are not tested)."""

from __future__ import annotations

from scripts.bench import SCALE_FIXTURES, synthetic_course
from scripts.lesson import read_lesson
from scripts.lessons import Lessons


def test_synthetic_course_has_forty_distinct_lessons_made_of_the_fixtures(tmp_path):
    templates = sorted(SCALE_FIXTURES.glob("[0-9][0-9]_*.py"))
    assert templates  # the fixture course the bench copies is where it says

    synthetic_course(templates, tmp_path, 40)

    found = Lessons.find(tmp_path)
    assert not found.problems
    assert [p.name[:2] for p in found.paths] == [f"{n:02d}" for n in range(1, 41)]
    assert len({read_lesson(p).info.name for p in found.paths[:4]}) == 4  # each reads, own name
    assert found.paths[len(templates)].read_bytes() == templates[0].read_bytes()
