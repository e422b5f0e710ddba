"""Handouts laid out with WeasyPrint's user-agent sheet less its footnote and note rules."""

from __future__ import annotations

import pytest
from weasyprint.html import UA_STYLESHEET

from scripts import handout, uasheet

from .conftest import handout_pages

FOOTNOTE_PAGE = (
    "<html><body><main><p>A claim."
    '<span style="float: footnote">Checked by the assert below.</span></p></main></body></html>'
)


@pytest.fixture
def computed_styles(monkeypatch):
    """The pseudo-element types WeasyPrint computed a style for, in the next lay-out."""
    import weasyprint.css

    seen: list[set] = []
    real = weasyprint.css.StyleFor.__init__

    def recording(self, *args, **kwargs):
        real(self, *args, **kwargs)
        seen.append({pseudo for (_, pseudo) in self._computed_styles if pseudo})

    monkeypatch.setattr(weasyprint.css.StyleFor, "__init__", recording)
    return seen


def _lay_out(page_html: str):
    user_agent = uasheet.user_agent_sheets(page_html, "")
    fonts = handout._font_configuration(cjk=False)
    return handout._lay_out(page_html, [], fonts, user_agent)


def _text(document) -> str:
    def texts(box):
        yield getattr(box, "text", "") or ""
        for child in getattr(box, "children", []):
            yield from texts(child)

    return "".join(text for page in document.pages for text in texts(page._page_box))


def test_a_page_without_notes_computes_no_note_styles(computed_styles):
    document = _lay_out("<html><body><main><ol><li>one</li><li>two</li></ol></main></body></html>")
    (pseudo_types,) = computed_styles
    assert not pseudo_types & uasheet.NOTE_PSEUDO_ELEMENTS  # the five rules were left out
    assert "marker" in pseudo_types  # the list's numbers are still styled as WeasyPrint does
    assert "1." in _text(document) and "2." in _text(document)


def test_a_page_with_a_footnote_in_raw_html_keeps_weasyprints_note_rules(computed_styles):
    plain = "<html><body><p>No notes here.</p></body></html>"
    assert uasheet.user_agent_sheets(FOOTNOTE_PAGE, "") != uasheet.user_agent_sheets(plain, "")
    document = _lay_out(FOOTNOTE_PAGE)
    (pseudo_types,) = computed_styles
    assert {"footnote-call", "footnote-marker"} <= pseudo_types
    text = _text(document)
    assert "A claim.1" in text and "1. Checked by the assert below." in text  # call and marker


def test_a_stylesheet_that_mentions_notes_keeps_weasyprints_note_rules():
    plain = "<html><body><p>No notes here.</p></body></html>"
    lean = uasheet.user_agent_sheets(plain, "")
    assert lean != [UA_STYLESHEET]
    assert uasheet.user_agent_sheets(plain, "aside { position: note(sidenotes) }") not in (
        lean,
        [UA_STYLESHEET],  # the note rules back, the marker rule still for list items only
    )


@pytest.mark.parametrize("edition", ["worked", "student"])
def test_handouts_are_byte_identical_with_weasyprints_own_sheet(
    others_course, monkeypatch, edition
):
    # Lessons written by others (a converted notebook, big cells, lists, tables, figures, no
    # headings): the leaner sheet changes how fast they are laid out, not a byte.
    for path, info, page, config in handout_pages(others_course.root, edition):
        stamp = handout._stamp_css(info, edition, config)
        assert uasheet.user_agent_sheets(page, stamp) != [UA_STYLESHEET], path.name
        lean = handout.write_pdf(page, info, edition, config)
        with monkeypatch.context() as patched:
            patched.setattr(uasheet, "user_agent_sheets", lambda *_: [UA_STYLESHEET])
            own = handout.write_pdf(page, info, edition, config)
        assert lean == own, f"{path.name} ({edition}) differs with the lean sheet"


@pytest.fixture
def marker_styles(monkeypatch):
    """The tags of the elements WeasyPrint computed a ::marker style for, in the next lay-out."""
    import weasyprint.css

    seen: list[list[str]] = []
    real = weasyprint.css.StyleFor.__init__

    def recording(self, *args, **kwargs):
        real(self, *args, **kwargs)
        styled = [element for (element, pseudo) in self._computed_styles if pseudo == "marker"]
        seen.append(sorted(element.tag.rsplit("}", 1)[-1] for element in styled))

    monkeypatch.setattr(weasyprint.css.StyleFor, "__init__", recording)
    return seen


def test_only_list_items_get_a_marker_style(marker_styles):
    document = _lay_out(
        "<html><body><main><p>Steps:</p><ol><li>one</li><li>two</li></ol>"
        "<ul><li>three</li></ul><p>More <em>prose</em>.</p></main></body></html>"
    )
    assert marker_styles == [["li", "li", "li"]]  # not one for every element of the page
    text = _text(document)
    assert "1." in text and "2." in text  # the ordered list keeps its numbers
    assert "•" in text  # the bullet list keeps its marker


def test_a_page_that_makes_another_list_item_keeps_every_marker_rule(marker_styles):
    page = (
        '<html><body><main><div style="display: list-item">a div as a list item</div>'
        "<ol><li>one</li></ol></main></body></html>"
    )
    _lay_out(page)
    (tags,) = marker_styles
    assert "div" in tags and "li" in tags  # styled as WeasyPrint's own sheet styles it
    assert len(tags) > 2  # the rule for every element's marker is back


def test_each_need_has_its_own_sheet_made_once():
    plain = "<html><body><p>Text.</p></body></html>"
    needs = {
        "neither": "",
        "markers": "div { display: list-item }",
        "notes": ".aside { float: footnote }",
        "both": "div { display: list-item } .aside { float: footnote }",
    }
    sheets = {need: uasheet.user_agent_sheets(plain, css) for need, css in needs.items()}
    assert sheets["both"] == [UA_STYLESHEET]
    assert len({id(sheet) for (sheet,) in sheets.values()}) == 4
    assert uasheet.user_agent_sheets(plain, needs["markers"]) == sheets["markers"]  # cached
