"""WeasyPrint's user-agent stylesheet, without its rules for footnotes and notes, where a page
has neither.

WeasyPrint's default styles for HTML (its `html5_ua.css`) give the pseudo-elements of
footnotes and notes their look with rules that name no element, `::footnote-call { … }` and
four more. Such a rule matches every element, so the cascade stores and computes four styles
for every element of a page, whatever the page holds: about 8,000 of the 13,000 computed
styles of lesson 01's worked handout (1,984 elements), for boxes that WeasyPrint makes only
for an element floated as a footnote (`float: footnote`) or placed as a note
(`position: note(…)`). A handout has neither, unless an author writes one in raw HTML.

`user_agent_sheets(page_html, stylesheets_text)` says which sheet a page is laid out with:
WeasyPrint's own when the page or its stylesheets mention a footnote or a note, and the same
sheet less those five rules otherwise. The sheet is made from WeasyPrint's own text, read by
tinycss2 (its CSS parser), so that everything else in it stays as WeasyPrint ships it. The
handouts of our lessons and of tests/fixtures/others are byte-identical either way
(tests/test_uasheet.py compares the latter's).
"""

from __future__ import annotations

import functools
import re

import tinycss2
from weasyprint import CSS, HTML
from weasyprint.html import UA, UA_COUNTER_STYLE, UA_STYLESHEET

# The pseudo-elements WeasyPrint's sheet styles for footnotes (`float: footnote`) and for
# notes (`position: note(…)`): their boxes exist only for such elements.
NOTE_PSEUDO_ELEMENTS = frozenset(
    {"footnote-call", "footnote-marker", "note-call", "note-marker", "note-callback"}
)
# Anything in a page or a stylesheet that could make a footnote or a note (a style attribute
# in an author's raw HTML included); a false alarm costs only the time this module saves.
MAY_USE_NOTES = re.compile(r"footnote|note\s*\(", re.IGNORECASE)


def user_agent_sheets(page_html: str, stylesheets_text: str) -> list[CSS]:
    """The user-agent stylesheet to lay `page_html` out with (see the module's docstring)."""
    if MAY_USE_NOTES.search(page_html) or MAY_USE_NOTES.search(stylesheets_text):
        return [UA_STYLESHEET]
    return [_without_note_rules()]


class PrintHTML(HTML):
    """WeasyPrint's HTML document, laid out with the user-agent sheets it is given.

    WeasyPrint asks the document for its user-agent sheets (`_ua_stylesheets`) when it
    lays it out, and has no argument for them; this is the one place that answers."""

    def __init__(self, *args, user_agent_sheets: list[CSS], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._user_agent_sheets = user_agent_sheets

    def _ua_stylesheets(self, forms=False):
        if forms:  # forms have a sheet of their own; we print none, so leave them as they are
            return super()._ua_stylesheets(forms)
        return self._user_agent_sheets


@functools.cache
def _without_note_rules() -> CSS:
    rules = tinycss2.parse_stylesheet(UA, skip_comments=True, skip_whitespace=True)
    kept = [rule for rule in rules if not _styles_a_note(rule)]
    # As WeasyPrint makes its own (weasyprint/html.py): from the text, with its counter styles.
    return CSS(string="\n".join(rule.serialize() for rule in kept), counter_style=UA_COUNTER_STYLE)


def _styles_a_note(rule) -> bool:
    """A rule for one of the note pseudo-elements alone, `::footnote-call` and the like."""
    if rule.type != "qualified-rule":
        return False
    selector = tinycss2.serialize(rule.prelude).strip()
    return selector.startswith("::") and selector[2:] in NOTE_PSEUDO_ELEMENTS
