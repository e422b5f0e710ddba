"""The contents' page numbers from the last render's record (scripts/contents.py)."""

from __future__ import annotations

import io
import json
import shutil

import pytest
import weasyprint.layout.page
from pypdf import PdfReader

from scripts import contents, handout

from .conftest import handout_pages, run_build


@pytest.fixture(scope="module")
def lessons(others_course):
    """Each lesson of the others course with a contents list: (name, info, page, config)."""
    return [
        (path.stem, info, page, config)
        for path, info, page, config in handout_pages(others_course.root, "worked")
        if contents.PAGE_SLOT.search(page)
    ]


@pytest.fixture
def pages_made(monkeypatch):
    """How many pages WeasyPrint laid out (a page laid out again counts again)."""
    made = []
    real = weasyprint.layout.page.make_page

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint.layout.page, "make_page", counted)
    return made


def _render(lesson, folder=None) -> bytes:
    name, info, page, config = lesson
    if folder is None:
        return handout.write_pdf(page, info, "worked", config)
    with contents.pages_kept(folder, name, "worked"):
        return handout.write_pdf(page, info, "worked", config)


def _record(folder, lesson) -> dict:
    return json.loads((folder / f"{lesson[0]}.worked{contents.PAGES_SUFFIX}").read_text())


def test_with_the_record_the_cover_is_laid_out_once(lessons, tmp_path, pages_made):
    assert lessons, "the others course has a lesson with a contents list"
    for lesson in lessons:
        pages_made.clear()
        first = _render(lesson, tmp_path)  # no record yet: WeasyPrint's counters
        laid_out_first = len(pages_made)
        record = _record(tmp_path, lesson)
        assert record and all(page > 1 for page in record.values())  # the cover is page 1
        pages_made.clear()
        second = _render(lesson, tmp_path)
        laid_out_second = len(pages_made)
        assert second == first == _render(lesson)  # the same bytes with and without a record
        assert laid_out_second == len(PdfReader(io.BytesIO(second)).pages)  # each page once
        assert laid_out_first > laid_out_second  # WeasyPrint laid the cover out again


def test_a_heading_that_moved_gets_the_page_it_landed_on(lessons, tmp_path, pages_made):
    lesson = lessons[0]
    own = _render(lesson)
    _render(lesson, tmp_path)
    right = _record(tmp_path, lesson)
    # As after an edit that pushed every heading one page on.
    wrong = {anchor: page + 1 for anchor, page in right.items()}
    (tmp_path / f"{lesson[0]}.worked{contents.PAGES_SUFFIX}").write_text(json.dumps(wrong))
    assert _render(lesson, tmp_path) == own
    assert _record(tmp_path, lesson) == right


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"sec-1": "two"}', '{"sec-1": 0}', '{"sec-1": true}', ""],
)
def test_a_record_that_does_not_read_is_ignored_and_replaced(lessons, tmp_path, text):
    lesson = lessons[0]
    path = tmp_path / f"{lesson[0]}.worked{contents.PAGES_SUFFIX}"
    path.write_text(text)
    assert _render(lesson, tmp_path) == _render(lesson)
    assert _record(tmp_path, lesson) and path.read_text() != text


def test_a_failed_render_keeps_no_record(lessons, tmp_path):
    name, info, page, config = lessons[0]
    with pytest.raises(RuntimeError), contents.pages_kept(tmp_path, name, "worked"):
        handout.write_pdf(page, info, "worked", config)
        raise RuntimeError("the render failed after laying out")
    assert not list(tmp_path.iterdir())


def test_numbers_are_written_only_where_the_record_names_every_heading(tmp_path):
    page = (
        '<li><a href="#sec-1"><span class="toc-page" data-target="#sec-1"></span></a></li>'
        '<li><a href="#sec-2"><span class="toc-page" data-target="#sec-2"></span></a></li>'
    )
    record = tmp_path / f"lesson.worked{contents.PAGES_SUFFIX}"
    record.write_text('{"sec-1": 2, "sec-2": 5}')
    with contents.pages_kept(tmp_path, "lesson", "worked"):
        numbered, numbers = contents.numbered(page)
    assert numbers == {"sec-1": 2, "sec-2": 5}
    assert 'data-target="#sec-2" data-page="5"' in numbered
    record.write_text('{"sec-1": 2}')  # the last render had no second heading
    with contents.pages_kept(tmp_path, "lesson", "worked"):
        assert contents.numbered(page) == (page, {})
    assert contents.numbered(page) == (page, {})  # outside pages_kept: no record


def test_a_build_renders_again_from_the_record_with_the_same_bytes(others_course, tmp_path):
    # The command line's own route (build._write_handout): the session's build kept each
    # handout's record; a handout rendered again from it has that build's bytes.
    root = tmp_path / "others"
    shutil.copytree(others_course.root, root)
    first = {path.name: path.read_bytes() for path in (root / "build").glob("*/*.pdf")}
    assert first and list((root / "build" / ".cache").glob(f"*{contents.PAGES_SUFFIX}"))
    for lesson in (root / "build").glob("[0-9][0-9]_*"):
        shutil.rmtree(lesson)  # its outputs gone: rendered again, its runs from the cache
    again = run_build(root, "build")
    assert again.returncode == 0 and "(cached)" in again.stdout, again.stdout + again.stderr
    assert {path.name: path.read_bytes() for path in (root / "build").glob("*/*.pdf")} == first


def test_a_heading_on_no_page_leaves_the_numbers_to_weasyprint():
    # A record from a render where every heading was shown; now one is on no page (hidden):
    # its number cannot be written in, so the page is laid out with WeasyPrint's counters.
    page = "".join(
        f'<a href="#{anchor}"><span class="toc-page" data-target="#{anchor}"></span></a>'
        for anchor in ("sec-1", "sec-2")
    )
    shown_page = type("Page", (), {"anchors": {"sec-1": (0, 0)}})
    document = type("Document", (), {"pages": [shown_page, shown_page]})
    laid_out = []

    def lay_out(html):
        laid_out.append(html)
        return document

    assert contents.verified(document, page, {"sec-1": 2, "sec-2": 3}, lay_out) is document
    assert laid_out == [page]  # not numbered: the counters find what they can
