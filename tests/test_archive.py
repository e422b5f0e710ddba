"""Versions and legacy/: bump, archive on version change, append-only, nothing ever lost."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from scripts import archive as archive_module
from scripts.build import build_lesson
from scripts.bump import bump_lesson, bump_text
from scripts.config import CourseConfig

from .conftest import REPO, run_build

LESSON = "02_second"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too) with the hash of its bytes."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def artifacts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.startswith(".")}


def set_version(course: Path, version: str) -> None:
    source = course / "sources" / f"{LESSON}.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace('version: "2.0"', f'version: "{version}"'), encoding="utf-8")


def test_bump_minor_and_major_edit_only_version_and_date_lines():
    text = (REPO / "tests/fixtures/course/sources/02_second.py").read_text(encoding="utf-8")
    minor, old, new = bump_text(text, "minor", "2026-11-25")
    assert (old, new) == ("2.0", "2.1")
    changed = [(a, b) for a, b in zip(text.splitlines(), minor.splitlines(), strict=True) if a != b]
    assert changed == [
        ('#     version: "2.0"', '#     version: "2.1"'),
        ('#     date: "2026-04-05"', '#     date: "2026-11-25"'),
    ]
    assert bump_text(text, "major", "2026-11-25")[2] == "3.0"
    assert bump_text(text.replace('"2.0"', '"1.9"'), "minor", "2026-11-25")[2] == "1.10"


def test_bumped_lesson_archives_the_old_artifacts_byte_for_byte(course_copy):
    assert run_build(course_copy, "build", LESSON).returncode == 0
    before = artifacts(course_copy / "build" / LESSON)
    source_before = (course_copy / "sources" / f"{LESSON}.py").read_bytes()
    assert bump_lesson(course_copy, CourseConfig(), "02", "minor", today="2026-11-25") == 0
    built = run_build(course_copy, "build", LESSON)
    assert built.returncode == 0, built.stdout + built.stderr
    legacy = course_copy / "legacy" / LESSON / "v2.0"
    archived = artifacts(legacy)
    assert archived.pop(f"{LESSON}_v2.0.py") == source_before
    assert archived == before
    now = sorted(artifacts(course_copy / "build" / LESSON))
    assert now == sorted(n.replace("_v2.0.", "_v2.1.") for n in before)
    # building again, with or without changes, never touches the archive
    kept = snapshot(course_copy / "legacy")
    assert run_build(course_copy, "build", LESSON).returncode == 0
    (course_copy / "sources" / f"{LESSON}.py").write_text(
        (course_copy / "sources" / f"{LESSON}.py").read_text("utf-8") + "\n# %%\nprint(1)\n",
        encoding="utf-8",
    )
    assert run_build(course_copy, "build", LESSON).returncode == 0
    assert snapshot(course_copy / "legacy") == kept


def test_index_page_lists_archived_versions(course_copy):
    run_build(course_copy, "build", LESSON)
    bump_lesson(course_copy, CourseConfig(), "02", "major", today="2026-11-25")
    assert run_build(course_copy, "build", LESSON).returncode == 0
    index = (course_copy / "build" / "index.html").read_text(encoding="utf-8")
    assert f"../legacy/{LESSON}/v2.0/{LESSON}_v2.0.slides.html" in index
    assert f"{LESSON}/{LESSON}_v3.0.slides.html" in index


def test_downgrade_is_refused_naming_file_and_both_versions(course_copy):
    assert run_build(course_copy, "build", LESSON).returncode == 0
    before = snapshot(course_copy / "build" / LESSON), snapshot(course_copy / "legacy")
    set_version(course_copy, "1.9")
    built = run_build(course_copy, "build", LESSON)
    assert built.returncode == 1
    assert f"sources/{LESSON}.py:10: version 1.9 is lower than version 2.0" in built.stderr
    assert (snapshot(course_copy / "build" / LESSON), snapshot(course_copy / "legacy")) == before


def test_collision_with_a_different_archived_version_is_refused(course_copy):
    assert run_build(course_copy, "build", LESSON).returncode == 0
    clash = course_copy / "legacy" / LESSON / "v2.0"
    clash.mkdir(parents=True)
    (clash / "something_else.txt").write_text("an older, different v2.0\n")
    before = snapshot(course_copy / "build" / LESSON), snapshot(course_copy / "legacy")
    set_version(course_copy, "2.1")
    built = run_build(course_copy, "build", LESSON)
    assert built.returncode == 1
    assert f"sources/{LESSON}.py:10: legacy/{LESSON}/v2.0 already holds a different" in built.stderr
    assert "2.1" in built.stderr
    assert (snapshot(course_copy / "build" / LESSON), snapshot(course_copy / "legacy")) == before


def test_archive_killed_half_way_loses_nothing_and_next_build_completes(course_copy, monkeypatch):
    assert run_build(course_copy, "build", LESSON).returncode == 0
    before = artifacts(course_copy / "build" / LESSON)
    set_version(course_copy, "2.1")
    real_copy, copies = shutil.copy2, []

    def copy_then_die(src, dst):
        if copies:
            raise KeyboardInterrupt("simulated kill in the middle of archiving")
        copies.append(dst)
        return real_copy(src, dst)

    monkeypatch.setattr(archive_module.shutil, "copy2", copy_then_die)
    with pytest.raises(KeyboardInterrupt):
        build_lesson(
            course_copy / "sources" / f"{LESSON}.py", course_copy, CourseConfig(), lambda *a: None
        )
    monkeypatch.undo()
    assert not (course_copy / "legacy" / LESSON / "v2.0").exists()  # never half-visible
    assert artifacts(course_copy / "build" / LESSON) == before  # the old version is intact
    built = run_build(course_copy, "build", LESSON)
    assert built.returncode == 0, built.stderr
    archived = artifacts(course_copy / "legacy" / LESSON / "v2.0")
    archived.pop(f"{LESSON}_v2.0.py")
    assert archived == before
    assert [p.name for p in (course_copy / "legacy" / LESSON).iterdir()] == ["v2.0"]


def test_fresh_clone_rebuilds_the_outgoing_version_from_git(course_copy):
    git = ["git", "-C", str(course_copy), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "v2.0"], check=True)
    committed = (course_copy / "sources" / f"{LESSON}.py").read_bytes()
    bump_lesson(course_copy, CourseConfig(), "02", "minor", today="2026-11-25")  # no build/ exists
    built = run_build(course_copy, "build", LESSON)
    assert built.returncode == 0, built.stdout + built.stderr
    legacy = course_copy / "legacy" / LESSON / "v2.0"
    assert (legacy / f"{LESSON}_v2.0.py").read_bytes() == committed
    assert sorted(p.suffix for p in legacy.iterdir()) == [
        ".html",
        ".html",
        ".ipynb",
        ".pdf",
        ".pdf",
        ".py",
    ]
    assert (course_copy / "build" / LESSON / f"{LESSON}_v2.1.slides.html").is_file()


def test_readme_contents_table_is_up_to_date():
    done = run_build(REPO, "readme", "--check")
    assert done.returncode == 0, done.stderr


def test_stale_readme_table_is_detected_and_regenerated(course_copy):
    assert run_build(course_copy, "readme", "--check").returncode == 1
    assert run_build(course_copy, "readme").returncode == 0
    table = (course_copy / "README.md").read_text(encoding="utf-8")
    assert "| 02 | [Second Fixture: Ünïcödé 🎉 Ελληνικά](sources/02_second.py) | 2.0 |" in table
    assert run_build(course_copy, "readme", "--check").returncode == 0


def test_course_pages_take_up_to_date_headers_from_their_builds_and_read_edited_ones(
    tiny_course, tmp_path, monkeypatch
):
    # `course watch` builds one lesson; the index and README then list every lesson. Those
    # whose build is current are described from their manifests, not parsed again (0.25 s a
    # save for four lessons), and say the same; an edited one is read.
    from scripts import cli
    from scripts.config import load_config
    from scripts.lessons import Lessons
    from scripts.report import LessonResult

    root = shutil.copytree(tiny_course.root, tmp_path / "course")
    index = root / "build" / "index.html"
    as_built = index.read_text(encoding="utf-8")
    lessons = Lessons.find(root)
    first = lessons.paths[0]
    just_built = [LessonResult(path=first, name=first.stem, version="1.3")]
    read = []
    real_read = cli.read_lesson
    monkeypatch.setattr(cli, "read_lesson", lambda path: read.append(path) or real_read(path))
    index.unlink()
    cli._update_course_pages(root, load_config(root), lessons, just_built)
    assert read == [] and index.read_text(encoding="utf-8") == as_built
    edited = lessons.paths[1]
    source = edited.read_text(encoding="utf-8")
    title = next(line for line in source.splitlines() if line.startswith("#     title:"))
    edited.write_text(source.replace(title, '#     title: "Retitled Lesson"'), encoding="utf-8")
    cli._update_course_pages(root, load_config(root), lessons, just_built)
    assert read == [edited] and "Retitled Lesson" in index.read_text(encoding="utf-8")
