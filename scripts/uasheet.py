"""WeasyPrint's user-agent stylesheet, without the rules that style pseudo-elements a page
cannot have.

WeasyPrint's default styles for HTML (its `html5_ua.css`) give the pseudo-elements of
footnotes and notes their look with rules that name no element, `::footnote-call { … }` and
four more. Such a rule matches every element, so the cascade stores and computes four styles
for every element of a page, whatever the page holds: about 8,000 of the 13,000 computed
styles of lesson 01's worked handout (1,984 elements), for boxes that WeasyPrint makes only
for an element floated as a footnote (`float: footnote`) or placed as a note
(`position: note(…)`). A handout has neither, unless an author writes one in raw HTML.
The list marker's rule, `::marker { … }`, is another: a style for the marker of every one of
those 1,984 elements, where only a list item (`display: list-item`, which the sheet gives
`li` alone) has a marker box. Where nothing in the page or its stylesheets says `list-item`,
the rule is written `li::marker`, which styles the same markers (0.8 % of that handout's
instructions, counted by valgrind).

`user_agent_sheets(page_html, stylesheets_text)` says which sheet a page is laid out with:
WeasyPrint's own when the page or its stylesheets mention a footnote or a note and a list
item, and otherwise the same sheet less what they do not need. The sheet is made from
WeasyPrint's own text, read by tinycss2 (its CSS parser), so that everything else in it stays
as WeasyPrint ships it. The handouts of our lessons and of tests/fixtures/others are
byte-identical either way (tests/test_uasheet.py compares the latter's).
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
# Anything that could make an element other than `li` a list item, which has a marker box.
MAY_MAKE_LIST_ITEMS = re.compile(r"list-item", re.IGNORECASE)
EVERY_MARKER, LIST_ITEM_MARKERS = "::marker", "li::marker"


def user_agent_sheets(page_html: str, stylesheets_text: str) -> list[CSS]:
    """The user-agent stylesheet to lay `page_html` out with (see the module's docstring)."""
    notes = bool(MAY_USE_NOTES.search(page_html) or MAY_USE_NOTES.search(stylesheets_text))
    list_items = bool(
        MAY_MAKE_LIST_ITEMS.search(page_html) or MAY_MAKE_LIST_ITEMS.search(stylesheets_text)
    )
    if notes and list_items:
        return [UA_STYLESHEET]
    return [_lean_sheet(keep_notes=notes, every_marker=list_items)]


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
def _lean_sheet(keep_notes: bool, every_marker: bool) -> CSS:
    rules = tinycss2.parse_stylesheet(UA, skip_comments=True, skip_whitespace=True)
    kept = [rule for rule in rules if keep_notes or not _styles_a_note(rule)]
    text = "\n".join(
        rule.serialize() if every_marker else _list_item_markers_only(rule) for rule in kept
    )
    # As WeasyPrint makes its own (weasyprint/html.py): from the text, with its counter styles.
    return CSS(string=text, counter_style=UA_COUNTER_STYLE)


def _list_item_markers_only(rule) -> str:
    """The rule as text, `::marker { … }` written `li::marker { … }`."""
    if rule.type == "qualified-rule" and _selector(rule) == EVERY_MARKER:
        return LIST_ITEM_MARKERS + " {" + tinycss2.serialize(rule.content) + "}"
    return rule.serialize()


def _styles_a_note(rule) -> bool:
    """A rule for one of the note pseudo-elements alone, `::footnote-call` and the like."""
    if rule.type != "qualified-rule":
        return False
    selector = _selector(rule)
    return selector.startswith("::") and selector[2:] in NOTE_PSEUDO_ELEMENTS


def _selector(rule) -> str:
    return tinycss2.serialize(rule.prelude).strip()
