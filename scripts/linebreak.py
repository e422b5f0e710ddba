"""A workaround for a WeasyPrint line-breaking bug that leaves one word alone on a line.

When the text before an inline element (`<code>`, `<strong>`, a formula) ends in a space,
WeasyPrint 70 counts that space when it checks whether the text fits on the line. If only
the space runs past the edge, it decides the line cannot be split "earlier" and keeps just
the first word: a handout showed "It" on a line of its own, then "walks the graph from the
loss...". CSS lets a line's trailing spaces hang past the edge, so such text does fit.

`install()` wraps WeasyPrint's `split_first_line` where the inline layout calls it: when
WeasyPrint splits a text that would fit without its trailing spaces, the whole text stays on
the line. Any other result is passed through untouched. Remove this module when WeasyPrint
measures lines without their trailing spaces (tests/test_handout.py shows the case).
"""

from __future__ import annotations

import math

from weasyprint.layout import inline

_SPLIT = inline.split_first_line  # WeasyPrint's own function


def install() -> None:
    """Route WeasyPrint's inline layout through `split_first_line` below (idempotent)."""
    inline.split_first_line = split_first_line


def split_first_line(
    text, style, context, max_width, justification_spacing, is_line_start=True, minimum=False
):
    """WeasyPrint's first-line split, except that trailing spaces never force a split."""
    result = _SPLIT(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    resume_index = result[2]
    if resume_index is None or not _may_hang(text, style, max_width, minimum):
        return result
    visible = _SPLIT(
        text.rstrip(" "), style, context, math.inf, justification_spacing, is_line_start
    )
    if visible[3] > max_width:  # the words themselves do not fit: WeasyPrint was right
        return result
    return _SPLIT(text, style, context, math.inf, justification_spacing, is_line_start)


def _may_hang(text: str, style, max_width, minimum: bool) -> bool:
    return (
        not minimum
        and max_width is not None
        and max_width != math.inf
        and text.endswith(" ")
        and text.strip(" ") != ""
        and style["white_space"] == "normal"  # prose; code (pre-wrap) keeps WeasyPrint's rules
    )
