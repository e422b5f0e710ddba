"""Accessibility: tagged PDF/UA-1 handouts read back, authored alt text everywhere, axe-core.

The fixture course (built once per session) gives the fast checks; the four real lessons,
built once in this module, give the checks the issue asks for on real material: one real
handout's structure, and axe-core on every slide of every real deck and on the course page.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from scripts.lesson import read_lesson

from . import axe
from .conftest import REPO, has_chromium, run_build
from .pdfua_readback import open_pdf, page_marks, structure_tree

CHROMIUM = has_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on the PATH; axe is skipped"
)
REAL_LESSONS = sorted((REPO / "sources").glob("[0-9][0-9]_*.py"))
FIXTURE_ALT = "FIG_ALT: a line rising from (0, 0) to (2, 4), y = x squared"
IMG_ALT = re.compile(r'<img [^>]*?alt="([^"]*)"[^>]*src="data:image/(?:svg|png|jpeg)')


def handout(built, lesson: str, edition: str = "worked") -> Path:
    (path,) = built.out(lesson).glob(f"*.{edition}.pdf")
    return path


def authored_alts(path: Path, leave_out: str = "") -> list[str]:
    """The alt texts a lesson wrote on its figure cells, in order (not on cells tagged
    `leave_out`, which that artifact does not show)."""
    cells = read_lesson(path).notebook.cells
    return [
        " ".join(c.metadata["alt"].split())
        for c in cells
        if "alt" in c.metadata and leave_out not in c.metadata.get("tags", [])
    ]


@pytest.fixture(scope="module")
def real_course(tmp_path_factory):
    """The four real lessons built once, in a temporary course folder."""
    root = tmp_path_factory.mktemp("real") / "course"
    (root / "sources").mkdir(parents=True)
    for lesson in REAL_LESSONS:
        shutil.copy(lesson, root / "sources" / lesson.name)
    built = run_build(root, "build", "--jobs", "2", timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    return built


# --- the tagged PDF, read back -----------------------------------------------------------


@pytest.mark.parametrize("edition", ["worked", "student"])
def test_handout_is_tagged_pdf_ua_1_with_language_and_title(tiny_course, edition):
    reader = open_pdf(handout(tiny_course, "01_tag_table", edition))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "en"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True  # title, not file name
    assert reader.metadata.title == f"Tag Table Fixture (v1.3, {edition} edition)"
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert 'pdfuaid:part="1"' in xmp and "Tag Table Fixture" in xmp
    assert reader.pdf_header == "%PDF-1.7"
    assert reader.outline  # bookmarks: the outline a reader navigates by


def test_handout_structure_has_headings_lists_code_and_figures(tiny_course):
    kinds = set(structure_tree(open_pdf(handout(tiny_course, "01_tag_table"))).kinds())
    assert {
        "/H1",
        "/H2",
        "/H3",
        "/P",
        "/L",
        "/LI",
        "/Code",
        "/Figure",
        "/Formula",
        "/Link",
    } <= kinds


def test_every_figure_and_formula_in_the_handout_has_its_text(tiny_course):
    tree = structure_tree(open_pdf(handout(tiny_course, "01_tag_table")))
    assert tree.alts("/Figure") == [FIXTURE_ALT]  # the figure: the lesson's own words
    assert tree.alts("/Formula") == [  # each formula: its LaTeX, inline and display
        r"\frac{a}{b} + \sqrt{x}",
        r"\sum_{i=1}^{n} x_i^2 = \mathbf{x}^\top \mathbf{x}",
    ]


def test_page_furniture_is_an_artifact_and_all_other_text_is_tagged(tiny_course):
    reader = open_pdf(handout(tiny_course, "01_tag_table"))
    tree = structure_tree(reader)
    for number in range(len(reader.pages)):
        marks = page_marks(reader, number)
        assert marks.unmarked_text == 0  # PDF/UA: content is tagged or an artifact
        # every marked piece of content is reachable from the tree (none orphaned)
        assert marks.mcids == {mcid for page, mcid in tree.mcids if page == number}
        # the footer's stamp and "page N of M"; from page 2 on, the edition in the header
        assert marks.artifacts.count("/Footer") == 2
        assert marks.artifacts.count("/Header") == (0 if number == 0 else 1)


def test_real_handout_is_tagged_with_the_lessons_alt_texts(real_course):
    lesson = next(p for p in REAL_LESSONS if p.stem.startswith("03_"))
    reader = open_pdf(handout(real_course, lesson.stem))
    tree = structure_tree(reader)
    assert reader.trailer["/Root"]["/Lang"] == "en" and "/Table" in tree.kinds()
    assert tree.alts("/Figure") == authored_alts(lesson, leave_out="slides-only")
    formulas = tree.alts("/Formula")
    assert formulas and all(alt and alt.strip() for alt in formulas)
    for number in range(len(reader.pages)):
        marks = page_marks(reader, number)
        assert marks.unmarked_text == 0 and "/Footer" in marks.artifacts


# --- alt text in the decks ---------------------------------------------------------------


def test_fixture_deck_figure_carries_the_authored_alt_text(tiny_course):
    (deck,) = tiny_course.out("01_tag_table").glob("*.slides.html")
    assert FIXTURE_ALT in map(html.unescape, IMG_ALT.findall(deck.read_text(encoding="utf-8")))


@pytest.mark.parametrize("lesson", REAL_LESSONS, ids=lambda p: p.stem)
def test_real_deck_figures_carry_their_alt_texts(real_course, lesson):
    (deck,) = real_course.out(lesson.stem).glob("*.slides.html")
    alts = [html.unescape(a) for a in IMG_ALT.findall(deck.read_text(encoding="utf-8"))]
    assert all(a.strip() and a != "figure" for a in alts)
    shown = authored_alts(lesson, leave_out="handout-only")  # the deck leaves those cells out
    assert [a for a in alts if a in shown] == shown


# --- axe-core in Chromium, offline ---------------------------------------------------------


def violations_text(found: list[dict]) -> str:
    return "\n".join(f"slide {v.get('slide', '-')}: {v['rule']}: {v['nodes'][:2]}" for v in found)


@needs_chromium
def test_axe_finds_what_it_should(browser, tmp_path):
    """The checker itself can fail: a page with a known fault shows it."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><title>t</title></head><body><main><p style="color:#bbb">'
        'faint</p><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>'
    )
    rules = {v["rule"] for v in axe.page_violations(browser, page)}
    assert rules == {"color-contrast", "html-has-lang", "image-alt"}


@needs_chromium
@pytest.mark.parametrize("lesson", ["01_tag_table", "02_second", "04_long_content"])
def test_fixture_deck_has_no_axe_violations_on_any_slide(tiny_course, browser, lesson):
    (deck,) = tiny_course.out(lesson).glob("*.slides.html")
    found = axe.deck_violations(browser, deck)
    assert found == [], violations_text(found)


@needs_chromium
@pytest.mark.parametrize("lesson", REAL_LESSONS, ids=lambda p: p.stem)
def test_real_deck_has_no_axe_violations_on_any_slide(real_course, browser, lesson):
    (deck,) = real_course.out(lesson.stem).glob("*.slides.html")
    found = axe.deck_violations(browser, deck)
    assert found == [], violations_text(found)


@needs_chromium
def test_course_page_has_no_axe_violations(real_course, browser):
    found = axe.page_violations(browser, real_course.root / "build" / "index.html")
    assert found == [], violations_text(found)
