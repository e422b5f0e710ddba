"""`make bench`'s own parts that decide what is measured (the timings themselves are not tested)."""

from __future__ import annotations

from scripts.bench import SCALE_FIXTURES, synthetic_course
from scripts.lesson import read_lesson
from scripts.lessons import Lessons

from .conftest import REPO


def test_synthetic_course_has_forty_distinct_lessons_made_of_the_fixtures(tmp_path):
    templates = list(SCALE_FIXTURES)
    assert all(path.is_file() for path in templates)  # the fixtures the bench copies are there
    assert 4 % len(templates) == 0 == 40 % len(templates)  # 4 and 40 lessons: the same mix

    synthetic_course(templates, tmp_path, 40)

    found = Lessons.find(tmp_path)
    assert not found.problems
    assert [p.name[:2] for p in found.paths] == [f"{n:02d}" for n in range(1, 41)]
    assert len({read_lesson(p).info.name for p in found.paths[:4]}) == 4  # each reads, own name
    assert found.paths[len(templates)].read_bytes() == templates[0].read_bytes()


def test_each_watch_edit_reruns_what_its_name_says(tmp_path):
    # The bench's three saves: prose only (nothing runs), code at the end (the lesson runs,
    # the checks' proof is cached), code at the start (both run).
    from scripts import benchwatch, checks, execute
    from scripts.build import _proof_run

    source = REPO / "tests" / "fixtures" / "course" / "sources" / "01_tag_table.py"
    original = source.read_text(encoding="utf-8")

    def keys(text: str) -> tuple[str, str]:
        path = tmp_path / "sources" / source.name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        lesson = read_lesson(path)
        (proof,) = _proof_run(lesson)
        assert proof.variant == checks.STUDENT_RUN
        return execute.cache_key(lesson.notebook), execute.cache_key(proof.source)

    lesson_key, proof_key = keys(original)
    for kind, lesson_runs, proof_runs in [
        ("prose", False, False),
        ("code", True, False),
        ("code_above", True, True),
    ]:
        new_lesson_key, new_proof_key = keys(benchwatch.edited(original, kind, 1234))
        assert (new_lesson_key != lesson_key, new_proof_key != proof_key) == (
            lesson_runs,
            proof_runs,
        ), kind
