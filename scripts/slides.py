"""Slide cuts and the self-contained reveal.js deck (nbconvert's reveal exporter, local assets)."""

from __future__ import annotations

import base64
import copy
import functools
import html
import io
import math
import re

import nbformat
from fontTools import subset
from nbconvert import SlidesExporter
from nbformat.v4 import new_markdown_cell

from . import assets
from .editions import tags
from .lesson import Lesson, LessonInfo, shown
from .slideheight import (
    FIGURE_MARGIN,
    FIGURE_MAX_WIDTH,
    FIGURE_MIMES,
    FIGURE_MIN_HEIGHT,
    cell_height,
    figure_ratio,
    input_height,
    natural_figure_height,
)

HEADING = re.compile(r"^\s*#{1,2}\s")  # `#` or `##` opens a slide; `###` does not
SLIDE_HEADING = re.compile(r"^\s*(#{1,2})\s+(.+?)\s*$", re.MULTILINE)
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
STARTS = ("slide", "subslide")
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
# Slide pixels that content may fill: 720 less the top padding, with room for the estimate's
# error (scripts/slideheight.py; the browser test measures the real heights).
SLIDE_BUDGET = 665.0
THIN_SLIDE = 0.4 * SLIDE_BUDGET  # below this, keep a cell's code on the slide, its output next
# The code font, embedded so code looks the same on every lecturer's laptop; only the scripts
# code uses (Latin, Greek, Cyrillic, punctuation, arrows, maths, box drawing).
MONO_FONTS = {
    400: "@expo-google-fonts/noto-sans-mono/400Regular/NotoSansMono_400Regular.ttf",
    700: "@expo-google-fonts/noto-sans-mono/700Bold/NotoSansMono_700Bold.ttf",
}
MONO_UNICODES = (
    "U+0020-024F,U+0370-03FF,U+0400-04FF,U+2000-206F,U+2190-21FF,U+2200-22FF,U+2500-259F"
)


def cut_slides(notebook: nbformat.NotebookNode, info: LessonInfo) -> nbformat.NotebookNode:
    """Give every cell a slide type (author's choice wins) and open with a title slide."""
    deck = copy.deepcopy(notebook)
    cells, heading, previous = [], "", None
    for cell in deck.cells:
        chosen = cell.metadata.get("slideshow", {}).get("slide_type")
        if cell.cell_type == "markdown" and SLIDE_HEADING.search(cell.source):
            heading = SLIDE_HEADING.search(cell.source).group(2)
        if chosen not in SLIDE_TYPES and _opens_solution(cell, previous):
            cells.append(solution_heading(heading))  # a solution follows its task, on its own
            chosen = "-"
        if chosen not in SLIDE_TYPES:
            opens = cell.cell_type == "markdown" and HEADING.match(cell.source)
            chosen = "slide" if opens else "-"
        cell.metadata.setdefault("slideshow", {})["slide_type"] = chosen
        cells.append(cell)
        if chosen not in ("notes", "skip"):
            previous = cell
    deck.cells = [title_slide(info), *cells]
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


def solution_heading(exercise: str) -> nbformat.NotebookNode:
    """The heading of the slide that shows an exercise's solution."""
    task = re.sub(r"^(exercise|task)\s*\d*\s*[:.]\s*", "", exercise, flags=re.IGNORECASE)
    cell = new_markdown_cell(f"## Solution: {task}" if task else "## Solution")
    cell.metadata["slideshow"] = {"slide_type": "slide"}
    cell.metadata["tags"] = ["solution"]
    return cell


