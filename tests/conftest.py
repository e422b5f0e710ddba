"""Shared fixtures: the fixture course, copied to a temporary folder and built once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts import runtime
from scripts.lessonfiles import link_lesson_folder

# What the command line does before building (scripts/runtime.py), for the tests that call
# the stages directly.
runtime.configure()
# No warm build process left behind by the builds under test (scripts/buildserver.py): the
# tests of it turn it on for their own builds, each in a TMPDIR of its own.
os.environ["COURSE_BUILD_SERVER"] = "0"

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SANDBOX = REPO / "scripts" / "sandbox.py"


@dataclass
class Built:
    """A course folder after `python -m scripts build`, with what the command printed."""

    root: Path
    returncode: int
    stdout: str
    stderr: str

    def out(self, lesson: str) -> Path:
        return self.root / "build" / lesson


def run_build(root: Path, *args: str, timeout: int = 300, env: dict | None = None) -> Built:
    """Run the real command line on a course folder, as `make` does (`env`: extra variables)."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts", "--root", str(root), *args],
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Built(root, done.returncode, done.stdout, done.stderr)


def run_script(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run a lesson as a plain script under the build's guard (`make run`), with no display."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    link_lesson_folder(cwd, path.resolve().parent)  # as the build runs it: beside its data
    course_root = path.resolve().parent.parent
    command = [sys.executable, str(SANDBOX), "script", str(course_root), str(path)]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def handout_pages(root: Path, edition: str):
    """Each lesson of the course at `root` as its handout's HTML, with what write_pdf takes
    besides: (lesson path, lesson info, page, course config), one lesson prepared at a time."""
    from scripts import build, handout
    from scripts.config import load_config
    from scripts.editions import make_edition, stable_ids

    config = load_config(root)
    for path in sorted((root / "sources").glob("[0-9][0-9]_*.py")):
        prepared = build.prepare(path, root, config, lambda name, message: None)
        try:
            info = prepared.lesson.info
            notebook = stable_ids(make_edition(prepared.rendered, edition))
            yield path, info, handout.render_handout_html(notebook, info, edition, config), config
        finally:
            build.discard(prepared)


def copy_course(target: Path, name: str = "course") -> Path:
    """A fresh copy of a fixture course (sources/, README.md, pyproject.toml) in `target`."""
    shutil.copytree(FIXTURES / name, target, dirs_exist_ok=True)
    (target / "legacy").mkdir(exist_ok=True)
    return target


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory) -> Built:
    """The fixture course, built once; many tests read its outputs (sphinx-gallery's tinybuild)."""
    root = copy_course(tmp_path_factory.mktemp("tiny") / "course")
    built = run_build(root, "build", "--jobs", "2")
    assert built.returncode == 0, built.stdout + built.stderr
    return built


@pytest.fixture(scope="session")
def others_course(tmp_path_factory) -> Built:
    """Lessons written the way other authors write them (tests/fixtures/others), built once."""
    root = copy_course(tmp_path_factory.mktemp("others") / "course", "others")
    built = run_build(root, "build", "--jobs", "2")
    assert built.returncode == 0, built.stdout + built.stderr
    return built


@pytest.fixture(scope="session")
def real_decks(tmp_path_factory) -> dict[str, Path]:
    """The decks of the course's own lessons (sources/), rendered without their handouts.

    The execution cache of this checkout's last build is reused when there is one.
    """
    return {stem: path for (stem, _), path in _render_real(tmp_path_factory, ["deck"]).items()}


@pytest.fixture(scope="session")
def real_handouts(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """The worked and student handouts of the course's own lessons, by (lesson, edition).

    The execution cache of this checkout's last build is reused when there is one.
    """
    return _render_real(tmp_path_factory, ["worked", "student"])


def _render_real(tmp_path_factory, artifacts: list[str]) -> dict[tuple[str, str], Path]:
    from scripts import build
    from scripts.config import load_config
    from scripts.lessons import Lessons

    root = tmp_path_factory.mktemp("real")
    shutil.copytree(REPO / "sources", root / "sources")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "legacy").mkdir()
    if (REPO / "build" / ".cache").is_dir():
        shutil.copytree(REPO / "build" / ".cache", root / "build" / ".cache")
    rendered = {}
    config = load_config(root)
    suffixes = {"deck": "slides.html", "worked": "worked.pdf", "student": "student.pdf"}
    for path in Lessons.find(root).paths:
        prepared = build.prepare(path, root, config, lambda name, message: None)
        for artifact in artifacts:
            build.render(prepared, artifact, lambda name, message: None)
            (rendered[path.stem, artifact],) = prepared.staging.glob(f"*.{suffixes[artifact]}")
    return rendered


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """A fresh, unbuilt copy of the fixture course for tests that change it."""
    return copy_course(tmp_path / "course")


@pytest.fixture
def short_temp() -> Path:
    """A TMPDIR for a build under test. Not under tmp_path: the kernels' Unix sockets live in
    it, and their paths have room for about 70 bytes of it (scripts/scratch.py)."""
    folder = Path(tempfile.mkdtemp(prefix="course-test-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def has_chromium() -> str | None:
    """The Chromium the build itself would drive ($CHROMIUM first), or None."""
    from scripts.preview import find_chromium

    return find_chromium()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright, one per test module (tests that use it are
    marked to skip, with the reason, where there is no Chromium)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from scripts.preview import CHROMIUM_ARGS

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=has_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# ---- bad lessons: a built course to guard, and lesson text to break it with ----

HEADER = """\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Broken"
#     version: "1.0"
#     date: "2026-05-06"
#     summary:
#       - "Something that goes wrong"
# ---
"""


def lesson(body: str, header: str = HEADER) -> str:
    return header + "\n# %% [markdown]\n# ## A slide\n\n" + body


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built_course(tmp_path_factory) -> Path:
    """The fixture course built once, with something in legacy/ to guard."""
    root = copy_course(tmp_path_factory.mktemp("good") / "course")
    assert run_build(root, "build").returncode == 0
    (root / "legacy" / "01_tag_table" / "v1.0").mkdir(parents=True)
    (root / "legacy" / "01_tag_table" / "v1.0" / "01_tag_table_v1.0.py").write_text("# old\n")
    return root


@pytest.fixture
def course(built_course, tmp_path) -> Path:
    """A fresh copy of the built course for one case."""
    target = tmp_path / "course"
    shutil.copytree(built_course, target)
    return target


def guarded(course: Path) -> dict[str, str]:
    """What a failing lesson must never change: the good lessons' outputs and legacy/."""
    return {
        **{f"b/{k}": v for k, v in snapshot(course / "build" / "01_tag_table").items()},
        **{f"c/{k}": v for k, v in snapshot(course / "build" / "02_second").items()},
        **{f"l/{k}": v for k, v in snapshot(course / "legacy").items()},
    }
