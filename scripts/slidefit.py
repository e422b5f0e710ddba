"""Slide layout: what does not fit on a 1280x720 slide moves onto "(cont.)" slides.

Cuts fall where a person would make them: between blocks of prose (paragraphs, list items,
tables, figures, math, rules), between statements of code, and never between an output and
the code lines that printed it. A slide is never left nearly empty when its neighbour could
take its content, and a cell a little too tall for the room left is shown a little smaller
rather than pushed whole onto the next slide. Heights come from scripts/slideheight.py; the
browser test (tests/test_browser.py) measures the real slides.
"""

from __future__ import annotations

import copy
import math
import re

import nbformat
from nbformat.v4 import new_markdown_cell

from .editions import tags
from .lesson import Lesson, shown
from .slideheight import (
    FIGURE_MARGIN,
    FIGURE_MAX_WIDTH,
    FIGURE_MIN_HEIGHT,
    cell_height,
    cell_scale,
    figure_ratio,
    image_cap,
    input_height,
    is_figure,
    join_chunks,
    markdown_chunks,
    markdown_parts,
    natural_figure_height,
)

# Slide pixels that content may fill: 720 less the top padding, with room for the estimate's
# error (scripts/slideheight.py; the browser test measures the real heights).
SLIDE_BUDGET = 665.0
THIN_SLIDE = SLIDE_BUDGET / 3  # a slide less full than this is near-empty
KEEP_SCALE = 0.85  # shrink a cell this far rather than push it onto the next slide
MIN_SCALE = 0.4  # a single block taller than a slide is shrunk at most this far (and reported)
FIGURE_ALONE = 0.8 * SLIDE_BUDGET  # a figure's height on a slide with one line of code
FIGURE_KEPT = 0.75  # a figure smaller than this share of FIGURE_ALONE moves to the next slide
FIGURE_ROW_MIN = 220  # figures side by side are drawn at least this tall
STARTS = ("slide", "subslide")
SLIDE_HEADING = re.compile(r"^\s*(#{1,2})\s+(.+?)\s*$", re.MULTILINE)
FRAME_TAGS = ("exercise", "solution")  # the look a continuation slide keeps
PART = re.compile(r"(-(?:out|part\d*|h\d+))+$")  # suffixes of the ids of cells the build cut
# A code line that does not start a statement of its own: never cut a slide just before it.
CONTINUES = re.compile(r"^(\s|[)\]}]|else\b|elif\b|except\b|finally\b)")
OPENS = re.compile(r"[(\[{,\\:]\s*(#.*)?$")  # ... nor just after a line that goes on


