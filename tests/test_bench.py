"""`make bench`'s own parts that decide what is measured (the timings themselves are not tested)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from scripts.bench import CODE, SCALE_FIXTURES, _baseline_checkout, _pages_cpu, synthetic_course
from scripts.lesson import read_lesson
from scripts.lessons import Lessons

from .conftest import REPO, copy_course


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


def test_the_handout_measure_counts_every_page_and_times_only_the_layout(tiny_course, tmp_path):
    course = tmp_path / "course"  # a copy: the measure renders again, and records its renders
    shutil.copytree(tiny_course.root, course, symlinks=True)

    measured = _pages_cpu(CODE, course)

    published = sorted((course / "build").glob("[0-9][0-9]_*/*.pdf"))
    assert len(published) == 2 * 3  # two handouts of each fixture lesson
    assert measured["pages"] == sum(len(PdfReader(path).pages) for path in published)
    assert measured["seconds"] > 0  # write_pdf was timed, not passed by
    assert measured["ms_per_page"] == pytest.approx(1000 * measured["seconds"] / measured["pages"])
    assert sorted((course / "build").glob("[0-9][0-9]_*/*.pdf")) == published  # none published


def test_the_baseline_is_the_revisions_code_and_lessons_from_git_or_says_why_not(tmp_path):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "sources").mkdir()
    (repo / "scripts" / "build.py").write_text("ROUND = 1\n")
    (repo / "sources" / "01_old.py").write_text("# the lesson as it was\n")
    (repo / "notes.txt").write_text("not code")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "first round"], check=True)
    revision = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True)
    (repo / "scripts" / "build.py").write_text("ROUND = 2\n")  # the code moved on since

    folder, why = _baseline_checkout(repo, revision.stdout.decode().strip(), tmp_path / "base")

    assert why == "" and (folder / "scripts" / "build.py").read_text() == "ROUND = 1\n"
    assert (folder / "sources" / "01_old.py").is_file() and not (folder / "notes.txt").exists()
    assert (folder / "node_modules").resolve() == (repo / "node_modules").resolve()
    missing, why = _baseline_checkout(repo, "0" * 40, tmp_path / "none")
    assert missing is None and "0000000" in why
    assert _baseline_checkout(repo, "", tmp_path / "off") == (None, "BENCH_PAGES_BASELINE is empty")


def test_a_baseline_whose_code_fails_here_is_skipped_with_its_error(tmp_path, monkeypatch):
    from scripts import bench

    course = tmp_path / "course"
    (course / "sources").mkdir(parents=True)  # no lessons: today's measure has nothing to do
    broken = tmp_path / "baseline"
    (broken / "scripts").mkdir(parents=True)
    (broken / "scripts" / "__init__.py").write_text("raise ImportError('from another age')\n")
    monkeypatch.setattr(bench, "_baseline_checkout", lambda root, rev, folder: (broken, ""))
    monkeypatch.setattr(bench, "_pages_cpu", _today_only(bench._pages_cpu, broken))
    monkeypatch.setenv("BENCH_RUNS", "2")

    figures = bench._handout_pages(REPO, course, tmp_path)

    assert "handout_baseline_ms_per_page" not in figures
    assert "code failed here: ImportError: from another age" in figures["handout_baseline_skipped"]
    assert figures["handout_ms_per_page"] == 0.0


def _today_only(pages_cpu, broken):
    """The real measure for the baseline (which fails); today's, on a course without lessons,
    would divide by no pages: a stand-in answers for it."""

    def measure(code, course):
        if code == broken:
            return pages_cpu(code, course)
        return {"seconds": 0.0, "pages": 1, "ms_per_page": 0.0}

    return measure


def test_the_warm_figures_are_builds_run_by_a_warm_process_stopped_after(
    tmp_path, short_temp, monkeypatch
):
    # Each build the bench starts is a `course build`; the build lock names the process
    # that built. The first one builds here (and leaves the warm process): the others must
    # have been built by the warm process, not by the command the bench started.
    from scripts import bench, buildserver

    monkeypatch.setenv("BENCH_RUNS", "1")
    monkeypatch.setenv("TMPDIR", str(short_temp))
    monkeypatch.setenv(buildserver.VARIABLE, "0")  # as run_benchmark sets it
    course = copy_course(tmp_path / "course")
    started, builders = [], []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process.pid)
        return process

    real_build, real_tree = bench._build, bench._tree
    sampling: list[bool] = []  # whether each build was sampled for memory
    sampled: set[int] = set()  # every process the memory sampler saw

    def build_and_ask_who(course_root, warm=None, memory=False):
        seen_before = len(sampled)
        measured = real_build(course_root, warm, memory)
        builders.append(int((course_root / "build" / ".lock").read_text()))
        sampling.append(memory)
        assert memory or len(sampled) == seen_before  # a timed build is never sampled
        return measured

    def tree_seen(root_pid):
        tree = real_tree(root_pid)
        sampled.update(tree)
        return tree

    monkeypatch.setattr(bench.subprocess, "Popen", recording_popen)
    monkeypatch.setattr(bench, "_build", build_and_ask_who)
    monkeypatch.setattr(bench, "_tree", tree_seen)
    figures = bench._warm(course, course / "sources" / "02_second.py")

    assert set(figures) == {
        "warm_clean_build_s",
        "warm_peak_rss_mb",
        "warm_peak_pss_mb",
        "warm_noop_build_s",
        "warm_prose_edit_s",
        "warm_code_edit_s",
    }
    assert all(figure > 0 for figure in figures.values())
    # The one that leaves it, a timed clean build, one sampled for memory, then three more.
    assert len(builders) == len(started) == 6
    assert sampling == [False, False, True, False, False, False]
    assert builders[0] == started[0]
    assert all(
        builder != command for builder, command in zip(builders[1:], started[1:], strict=True)
    )
    # The warm clean build's memory was sampled where it ran: in the warm process's tree (the
    # builder is its child; the command the bench started only waited).
    assert builders[2] in sampled
    assert not list((short_temp / f"course-server-{os.getuid()}").glob("*.sock"))
