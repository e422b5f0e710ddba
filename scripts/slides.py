"""Slide cuts and the self-contained reveal.js deck (nbconvert's reveal exporter, local assets)."""

from __future__ import annotations

import copy
import html
import re

import nbformat
from nbconvert import SlidesExporter
from nbformat.v4 import new_markdown_cell

from . import assets
from .lesson import LessonInfo

HEADING = re.compile(r"^\s*#{1,2}\s")  # `#` or `##` opens a slide; `###` does not
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
REVEAL_CONFIG = {
    "width": 1280,
    "height": 720,  # 16:9, the shape of today's projectors
    "margin": 0.04,
    "center": False,  # code slides read better from the top
    "hash": True,
    "slideNumber": "c/t",
    "progress": True,
    "controls": True,
    "transition": "none",
    "pdfMaxPagesPerSlide": 1,
}


def cut_slides(notebook: nbformat.NotebookNode, info: LessonInfo) -> nbformat.NotebookNode:
    """Give every cell a slide type (author's choice wins) and open with a title slide."""
    deck = copy.deepcopy(notebook)
    for cell in deck.cells:
        chosen = cell.metadata.get("slideshow", {}).get("slide_type")
        if chosen in SLIDE_TYPES:
            continue
        opens = cell.cell_type == "markdown" and HEADING.match(cell.source)
        cell.metadata["slideshow"] = {"slide_type": "slide" if opens else "-"}
    deck.cells.insert(0, title_slide(info))
    return deck


def title_slide(info: LessonInfo) -> nbformat.NotebookNode:
    """The opening slide: title, version and date, and the topics from the header."""
    topics = "".join(f"<li>{html.escape(t)}</li>" for t in info.summary)
    cell = new_markdown_cell(
        f'<div class="title-slide"><h1>{html.escape(info.title)}</h1>'
        f'<p class="stamp">Version {html.escape(info.version)} · {html.escape(info.date)}</p>'
        f'<ul class="topics">{topics}</ul></div>'
    )
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    return cell


def slide_count(deck: nbformat.NotebookNode) -> int:
    """How many slides (horizontal and vertical) the deck will show."""
    return sum(
        1
        for c in deck.cells
        if c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
    )


def render_deck(deck: nbformat.NotebookNode, info: LessonInfo) -> str:
    """The deck as one HTML file with reveal.js, its theme, notes plugin and images inside."""
    exporter = SlidesExporter(
        extra_template_basedirs=[str(assets.TEMPLATES)],
        template_name="deck",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "deck": {
            "title": info.title,
            "stamp": f"{info.name} · v{info.version} · {info.date}",
            "config": REVEAL_CONFIG,
            "reveal_css": assets.inline_css("reveal.js/dist/reveal.css"),
            "theme_css": assets.inline_css("reveal.js/dist/theme/white-contrast.css"),
            "deck_css": assets.template_css("deck.css"),
            "reveal_js": assets.inline_js("reveal.js/dist/reveal.js"),
            "notes_js": assets.inline_js("reveal.js/plugin/notes/notes.js"),
        },
        "lesson": {"title": info.title, "version": info.version, "date": info.date},
    }
    body, _ = exporter.from_notebook_node(deck, resources=resources)
    return body
