"""`make preview`: a contact sheet of every slide and the first handout pages, on the index."""

from __future__ import annotations

import re
import shutil

import pytest
from PIL import Image

from scripts.preview import CAPTION, COLUMNS, GAP, THUMBNAIL

from .conftest import has_chromium, run_build

LESSON = "01_tag_table"


@pytest.fixture(scope="module")
def previewed(tiny_course, tmp_path_factory):
    """A copy of the built fixture course after `python -m scripts preview 01`."""
    if has_chromium() is None:
        pytest.skip("no Chromium at /usr/bin/chromium or on the PATH; .ci/run installs it")
    root = tmp_path_factory.mktemp("preview") / "course"
    shutil.copytree(tiny_course.root, root)
    done = run_build(root, "preview", "01")
    assert done.returncode == 0, done.stdout + done.stderr
    return root, done


@pytest.mark.browser
def test_contact_sheet_has_a_thumbnail_for_every_slide(previewed):
    root, _ = previewed
    (deck,) = (root / "build" / LESSON).glob("*.slides.html")
    meta = re.search(r'<meta[^>]*name="slide-count"[^>]*>', deck.read_text("utf-8")).group(0)
    slides = int(re.search(r'content="(\d+)"', meta).group(1))
    sheet = Image.open(root / "build" / LESSON / "preview.png")
    rows = -(-slides // COLUMNS)
    assert sheet.size == (
        COLUMNS * (THUMBNAIL[0] + GAP) + GAP,
        rows * (THUMBNAIL[1] + CAPTION + GAP) + GAP,
    )
    first = sheet.crop((GAP, GAP, GAP + THUMBNAIL[0], GAP + THUMBNAIL[1])).convert("L")
    assert first.getextrema()[0] < 80  # the title slide's text is there, not a blank frame


@pytest.mark.browser
def test_index_page_shows_the_contact_sheet(previewed):
    root, _ = previewed
    index = (root / "build" / "index.html").read_text("utf-8")
    assert f'src="{LESSON}/preview.png"' in index
    assert 'src="02_second/preview.png"' not in index  # only the lesson asked for


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) missing")
def test_first_handout_pages_are_rendered_for_both_editions(previewed):
    root, done = previewed
    for edition in ("worked", "student"):
        strip = Image.open(root / "build" / LESSON / f"preview-{edition}.png")
        assert strip.width > strip.height  # pages side by side
        assert f'src="{LESSON}/preview-{edition}.png"' in (root / "build/index.html").read_text()


@pytest.mark.browser
def test_a_rebuilt_deck_hides_its_stale_preview(previewed, tmp_path):
    root = shutil.copytree(previewed[0], tmp_path / "course")
    source = root / "sources" / f"{LESSON}.py"
    source.write_text(source.read_text("utf-8").replace("Plain heading", "New heading"), "utf-8")
    assert run_build(root, "build", "01").returncode == 0
    assert f'src="{LESSON}/preview.png"' not in (root / "build" / "index.html").read_text()


@pytest.mark.browser
def test_preview_reports_the_slides_that_break_a_layout_rule(previewed):
    _, done = previewed
    (line,) = [line for line in done.stdout.splitlines() if "preview.png" in line]
    assert re.search(r"preview.png: \d+ slides \(\d+ continued\)", line)
    assert "overflow 0; near-empty 0; output-only 0" in line
