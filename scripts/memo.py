"""Work that WeasyPrint and its HTML parser repeat with the same answer, done once.

Three answers a handout's render asked for again and again (counted by valgrind on lesson 01's
worked handout, about 12 billion instructions laid out from scratch):

- tinyhtml5, WeasyPrint's HTML parser, keeps a cache of the regular expressions it reads text
  runs with, but stores each one under the wrong key (the compiled expression rather than the
  characters it stops at), so the cache never answers and the expression is built again for
  every text run and attribute: 7,700 times for that handout, about 0.46 billion
  instructions. `install()` gives the parser a cache that is filled under the key it looks up.
- `strut(style)`, the height and baseline of a line in a style, is asked for every line box
  and text box. WeasyPrint caches the answer per font, but finds it by turning fourteen font
  properties into one string on every call (about 0.29 billion instructions). A style's font
  never changes once it is computed, so the answer is now kept on the style itself.
- `get_font_description(style)` makes a new Pango font description for every text layout
  (5,700 for that handout), the same for every layout of a style; Pango copies the
  description into each layout, so one per style serves them all (about 0.18 billion).

The PDFs are byte-identical with and without these (tests/test_memo.py). `install()` is
idempotent, and only build processes call it (runtime.py); `uninstall()` is for the tests.
"""

from __future__ import annotations

import re

import tinyhtml5.inputstream
from weasyprint.css import computed_values, units
from weasyprint.layout import inline
from weasyprint.text import line_break

# WeasyPrint's own functions, and every module that holds its own name for them.
_STRUT = line_break.strut
_STRUT_USERS = (line_break, inline, units, computed_values)
_FONT_DESCRIPTION = line_break.get_font_description
_PARSER_CACHE = tinyhtml5.inputstream.characters_until_regex


class RunExpressions(dict):
    """tinyhtml5's cache of text-run expressions, keyed by what its reader looks them up by:
    (the characters that end a run, whether the run is made of them instead)."""

    def __missing__(self, key):
        characters, opposite = key
        # The expression tinyhtml5 builds: a run of characters not in the set, or (opposite)
        # of characters in it; each written as a \xNN escape, as it writes them.
        escaped = "".join(f"\\x{ord(character):02x}" for character in characters)
        expression = self[key] = re.compile(f"[{'' if opposite else '^'}{escaped}]+")
        return expression


def install() -> None:
    """Route WeasyPrint and tinyhtml5 through the memos below (idempotent)."""
    if not isinstance(tinyhtml5.inputstream.characters_until_regex, RunExpressions):
        tinyhtml5.inputstream.characters_until_regex = RunExpressions()
    for module in _STRUT_USERS:
        module.strut = strut
    line_break.get_font_description = font_description


def uninstall() -> None:
    """WeasyPrint's and tinyhtml5's own functions and cache again (tests compare the two)."""
    tinyhtml5.inputstream.characters_until_regex = _PARSER_CACHE
    for module in _STRUT_USERS:
        module.strut = _STRUT
    line_break.get_font_description = _FONT_DESCRIPTION


def strut(style):
    """WeasyPrint's `strut(style)`, worked out once per style."""
    return _kept_on(style, "_memo_strut", _STRUT)


def font_description(style):
    """WeasyPrint's `get_font_description(style)`, made once per style (and kept alive by it)."""
    return _kept_on(style, "_memo_font_description", _FONT_DESCRIPTION)


def _kept_on(style, name: str, work):
    """`work(style)`, kept on the style as `name`: its font never changes once computed."""
    try:
        return getattr(style, name)
    except AttributeError:
        answer = work(style)
        setattr(style, name, answer)
        return answer
