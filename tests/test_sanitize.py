"""Raw HTML in prose: ordinary tags pass byte for byte; what runs or fetches is removed."""

from __future__ import annotations

import pytest

from scripts.sanitize import NO_ALT, sanitize_markdown

SAFE = (
    "H<sub>2</sub>O, x<sup>2</sup>, <kbd>Ctrl</kbd>+<kbd>C</kbd>, <br>, "
    '<a href="https://pytorch.org/docs">the docs</a>, <abbr title="graphics card">GPU</abbr>\n'
    "\n<details><summary>Why?</summary>\n\nBecause.\n\n</details>\n"
    "\n| a | b |\n| --- | --- |\n| <code>x</code> | 1 |\n"
    "\n![local figure](figure.png) and `<script>` in code stays code\n"
)


def test_ordinary_html_and_local_images_pass_unchanged():
    assert sanitize_markdown(SAFE) == (SAFE, [])


@pytest.mark.parametrize(
    ("source", "kept", "what"),
    [
        ("a <script>alert(1)</script> b\n", "a alert(1) b\n", "<script> element"),
        ("<script>\nalert(1)\n</script>\n\nafter\n", "\n\nafter\n", "<script> element"),
        ('<iframe src="https://x.org"></iframe>\n', "\n", "<iframe> element"),
        ("<img src=a onerror=f() alt=''>\n", '<img src="a" alt="">\n', "event handler onerror="),
        ('<a href="javascript:alert(1)">x</a>\n', "<a>x</a>\n", "href=javascript: URL"),
        ('<img alt="A cat" src="https://x.org/c.png">\n', "A cat\n", "remote resource src="),
        ("see ![a cat](https://x.org/c.png)\n", "see a cat\n", "remote image https://x.org/c.png"),
        ("see ![a cat](//x.org/c.png)\n", "see a cat\n", "remote image //x.org/c.png"),
        ("![p](attachment:p.png)\n", "p\n", "image attachment:p.png pasted into the notebook"),
    ],
)
def test_what_runs_or_fetches_is_removed_and_named(source, kept, what):
    cleaned, findings = sanitize_markdown(source)
    assert cleaned == kept
    assert findings and findings[0].what.startswith(what) and findings[0].stripped


def test_an_image_without_alt_text_is_given_one_a_screen_reader_can_say():
    cleaned, findings = sanitize_markdown('<img src="a.png">\n')
    assert cleaned == f'<img src="a.png" alt="{NO_ALT}">\n'
    assert findings == []


def test_findings_carry_their_own_line_in_the_cell():
    source = "First line\nsecond <b onclick=x()>bold</b>\n\n![r](https://x.org/r.png)\n"
    assert [f.line for f in sanitize_markdown(source)[1]] == [1, 3]


def test_a_remote_image_that_cannot_be_cut_out_is_reported_as_not_stripped():
    source = "![r][ref]\n\n[ref]: https://x.org/r.png\n"
    (finding,) = sanitize_markdown(source)[1]
    assert finding.what == "remote image https://x.org/r.png" and not finding.stripped
