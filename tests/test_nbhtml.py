"""Our exporters (scripts/nbhtml.py) skip nbconvert's BeautifulSoup pass: the pages must say
exactly what nbconvert's own exporters would have said, alt text included."""

from __future__ import annotations

import base64
import copy

from bs4 import BeautifulSoup
from nbconvert import HTMLExporter, SlidesExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from scripts import assets, nbhtml
from scripts.handout import highlight_for_print
from scripts.slides import highlight_for_deck

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4"/></svg>'


def _notebook():
    figure = new_output("display_data", data={"image/svg+xml": SVG, "text/plain": "<Figure>"})
    figure.metadata["alt"] = "A black square"
    return new_notebook(
        cells=[
            new_markdown_cell("# Title\n\nProse with `code` and a local image: ![a cat](cat.png)"),
            new_code_cell(
                "x = 1  # a comment\nprint('x', x)",
                outputs=[new_output("stream", name="stdout", text="x 1\n"), figure],
            ),
        ],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
    )


def _stock(kind, template, highlight):
    cls = HTMLExporter if kind == "html" else SlidesExporter
    return cls(
        extra_template_basedirs=[str(assets.TEMPLATES)],
        extra_template_paths=[str(assets.TEMPLATES)],
        template_name=template,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={"highlight_code": highlight},
    )


def _same_page(kind, template, highlight, resources):
    notebook = _notebook()
    ours, _ = nbhtml.exporter(kind, template, highlight).from_notebook_node(
        copy.deepcopy(notebook), resources=resources
    )
    stock, _ = _stock(kind, template, highlight).from_notebook_node(
        copy.deepcopy(notebook), resources=resources
    )
    assert "A black square" in ours and 'alt="a cat"' in ours
    soup = BeautifulSoup(ours, features="html.parser")
    assert soup.select("img") and not soup.select("img:not([alt])")
    assert str(soup) == stock  # nbconvert's pass adds nothing our pages lack


def test_the_handout_page_is_what_nbconvert_would_write():
    from scripts.handout import BODY_START, CONTENTS_SLOT

    facts = dict.fromkeys(
        [
            "language",
            "title",
            "version",
            "edition",
            "author",
            "subject",
            "keywords",
            "date",
            "course",
            "edition_label",
            "institution",
            "licence",
            "logo",
        ],
        "x",
    )
    facts.update(summary=["a"], contents_slot=CONTENTS_SLOT, body_start=BODY_START)
    _same_page("html", "handout", highlight_for_print, {"handout": facts})


def test_the_deck_page_is_what_nbconvert_would_write():
    deck = {
        key: ""
        for key in [
            "title",
            "stamp",
            "reveal_css",
            "theme_css",
            "fonts_css",
            "deck_css",
            "reveal_js",
            "deck_js",
        ]
    }
    deck.update(config={}, slide_count=1, plugins_js=[], plugins=[])
    _same_page("slides", "deck", highlight_for_deck, {"deck": deck, "lesson": {}})


def test_an_exporter_is_made_once_per_process():
    first = nbhtml.exporter("html", "handout", highlight_for_print)
    assert nbhtml.exporter("html", "handout", highlight_for_print) is first
    assert nbhtml.exporter("slides", "deck", highlight_for_deck) is not first


def test_svg_is_base64_in_the_page():  # the templates inline figures as data URLs
    page, _ = nbhtml.exporter("slides", "deck", highlight_for_deck).from_notebook_node(
        _notebook(),
        resources={"deck": {"config": {}, "plugins_js": [], "plugins": []}, "lesson": {}},
    )
    assert base64.b64encode(SVG.encode()).decode()[:40] in page
