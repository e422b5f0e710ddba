"""Handouts laid out with WeasyPrint's user-agent sheet less its footnote and note rules."""

from __future__ import annotations

import pytest
from weasyprint.html import UA_STYLESHEET

from scripts import build, handout, uasheet
from scripts.config import load_config
from scripts.editions import make_edition, stable_ids

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


def test_a_page_with_a_footnote_in_raw_html_keeps_weasyprints_own_sheet(computed_styles):
    assert uasheet.user_agent_sheets(FOOTNOTE_PAGE, "") == [UA_STYLESHEET]
    document = _lay_out(FOOTNOTE_PAGE)
    (pseudo_types,) = computed_styles
    assert {"footnote-call", "footnote-marker"} <= pseudo_types
    text = _text(document)
    assert "A claim.1" in text and "1. Checked by the assert below." in text  # call and marker


def test_a_stylesheet_that_mentions_notes_keeps_weasyprints_own_sheet():
    plain = "<html><body><p>No notes here.</p></body></html>"
    assert uasheet.user_agent_sheets(plain, "") != [UA_STYLESHEET]
    assert uasheet.user_agent_sheets(plain, "aside { position: note(sidenotes) }") == [
        UA_STYLESHEET
    ]


@pytest.mark.parametrize("edition", ["worked", "student"])
def test_handouts_are_byte_identical_with_weasyprints_own_sheet(
    others_course, monkeypatch, edition
):
    # Lessons written by others (a converted notebook, big cells, lists, tables, figures, no
    # headings): the leaner sheet changes how fast they are laid out, not a byte.
    root = others_course.root
    config = load_config(root)
    for path in sorted((root / "sources").glob("[0-9][0-9]_*.py")):
        prepared = build.prepare(path, root, config, lambda name, message: None)
        try:
            info = prepared.lesson.info
            page = handout.render_handout_html(
                stable_ids(make_edition(prepared.rendered, edition)), info, edition, config
            )
            stamp = handout._stamp_css(info, edition, config)
            assert uasheet.user_agent_sheets(page, stamp) != [UA_STYLESHEET], path.name
            lean = handout.write_pdf(page, info, edition, config)
            with monkeypatch.context() as patched:
                patched.setattr(uasheet, "user_agent_sheets", lambda *_: [UA_STYLESHEET])
                own = handout.write_pdf(page, info, edition, config)
            assert lean == own, f"{path.name} ({edition}) differs with the lean sheet"
        finally:
            build.discard(prepared)
