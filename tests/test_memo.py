"""Answers WeasyPrint and its HTML parser repeat, kept once known (scripts/memo.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

import pytest
import tinyhtml5
import tinyhtml5.inputstream
from weasyprint.text import line_break

from scripts import handout, memo, uasheet

from .conftest import handout_pages

# Text runs, attributes in both quotes, entities, comments, raw text: every reader of the parser.
PAGE = (
    "<!DOCTYPE html><html><head><title>Tensors &amp; grads</title>"
    "<style>p { color: #333 }</style></head><body>"
    "<p class='lead' data-x=\"1\">A <code>tensor</code> &lt;3 &#955; &lambda;</p>"
    "<!-- a comment --><pre>x = 1\n\ny = 2</pre><script>if (a < b) {}</script></body></html>"
)
CODE = "\n".join(f"line_{number} = torch.ones({number})" for number in range(200))
LONG_CODE_PAGE = f"<html><body><main><pre>{CODE}</pre><p>{'Prose ' * 300}</p></main></body></html>"


@pytest.fixture
def without_memos():
    memo.uninstall()
    yield
    memo.install()


def _parsed(page: str) -> bytes:
    return ElementTree.tostring(tinyhtml5.parse(page))


def _lay_out(page_html: str):
    user_agent = uasheet.user_agent_sheets(page_html, "")
    fonts = handout._font_configuration(cjk=False)
    return handout._lay_out(page_html, [], fonts, user_agent)


def test_the_parser_finds_each_expression_it_made_before():
    cache = tinyhtml5.inputstream.characters_until_regex
    assert isinstance(cache, memo.RunExpressions)  # installed by runtime.configure()
    tree = _parsed(PAGE)
    known = dict(cache)
    assert known and all(not isinstance(characters, re.Pattern) for characters, _ in known)
    assert _parsed(PAGE) == tree
    assert all(cache[key] is expression for key, expression in known.items())  # not made again


def test_the_parser_reads_a_page_as_it_does_with_its_own_cache(without_memos):
    own = _parsed(PAGE)
    memo.install()
    assert _parsed(PAGE) == own


def _calls_while_laying_out(monkeypatch, name: str) -> int:
    calls = []
    real = getattr(memo, name)

    def counted(style):
        calls.append(style)
        return real(style)

    monkeypatch.setattr(memo, name, counted)
    _lay_out(LONG_CODE_PAGE)
    return len(calls)


def test_a_style_works_out_its_strut_and_font_once(monkeypatch):
    # 200 code lines and a paragraph of about 20 lines: a few styles, hundreds of lines.
    struts = _calls_while_laying_out(monkeypatch, "_STRUT")
    fonts = _calls_while_laying_out(monkeypatch, "_FONT_DESCRIPTION")
    assert 0 < struts < 20 and 0 < fonts < 20


def test_without_the_memos_weasyprint_asks_per_line(monkeypatch, without_memos):
    # The test above could pass with a page that asks little: this one asks per line.
    calls = []
    real = line_break.get_font_description
    monkeypatch.setattr(
        line_break, "get_font_description", lambda style: calls.append(style) or real(style)
    )
    _lay_out(LONG_CODE_PAGE)
    assert len(calls) > 200


def test_install_is_idempotent():
    memo.install()
    cache = tinyhtml5.inputstream.characters_until_regex
    memo.install()
    assert tinyhtml5.inputstream.characters_until_regex is cache
    assert line_break.strut is memo.strut
    assert line_break.get_font_description is memo.font_description


def test_handouts_are_byte_identical_without_the_memos(others_course):
    # Lessons written by others (a converted notebook, big cells, lists, tables, figures, math).
    for path, info, page, config in handout_pages(others_course.root, "worked"):
        remembered = handout.write_pdf(page, info, "worked", config)
        memo.uninstall()
        try:
            own = handout.write_pdf(page, info, "worked", config)
        finally:
            memo.install()
        assert remembered == own, f"{path.name} differs with WeasyPrint's own functions"