def fit_slides(
    deck: nbformat.NotebookNode, lesson: Lesson
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Move what does not fit on a slide onto a continuation slide; warn where that cannot help."""
    deck = copy.deepcopy(deck)
    cells = zip(lesson.notebook.cells, lesson.cell_lines, strict=True)
    lines = {cell.get("id"): first for cell, (first, _) in cells}
    warnings: list[str] = []
    fitted = []
    for slide in group_slides(deck.cells):
        fitted += _fit_slide(slide, lambda c: _where(lesson, lines, c), warnings)
    deck.cells = fitted
    return deck, warnings


def group_slides(cells: list) -> list[list]:
    """The cells of each slide (horizontal or vertical), in order."""
    slides: list[list] = []
    for cell in cells:
        if not slides or cell.metadata.get("slideshow", {}).get("slide_type") in STARTS:
            slides.append([])
        slides[-1].append(cell)
    return slides


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
        extra_template_paths=[str(assets.TEMPLATES)],  # code_input.html.j2, shared by both
        template_name="deck",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "deck": {
            "title": info.title,
            "stamp": f"{info.name} · v{info.version} · {info.date}",
            "config": REVEAL_CONFIG,
            "slide_count": slide_count(deck),
            "reveal_css": assets.inline_css("reveal.js/dist/reveal.css"),
            "theme_css": assets.inline_css("reveal.js/dist/theme/white-contrast.css"),
            "fonts_css": mono_font_css(),
            "deck_css": assets.template_css("deck.css"),
            "reveal_js": assets.inline_js("reveal.js/dist/reveal.js"),
            "notes_js": assets.inline_js("reveal.js/plugin/notes/notes.js"),
        },
        "lesson": {"title": info.title, "version": info.version, "date": info.date},
    }
    body, _ = exporter.from_notebook_node(deck, resources=resources)
    return body


@functools.cache
def mono_font_css() -> str:
    """@font-face rules for "Deck Mono": Noto Sans Mono, subset and inlined as WOFF.

    WOFF rather than WOFF2: brotli took 0.5 s of every build process's first deck, to save
    35 KB in a 1.3 MB file that is opened from disk.
    """
    rules = []
    for weight, relative in MONO_FONTS.items():
        options = subset.Options(flavor="woff", layout_features=["*"])
        font = subset.load_font(str(assets.vendored(relative)), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(MONO_UNICODES))
        subsetter.subset(font)
        data = io.BytesIO()
        subset.save_font(font, data, options)
        encoded = base64.b64encode(data.getvalue()).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "Deck Mono"; font-weight: {weight}; '
            f'src: url("data:font/woff;base64,{encoded}") format("woff"); }}'
        )
    return "\n".join(rules)


def _opens_solution(cell, previous) -> bool:
    """The first cell of a solution, unless the author gave it a heading of its own."""
    titled = cell.cell_type == "markdown" and HEADING.match(cell.source)
    after_task = previous is not None and "solution" not in tags(previous)
    return "solution" in tags(cell) and after_task and not titled


def _fit_slide(slide: list, where, warnings: list[str]) -> list:
    """One slide's cells, with continuation slides inserted where the content runs over."""
    if slide[0].source.startswith('<div class="title-slide">'):
        return slide
    pages, used, queue = [[]], 0.0, list(slide)
    while queue:
        cell = queue.pop(0)
        height = _fitted_height(cell, SLIDE_BUDGET - used)
        if used + height > SLIDE_BUDGET and _has_body(pages[-1]):
            if used < THIN_SLIDE and _splittable(cell, SLIDE_BUDGET - used):
                queue[:0] = _split_output(cell)  # keep the code here, show its output next
                continue
            pages.append(_continuation(slide[0], cell))  # start a new slide before this cell
            used = sum(cell_height(c) for c in pages[-1])
            height = _fitted_height(cell, SLIDE_BUDGET - used)
        if used + height > SLIDE_BUDGET and _splittable(cell, SLIDE_BUDGET):
            queue[:0] = _split_output(cell)  # code and output together never fit: part them
            continue
        if used + height > SLIDE_BUDGET:
            warnings.append(_too_tall(where(cell), slide[0], used + height))
        pages[-1].append(cell)
        used += height
    for page in pages:
        _grow_figures(page)
    return [cell for page in pages for cell in page]


def _grow_figures(page: list) -> None:
    """Let the figures on a slide take the height its other cells leave empty.

    A figure is first fitted at FIGURE_HEIGHT at most, so that code can share its slide; on a
    slide with room to spare (a figure on a continuation slide of its own, say) it grows,
    as wide as the slide allows, so the back row can read it.
    """
    figures = [o for cell in page for o in _figures(cell)]
    spare = SLIDE_BUDGET - sum(cell_height(c) for c in page)
    if not figures or spare < 1:
        return
    for output in figures:
        deck = output.metadata["deck"]
        widest = FIGURE_MAX_WIDTH * figure_ratio(output.get("data", {}))
        deck["height"] = math.floor(min(deck["height"] + spare / len(figures), widest))


def _splittable(cell, room: float) -> bool:
    """A code cell whose code, without its output, fits in `room`."""
    return bool(cell.get("outputs")) and 0 < input_height(cell) <= room


def _split_output(cell) -> list:
    """The cell as two: the code alone, then its output alone (the input hidden)."""
    output = copy.deepcopy(cell)
    output["id"] = f"{cell.get('id', 'cell')}-out"[:64]
    output.metadata.setdefault("jupyter", {})["source_hidden"] = True
    output.metadata["transient"] = {"remove_source": True}
    output.metadata["slideshow"] = {"slide_type": "-"}
    cell.outputs = []
    return [cell, output]


def _fitted_height(cell, room: float) -> float:
    """The cell's height with its figures as large as they can be within `room` (or minimal)."""
    figures = _figures(cell)
    for output in figures:
        output.metadata["deck"] = {"height": math.floor(natural_figure_height(output))}
    height = cell_height(cell)
    if height <= room or not figures:
        return height
    others = height - sum(o.metadata["deck"]["height"] + FIGURE_MARGIN for o in figures)
    each = (room - others) / len(figures) - FIGURE_MARGIN
    for output in figures:
        natural = output.metadata["deck"]["height"]
        output.metadata["deck"]["height"] = math.floor(max(FIGURE_MIN_HEIGHT, min(natural, each)))
    return cell_height(cell)


def _figures(cell) -> list:
    return [o for o in cell.get("outputs", []) if any(m in o.get("data", {}) for m in FIGURE_MIMES)]


def _has_body(page: list) -> bool:
    """True once the slide holds more than its heading."""
    return any(cell_height(c) > 0 and not _is_heading_only(c) for c in page)


def _is_heading_only(cell) -> bool:
    text = [line for line in cell.source.splitlines() if line.strip()]
    return cell.cell_type == "markdown" and bool(text) and all(HEADING.match(t) for t in text)


def _continuation(first, cell) -> list:
    """The start of a continuation slide: the slide's heading again, marked "(cont.)"."""
    kind = first.metadata.get("slideshow", {}).get("slide_type")  # a subslide continues below
    kind = kind if kind in STARTS else "slide"
    match = SLIDE_HEADING.search(first.source) if first.cell_type == "markdown" else None
    if match is None:  # a slide cut by hand, without a heading: just cut again
        cell.metadata["slideshow"] = {"slide_type": kind}
        return []
    heading = new_markdown_cell(f"{match.group(1)} {match.group(2)} (cont.)")
    heading.metadata["slideshow"] = {"slide_type": kind}
    heading.metadata["tags"] = [t for t in tags(first) if t == "solution"]
    if cell.metadata.get("slideshow", {}).get("slide_type") in STARTS:
        cell.metadata["slideshow"] = {"slide_type": "-"}
    return [heading]


def _too_tall(where: str, first, height: float) -> str:
    match = SLIDE_HEADING.search(first.source) if first.cell_type == "markdown" else None
    title = match.group(2) if match else first.source.strip().splitlines()[0][:40]
    share = round(100 * height / SLIDE_BUDGET)
    return (
        f'{where}: slide "{title}" is too tall for the screen ({share}% of a slide) even on a '
        "slide of its own; split this cell or shorten its output"
    )


def _where(lesson: Lesson, lines: dict, cell) -> str:
    line = lines.get(str(cell.get("id", "")).removesuffix("-out"), 1)
    return f"{shown(lesson.info.path)}:{line}"