def fit_slides(
    deck: nbformat.NotebookNode, lesson: Lesson
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Move what does not fit on a slide onto continuation slides; warn where that cannot help."""
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


def _fit_slide(slide: list, where, warnings: list[str]) -> list:
    """One slide's cells, with continuation slides inserted where the content runs over."""
    if slide[0].source.startswith('<div class="title-slide">'):
        return slide
    heading = _continuation_heading(slide[0])
    pages = _paginate(slide, heading, where, warnings)
    if not _pull_back(pages, heading):
        _balance(pages, heading)
    fitted = list(pages[0])
    for page in pages[1:]:
        fitted += _open_continuation(page, heading, slide[0])
    for page in group_slides(fitted):
        _grow_figures(page)
    return fitted


def _paginate(slide: list, heading, where, warnings: list[str]) -> list[list]:
    """The slide's cells laid out on as many slides as they need (the heading not yet added)."""
    pages: list[list] = [[]]
    queue = list(slide)
    while queue:
        cell = queue.pop(0)
        room = SLIDE_BUDGET - _page_height(pages, len(pages) - 1, heading)
        height = _fitted_height(cell, room)
        squeezed = _squeezed(cell, heading)
        if squeezed and _has_body(pages[-1]) and _whole_cell_fits_fresh(cell, heading):
            pages.append([])  # its figure would be small here: code and figure move on together
            queue.insert(0, cell)
            continue
        parts = _split_code(cell, room, before_figure=True) if squeezed else None
        if parts is not None:  # too long to move whole: the figure and its last lines move on
            pages[-1].append(parts[0])
            queue.insert(0, parts[1])
            pages.append([])
            continue
        if height <= room:
            pages[-1].append(cell)
            continue
        fresh = not _has_body(pages[-1])  # nothing on this slide yet but its heading
        if not fresh and _images_make_room(pages[-1], height - room):  # a smaller diagram
            pages[-1].append(cell)  # beats a slide that shows the next cell alone
            continue
        if _shrink(cell, room, KEEP_SCALE):  # a little smaller beats a cut
            pages[-1].append(cell)
            continue
        # Cut the cell when this slide would otherwise stay (nearly) empty, or when the cell
        # would not fit a slide of its own anyway; else it moves whole to the next slide.
        thin = SLIDE_BUDGET - room < THIN_SLIDE
        parts = _split(cell, room) if fresh or thin or height > _fresh_room(heading) else None
        if parts is not None and _pointless(parts, SLIDE_BUDGET - room, heading):
            parts = None
        if parts is not None:
            pages[-1].append(parts[0])
            queue.insert(0, parts[1])
            pages.append([])
        elif not fresh:
            pages.append([])
            queue.insert(0, cell)
        else:  # one block taller than a whole slide: show it smaller, and say so
            _shrink(cell, room, MIN_SCALE, force=True)
            warnings.append(_too_tall(where(cell), slide[0], cell_scale(cell)))
            pages[-1].append(cell)
    return [page for page in pages if page]


def _squeezed(cell, heading) -> bool:
    """A figure drawn well below the size it would have on a slide with only its last code line.

    The back row cannot read a figure's labels at a third of the slide; with its code on the
    slide before, it grows (FIGURE_KEPT of that size is close enough to stay with all its code).
    """
    if input_height(cell) == 0 or cell.metadata.get("deck", {}).get("figure_row"):
        return False  # side by side, figures grow no taller on a slide of their own
    for output in _figures(cell):
        alone = min(FIGURE_MAX_WIDTH * figure_ratio(output.get("data", {})), FIGURE_ALONE)
        if output.metadata["deck"]["height"] < FIGURE_KEPT * min(alone, _fresh_room(heading)):
            return True
    return False


def _whole_cell_fits_fresh(cell, heading) -> bool:
    """On a slide of its own, the cell's figure is drawn big enough (not squeezed)."""
    room = _fresh_room(heading)
    return _fitted_height(cell, room) <= room and not _squeezed(cell, heading)


def _pointless(parts: tuple, used: float, heading) -> bool:
    """A cut that leaves this slide near-empty and still does not make the rest fit a slide."""
    head, tail = parts
    return used + cell_height(head) < THIN_SLIDE and cell_height(tail) > _fresh_room(heading)


def _pull_back(pages: list[list], heading) -> bool:
    """A near-empty last slide joins the slide before, whose figure is drawn smaller to make
    room, down to FIGURE_KEPT of its usual size: one slide fewer to click through, and the
    figure still reads from the back row."""
    if len(pages) < 2 or _page_height(pages, len(pages) - 1, heading) >= THIN_SLIDE:
        return False
    before, last = pages[-2], pages[-1]
    drawing = [
        c for c in before if _figures(c) and not c.metadata.get("deck", {}).get("figure_row")
    ]
    if len(drawing) != 1:
        return False
    cell, saved = drawing[0], copy.deepcopy(drawing[0])
    rest = _page_height(pages, len(pages) - 2, heading) - cell_height(cell)
    room = SLIDE_BUDGET - rest - sum(cell_height(c) for c in last)
    if _fitted_height(cell, room) <= room and all(
        o.metadata["deck"]["height"] >= FIGURE_KEPT * natural_figure_height(o)
        for o in _figures(cell)
    ):
        before += last
        pages.pop()
        return True
    before[before.index(cell)] = saved
    return False


def _balance(pages: list[list], heading) -> None:
    """Give a near-empty last slide cells from the slide before, while both stay full enough."""
    if len(pages) < 2:
        return
    while _page_height(pages, len(pages) - 1, heading) < THIN_SLIDE and len(pages[-2]) > 1:
        moved = pages[-2][-1]
        if not _has_body(pages[-2][:-1]):
            return
        candidate = [*pages[:-2], pages[-2][:-1], [moved, *pages[-1]]]
        if _page_height(candidate, len(candidate) - 2, heading) < THIN_SLIDE:
            return
        merged = _merge(moved, pages[-1][0]) if pages[-1] else None
        candidate[-1] = [merged, *pages[-1][1:]] if merged is not None else candidate[-1]
        if _page_height(candidate, len(candidate) - 1, heading) > SLIDE_BUDGET:
            return
        pages[:] = candidate


def _page_height(pages: list[list], index: int, heading) -> float:
    extra = cell_height(heading) if index > 0 and heading is not None else 0.0
    return sum(cell_height(c) for c in pages[index]) + extra


def _fresh_room(heading) -> float:
    return SLIDE_BUDGET - (cell_height(heading) if heading is not None else 0.0)


def _split(cell, room: float):
    """The cell as (head, tail), the head fitting in `room`, cut where a person would; or None."""
    if cell.cell_type == "markdown":
        return _split_markdown(cell, room)
    if cell.cell_type == "code" and input_height(cell) > 0:
        return _split_code(cell, room)
    if cell.cell_type == "code" and len(cell.get("outputs", [])) > 1:
        return _split_outputs(cell, room)
    return None


def _split_markdown(cell, room: float):
    """Between two blocks (never inside a paragraph or list item), not just after a heading."""
    chunks = markdown_chunks(cell.source)
    for cut in range(len(chunks) - 1, 0, -1):
        if chunks[cut - 1][0] == "heading" or chunks[cut - 1][1].rstrip().endswith(":"):
            continue  # a heading, or a sentence that leads in, stays with what follows
        head = _part(cell, join_chunks(chunks[:cut]))
        if cell_height(head) <= room:
            return head, _part(cell, join_chunks(chunks[cut:]), "-part")
    return None


def _split_code(cell, room: float, before_figure: bool = False):
    """Between two statements; the last lines stay with the output they print.

    With `before_figure`, what the cell printed before its first figure stays with the head:
    output comes in the order the code ran, so the figure's lines printed none of it.
    """
    lines = cell.source.split("\n")  # the last line always stays with the output
    outputs = cell.get("outputs", [])
    first = next((i for i, o in enumerate(outputs) if is_figure(o)), 0) if before_figure else 0
    fitting = [
        k
        for k in range(len(lines) - 1, 0, -1)
        if "\n".join(lines[:k]).strip()
        and "\n".join(lines[k:]).strip()
        and cell_height(_code_part(cell, lines[:k], outputs[:first])) <= room
    ]
    if not fitting:
        return None
    good = [k for k in fitting if _statement_starts(lines, k)]
    cut = (good or fitting)[0]
    head = _code_part(cell, lines[:cut], outputs[:first])
    tail = _code_part(cell, lines[cut:], outputs[first:], "-part")
    return head, tail


def _split_outputs(cell, room: float):
    """A cell with no code shown (hide-input) and several outputs: between two outputs."""
    outputs = cell.outputs
    for cut in range(len(outputs) - 1, 0, -1):
        head = _code_part(cell, cell.source.split("\n"), outputs[:cut])
        if cell_height(head) <= room:
            return head, _code_part(cell, cell.source.split("\n"), outputs[cut:], "-part")
    return None


def _statement_starts(lines: list[str], k: int) -> bool:
    """Line k starts a top-level statement, after a line that does not go on."""
    previous = lines[k - 1]
    if not lines[k].strip():
        return True
    return not CONTINUES.match(lines[k]) and not OPENS.search(previous)


def _part(cell, source: str, suffix: str = ""):
    part = copy.deepcopy(cell)
    part.source = source
    if suffix:
        part["id"] = _part_id(cell, suffix)
        part.metadata["slideshow"] = {"slide_type": "-"}
    return part


def _code_part(cell, lines: list[str], outputs: list, suffix: str = ""):
    part = _part(cell, "\n".join(lines).strip("\n"), suffix)
    part.outputs = copy.deepcopy(outputs)
    return part


def _part_id(cell, suffix: str) -> str:
    return f"{cell.get('id', 'cell')}{suffix}"[-64:]


def _merge(head, tail):
    """Two parts of one cell, cut apart earlier, joined again (None when they are not)."""
    if PART.sub("", str(head.get("id", ""))) != PART.sub("", str(tail.get("id", ""))):
        return None
    if head.cell_type != tail.cell_type or head.get("outputs"):
        return None
    whole = copy.deepcopy(head)
    whole.source = (
        f"{head.source}\n\n{tail.source}"
        if head.cell_type == "markdown"
        else (f"{head.source}\n{tail.source}")
    )
    if head.cell_type == "code":
        whole.outputs = copy.deepcopy(tail.outputs)
    return whole


def _shrink(cell, room: float, floor: float, force: bool = False) -> bool:
    """Show the cell's text smaller (down to `floor`) so that it fits in `room`."""
    if cell.cell_type not in ("markdown", "code"):
        return False
    cell.metadata.setdefault("deck", {})["scale"] = 1.0
    whole = cell_height(cell)
    fixed = whole - _text_height(cell)
    text = whole - fixed
    scale = math.floor(100 * (room - fixed) / text) / 100 if text > 0 else 1.0
    if scale >= floor or force:
        cell.metadata["deck"]["scale"] = max(min(scale, 1.0), floor)
        return True
    del cell.metadata["deck"]["scale"]
    return False


def _text_height(cell) -> float:
    """The part of a cell's height that a smaller font shrinks (not figures, not frames)."""
    saved = cell.metadata["deck"]["scale"]
    cell.metadata["deck"]["scale"] = 0.0
    without = cell_height(cell)
    cell.metadata["deck"]["scale"] = saved
    return cell_height(cell) - without


def _grow_figures(page: list) -> None:
    """Let the figures on a slide take the height its other cells leave empty.

    A figure is first fitted at FIGURE_HEIGHT at most, so that code can share its slide; on a
    slide with room to spare (a figure on a continuation slide of its own, say) it grows,
    as wide as the slide allows, so the back row can read it.
    """
    # Figures side by side keep their height: taller, a row could wrap into two.
    growing = [c for c in page if not c.metadata.get("deck", {}).get("figure_row")]
    figures = [o for cell in growing for o in _figures(cell)]
    spare = SLIDE_BUDGET - sum(cell_height(c) for c in page)
    if not figures or spare < 1:
        return
    for output in figures:
        deck = output.metadata["deck"]
        widest = FIGURE_MAX_WIDTH * figure_ratio(output.get("data", {}))
        deck["height"] = math.floor(min(deck["height"] + spare / len(figures), widest))


def _images_make_room(cells: list, needed: float) -> bool:
    """Lower the height the prose images among `cells` may take (not below FIGURE_MIN_HEIGHT)
    until `needed` pixels are free; False, with nothing changed, when they cannot free it."""
    holders = [c for c in cells if c.cell_type == "markdown" and _images_height(c) > 0]
    saved = [copy.deepcopy(c.metadata.get("deck")) for c in holders]
    before = sum(cell_height(c) for c in holders)
    cap = max((image_cap(c) for c in holders), default=FIGURE_MIN_HEIGHT)
    while cap > FIGURE_MIN_HEIGHT:
        cap = max(FIGURE_MIN_HEIGHT, cap - 10)
        for cell in holders:
            cell.metadata.setdefault("deck", {})["image_height"] = cap
        if before - sum(cell_height(c) for c in holders) >= needed:
            return True
    for cell, deck in zip(holders, saved, strict=True):
        cell.metadata.pop("deck", None)
        if deck is not None:
            cell.metadata["deck"] = deck
    return False


def _images_height(cell) -> float:
    return markdown_parts(cell.source, image_cap(cell))[1]


def _fitted_height(cell, room: float) -> float:
    """The cell's height with its figures as large as they can be within `room` (or minimal)."""
    if cell.cell_type == "markdown" and cell_height(cell) > room:
        _images_make_room([cell], cell_height(cell) - room)  # its diagram smaller, if that fits
    figures = _figures(cell)
    cell.metadata.get("deck", {}).pop("figure_row", None)  # chosen anew for this room
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
    if len(figures) > 1 and cell_height(cell) > room:
        _side_by_side(cell, figures, room)
    return cell_height(cell)


def _side_by_side(cell, figures: list, room: float) -> None:
    """Several figures too tall one above the other: side by side (deck.css wraps them into
    rows), at the tallest common height that fits `room`, not below FIGURE_ROW_MIN. Where
    nothing fits, whichever way is shorter stays: the slide is then reported as too tall."""
    stacked = {id(o): o.metadata["deck"]["height"] for o in figures}
    stacked_height = cell_height(cell)
    cell.metadata.setdefault("deck", {})["figure_row"] = True
    natural = {id(o): math.floor(natural_figure_height(o)) for o in figures}
    for height in range(max(natural.values()), FIGURE_ROW_MIN - 1, -5):
        for output in figures:
            output.metadata["deck"]["height"] = min(natural[id(output)], height)
        if cell_height(cell) <= room:
            return
    if cell_height(cell) < stacked_height:
        return
    del cell.metadata["deck"]["figure_row"]
    for output in figures:
        output.metadata["deck"]["height"] = stacked[id(output)]


def _figures(cell) -> list:
    return [o for o in cell.get("outputs", []) if is_figure(o)]


def _has_body(page: list) -> bool:
    """True once the slide holds more than its heading."""
    return any(cell_height(c) > 0 and not _is_heading_only(c) for c in page)


def _is_heading_only(cell) -> bool:
    text = [line for line in cell.source.splitlines() if line.strip()]
    return cell.cell_type == "markdown" and bool(text) and all(SLIDE_HEADING.match(t) for t in text)


def _continuation_heading(first):
    """The heading a continuation slide repeats, marked "(cont.)"; None for a slide without."""
    match = SLIDE_HEADING.search(first.source) if first.cell_type == "markdown" else None
    if match is None:
        return None
    heading = new_markdown_cell(f"{match.group(1)} {match.group(2)} (cont.)")
    kind = first.metadata.get("slideshow", {}).get("slide_type")  # a subslide continues below
    heading.metadata["slideshow"] = {"slide_type": kind if kind in STARTS else "slide"}
    heading.metadata["tags"] = [t for t in tags(first) if t in FRAME_TAGS]
    return heading


def _open_continuation(page: list, heading, first) -> list:
    """A continuation slide's cells: the heading again (inside the same frame when it can)."""
    for cell in page:
        if cell.metadata.get("slideshow", {}).get("slide_type") in STARTS:
            cell.metadata["slideshow"] = {"slide_type": "-"}
    if heading is None:  # a slide cut by hand, without a heading: just cut again
        kind = first.metadata.get("slideshow", {}).get("slide_type")
        page[0].metadata["slideshow"] = {"slide_type": kind if kind in STARTS else "slide"}
        return page
    heading = copy.deepcopy(heading)
    lead = page[0]
    if lead.cell_type == "markdown" and tags(lead) & set(FRAME_TAGS) == set(heading.metadata.tags):
        lead.source = f"{heading.source}\n\n{lead.source}"  # one frame, as on the first slide
        lead.metadata["slideshow"] = dict(heading.metadata["slideshow"])
        return page
    return [heading, *page]


def _too_tall(where: str, first, scale: float) -> str:
    match = SLIDE_HEADING.search(first.source) if first.cell_type == "markdown" else None
    title = match.group(2) if match else first.source.strip().splitlines()[0][:40]
    return (
        f'{where}: slide "{title}" has a block taller than the screen even on a slide of its '
        f"own, shown at {round(100 * scale)}% size; split this cell or shorten its output"
    )


def _where(lesson: Lesson, lines: dict, cell) -> str:
    line = lines.get(PART.sub("", str(cell.get("id", ""))), 1)
    return f"{shown(lesson.info.path)}:{line}"
