"""Shared fixtures: the fixture course, copied to a temporary folder and built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Built:
    """A course folder after `python -m scripts build`, with what the command printed."""

    root: Path
    returncode: int
    stdout: str
    stderr: str

    def out(self, lesson: str) -> Path:
        return self.root / "build" / lesson


def run_build(root: Path, *args: str, timeout: int = 300) -> Built:
    """Run the real command line on a course folder, as `make` does."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "scripts", "--root", str(root), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Built(root, done.returncode, done.stdout, done.stderr)


def run_script(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Run a lesson as a plain script, as an author would with `python`, with no display."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    return subprocess.run(
        [sys.executable, str(path)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


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
    from scripts import build
    from scripts.lesson import find_lessons

    root = tmp_path_factory.mktemp("real")
    shutil.copytree(REPO / "sources", root / "sources")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "legacy").mkdir()
    if (REPO / "build" / ".cache").is_dir():
        shutil.copytree(REPO / "build" / ".cache", root / "build" / ".cache")
    decks = {}
    for path in find_lessons(root / "sources"):
        prepared = build.prepare(path, root, lambda name, message: None)
        build.render(prepared, "deck", lambda name, message: None)
        (decks[path.stem],) = prepared.staging.glob("*.slides.html")
    return decks


@pytest.fixture
def course_copy(tmp_path) -> Path:
    """A fresh, unbuilt copy of the fixture course for tests that change it."""
    return copy_course(tmp_path / "course")


def has_chromium() -> str | None:
    """The path of a Chromium executable, or None."""
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")
