"""One real lesson, with torch, through the whole build: every artifact, stamped and sane."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from pypdf import PdfReader

from scripts.lesson import read_lesson

from .conftest import REPO, run_build

LESSONS = sorted((REPO / "sources").glob("[0-9][0-9]_*.py"))
pytestmark = pytest.mark.slow  # builds a real lesson, with torch


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    """The shortest real lesson built in a temporary course folder."""
    lesson = min(LESSONS, key=lambda p: p.stat().st_size)
    root = tmp_path_factory.mktemp("e2e")
    (root / "sources").mkdir()
    shutil.copy(lesson, root / "sources" / lesson.name)
    built = run_build(root, "build", "--jobs", "1", timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    return built, read_lesson(lesson).info


def test_real_lesson_builds_every_artifact(real_build):
    built, info = real_build
    out = built.out(info.name)
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == sorted(
        f"{info.stem}.{s}"
        for s in ("ipynb", "slides.html", "student-slides.html", "student.pdf", "worked.pdf")
    )


def test_real_lesson_really_ran(real_build):
    """pytorch/tutorials' habit: after the build, check the lesson executed (outputs present)."""
    built, info = real_build
    cache = nbformat.read(built.root / "build" / ".cache" / f"{info.name}.ipynb", as_version=4)
    code = [c for c in cache.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any("device" in "".join(o.get("text", "")) for c in code for o in c.outputs)


def test_real_lesson_pdf_is_stamped(real_build):
    built, info = real_build
    reader = PdfReader(built.out(info.name) / f"{info.stem}.worked.pdf")
    assert len(reader.pages) >= 3
    last = reader.pages[-1].extract_text()
    assert f"v{info.version}" in last and info.date in last


def test_real_lesson_is_on_the_index_page(real_build):
    built, info = real_build
    index = (built.root / "build" / "index.html").read_text(encoding="utf-8")
    assert f"{info.stem}.slides.html" in index and info.date in index
