"""Images beside a lesson (scripts/images.py): found, carried into every artifact, checked."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell
from pypdf import PdfReader

from scripts import images, lint, slideheight
from scripts.bump import bump_lesson
from scripts.config import CourseConfig
from scripts.lesson import LessonError
from scripts.slidefit import SLIDE_BUDGET, group_slides

from .conftest import run_build
from .test_slides import code, fitted, lesson_of

HEADER = """# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Pictures"
#     version: "1.0"
#     date: "2026-03-01"
#     summary:
#       - "Images beside the lesson"
# ---
"""
LESSON = (
    HEADER
    + """
# %% [markdown]
# ## A diagram drawn elsewhere
#
# ![Two boxes joined by an arrow: input to output](figures/flow%20chart.png)
#
# <img src="figures/mark.svg" alt="A green tick">

# %%
print("after the diagram")

# %%

"""
)


def png(width: int, height: int, shade: int = 0) -> bytes:
    """A grey PNG of that size, written by hand (no library chooses its bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes([shade]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><path d="M0 0h40v20z"/></svg>'


def make_course(root: Path, lesson: str = LESSON) -> Path:
    (root / "sources" / "figures").mkdir(parents=True)
    (root / "legacy").mkdir()
    (root / "sources" / "01_pictures.py").write_text(lesson, encoding="utf-8")
    (root / "sources" / "figures" / "flow chart.png").write_bytes(png(64, 32))
    (root / "sources" / "figures" / "mark.svg").write_text(SVG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def pictures(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("pictures"))
    built = run_build(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    return built


# ---- finding them ----


def test_images_given_by_a_path_are_found_with_their_lines_and_alt():
    source = (
        "Intro\n"
        "![A plot](figures/a.png) and ![](https://example.org/b.png)\n"
        "\n"
        '<img src="figures/c.svg">\n'
        "\n"
        "Inline <img alt='d' src='d.gif'> and ![ref][r] and ![x](data:image/png;base64,AA==)\n"
        "\n"
        "[r]: figures/e.jpg\n"
    )
    found = [(i.line, i.src, i.alt) for i in images.local_images(source)]
    assert found == [
        (1, "figures/a.png", "A plot"),
        (3, "figures/c.svg", None),
        (5, "d.gif", "d"),
        (7, "figures/e.jpg", "ref"),
    ]


@pytest.mark.parametrize(
    "src", ["https://x.org/a.png", "//x.org/a.png", "data:image/png;base64,AA", "#top", "  "]
)
def test_urls_data_and_anchors_are_not_files(src):
    assert not images.is_local(src)


def test_a_path_outside_the_course_missing_or_of_another_kind_fails_at_its_line(tmp_path):
    lesson = make_course(tmp_path) / "sources" / "01_pictures.py"
    (tmp_path / "notes.txt").write_text("not an image", encoding="utf-8")
    (tmp_path / "sources" / "figures" / "scan.bmp").write_bytes(b"BM")
    cases = {
        "../../secret.png": "is outside the lesson's folder, sources/",
        "figures/none.png": "not found (looked for sources/figures/none.png)",
        "figures/scan.bmp": "a .bmp file is not drawn by both",
        "../notes.txt": "is outside the lesson's folder, sources/",
        "figures/../../sources/figures/scan.bmp": "a .bmp file is not drawn by both",
    }
    for src, problem in cases.items():
        with pytest.raises(LessonError) as raised:
            images.resolve(lesson, src, 17)
        assert raised.value.line == 17 and problem in raised.value.problem, src
    path, relative = images.resolve(lesson, "figures/flow%20chart.png", 1)
    assert path.name == "flow chart.png" and relative == "figures/flow chart.png"


# ---- carried into every artifact ----


def test_the_deck_carries_each_image_inline_with_its_alt(pictures):
    deck = next(pictures.out("01_pictures").glob("*.slides.html")).read_text(encoding="utf-8")
    expected = base64.b64encode(png(64, 32)).decode()
    assert f'src="data:image/png;base64,{expected}"' in deck
    assert 'alt="Two boxes joined by an arrow: input to output"' in deck
    svg = base64.b64encode(SVG.encode()).decode()
    assert re.search(
        rf'<img src="data:image/svg\+xml;base64,{re.escape(svg)}" alt="A green tick"', deck
    )
    assert "figures/" not in deck  # no path a copied deck could not follow


def test_the_student_notebook_holds_the_images_as_cell_attachments(pictures):
    notebook = nbformat.read(next(pictures.out("01_pictures").glob("*.ipynb")), as_version=4)
    cell = next(c for c in notebook.cells if "attachments" in c)
    assert "](attachment:flow_chart.png)" in cell.source
    stored = cell.attachments["flow_chart.png"]["image/png"]
    assert base64.b64decode(stored) == png(64, 32)
    # An <img> carries its image as data: not every notebook front end resolves attachment:
    # in raw HTML (nbconvert's HTML export does not).
    svg = base64.b64encode(SVG.encode()).decode()
    assert f'src="data:image/svg+xml;base64,{svg}"' in cell.source
    assert list(cell.attachments) == ["flow_chart.png"]


def test_the_handout_prints_the_image(pictures):
    for edition in ("worked", "student"):
        pdf = next(pictures.out("01_pictures").glob(f"*.{edition}.pdf"))
        sizes = {(i.image.width, i.image.height) for p in PdfReader(pdf).pages for i in p.images}
        assert (64, 32) in sizes, edition


def test_the_manifest_records_each_image_and_a_new_drawing_rebuilds_the_lesson(pictures):
    root, out = pictures.root, pictures.out("01_pictures")
    manifest = json.loads((out / ".built.json").read_text(encoding="utf-8"))
    assert manifest["files"] == {
        "figures/flow chart.png": hashlib.sha256(png(64, 32)).hexdigest(),
        "figures/mark.svg": hashlib.sha256(SVG.encode()).hexdigest(),
    }
    again = run_build(root, "build")
    assert "up to date" in again.stdout, again.stdout
    (root / "sources" / "figures" / "flow chart.png").write_bytes(png(64, 32, shade=200))
    redrawn = run_build(root, "build")
    assert redrawn.returncode == 0 and "Building 1 of 1" in redrawn.stdout, redrawn.stdout
    deck = next(out.glob("*.slides.html")).read_text(encoding="utf-8")
    assert base64.b64encode(png(64, 32, shade=200)).decode() in deck


def test_a_missing_image_fails_the_lesson_and_keeps_the_last_good_build(tmp_path):
    root = make_course(tmp_path)
    assert run_build(root, "build").returncode == 0
    deck = next((root / "build" / "01_pictures").glob("*.slides.html"))
    before = deck.read_bytes()
    (root / "sources" / "figures" / "mark.svg").unlink()
    failed = run_build(root, "build")
    assert failed.returncode != 0
    assert (
        "sources/01_pictures.py:20: image figures/mark.svg not found "
        "(looked for sources/figures/mark.svg); put the file there" in failed.stdout + failed.stderr
    )
    assert deck.read_bytes() == before


# ---- the rest of the tool knows them ----


def test_lint_reports_a_missing_image_and_an_image_without_alt(tmp_path):
    lesson = LESSON.replace("figures/mark.svg", "figures/gone.svg").replace(
        "![Two boxes joined by an arrow: input to output]", "![]"
    )
    path = make_course(tmp_path, lesson) / "sources" / "01_pictures.py"
    findings = [str(f) for f in lint.lint_lesson(path, tmp_path / "cache")]
    assert any(
        f.startswith("sources/01_pictures.py:20: image figures/gone.svg not found")
        for f in findings
    ), findings
    assert any(
        f.startswith("sources/01_pictures.py:18: image figures/flow%20chart.png has no alt text")
        for f in findings
    ), findings


def test_a_prose_image_is_counted_on_its_slide_at_the_size_the_deck_draws_it():
    wide = base64.b64encode(png(200, 50)).decode()  # 860 wide: 215 tall
    tall = base64.b64encode(png(50, 200)).decode()  # capped at 430
    text = "Some words.\n\n"
    assert slideheight.markdown_height(
        text + f"![w](data:image/png;base64,{wide})"
    ) == pytest.approx(slideheight.markdown_height(text) + 215 + slideheight.FIGURE_MARGIN)
    assert slideheight.markdown_height(
        text + f'<img src="data:image/png;base64,{tall}" alt="t">'
    ) == pytest.approx(slideheight.markdown_height(text) + 430 + slideheight.FIGURE_MARGIN)


def _diagram_slide(code_lines: int):
    square = base64.b64encode(png(300, 200)).decode()  # 860 wide would be 573 tall: 430 drawn
    prose = f"## A grid\n\n![A grid](data:image/png;base64,{square})\n\nSix elements."
    return fitted(lesson_of(new_markdown_cell(prose), code(code_lines, output_lines=1)))


def test_a_prose_image_is_drawn_smaller_to_keep_the_next_cell_on_its_slide():
    deck, _ = _diagram_slide(code_lines=3)
    slides = group_slides(deck.cells)[1:]
    assert len(slides) == 1  # the code stays beside its diagram, on one slide
    cap = slides[0][0].metadata["deck"]["image_height"]
    assert slideheight.FIGURE_MIN_HEIGHT <= cap < slideheight.FIGURE_HEIGHT
    assert sum(slideheight.cell_height(c) for c in slides[0]) <= SLIDE_BUDGET


def test_a_prose_image_keeps_its_size_when_shrinking_it_would_not_make_room():
    deck, _ = _diagram_slide(code_lines=14)
    slides = group_slides(deck.cells)[1:]
    assert len(slides) == 2
    assert "image_height" not in slides[0][0].metadata.get("deck", {})


def test_a_fresh_clone_archives_the_outgoing_version_with_its_image_as_committed(tmp_path):
    root = make_course(tmp_path)
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "v1.0"], check=True)
    (root / "sources" / "figures" / "flow chart.png").write_bytes(png(64, 32, shade=200))
    bump_lesson(root, CourseConfig(), "01", "minor", today="2026-11-25")  # and no build/ yet
    built = run_build(root, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    old = next((root / "legacy" / "01_pictures" / "v1.0").glob("*.slides.html"))
    new = next((root / "build" / "01_pictures").glob("*.slides.html"))
    committed, redrawn = (base64.b64encode(png(64, 32, s)).decode() for s in (0, 200))
    assert committed in old.read_text(encoding="utf-8")  # the image as v1.0 showed it
    assert redrawn in new.read_text(encoding="utf-8") and committed not in new.read_text("utf-8")
