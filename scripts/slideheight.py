"""How tall a cell will be on a 1280x720 slide, estimated from line counts (no browser needed).

The numbers follow scripts/templates/css/deck.css (30px text, 21px code); the browser test
(tests/test_browser.py) measures the real slides and is the judge of whether they are right.
"""

from __future__ import annotations

import math
import re
import struct
from base64 import b64decode

from markdown_it import MarkdownIt

TEXT_LINE = 39.0  # 30px text, line-height 1.3
TEXT_CHARS = 88  # characters of prose per line across a 1230px slide (words wrap whole)
CODE_LINE = 27.3  # 21px code, line-height 1.3
CODE_CHARS = 92  # characters of code per line inside a code box
BOX_PADDING = 13.0  # top + bottom padding of one code or output box
CELL_GAP = 11.0  # space between a code cell and its neighbours
PARAGRAPH_GAP = 9.0
LIST_GAP = 12.0  # above and below a list
HEADINGS = {1: (68.0, 40, 23.0), 2: (52.0, 52, 15.0), 3: (40.0, 70, 21.0)}  # line, chars, margin
TABLE_ROW = 37.0
EXERCISE_FRAME = {"markdown": 50.0, "code": 25.0}  # the orange frame: border, padding, margins
FIGURE_WIDTH = 860.0  # a figure is drawn this wide at most ...
FIGURE_HEIGHT = 430.0  # ... and this tall at most;
FIGURE_MIN_HEIGHT = 250.0  # the build may shrink it down to this to keep it on its slide
FIGURE_MAX_WIDTH = 1180.0  # ... or grow it into a slide's spare height, up to this wide
FIGURE_MARGIN = 14.0
FIGURE_MIMES = ("image/svg+xml", "image/png", "image/jpeg")
# Several figures of one cell too tall one above the other go side by side (deck.css), at one
# height, as many to a row as fit this width (a little less than the slide's 1228px, so that
# the estimate never packs a row the browser would wrap) with this gap between them.
ROW_WIDTH = 1200.0
ROW_GAP = 16.0

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
DISPLAY_MATH = re.compile(r'<div class="math-display"><img[^>]*?height:([\d.]+)em[^>]*></div>')
INLINE_MATH = re.compile(r'<img class="math-inline"[^>]*?width:([\d.]+)em[^>]*>')
TAG = re.compile(r"<[^>]+>")
# An image the prose shows (scripts/images.py has made its path a data: URL by now), as
# markdown or as an <img> that is not a formula: drawn as large as a figure (deck.css).
PROSE_IMAGE = re.compile(
    r"!\[[^\]]*\]\(\s*<?data:(?P<mime>[\w/+.-]+);base64,(?P<data>[A-Za-z0-9+/=]+)[^)]*\)"
    r"|<img(?![^>]*class=\"math-)[^>]*?src=[\"']data:(?P<hmime>[\w/+.-]+);base64,"
    r"(?P<hdata>[A-Za-z0-9+/=]+)[^>]*>"
)
_MARKDOWN = MarkdownIt("commonmark").enable("table")  # the dialect nbconvert's mistune reads
BLOCK_KINDS = {
    "heading_open": "heading",
    "list_item_open": "item",
    "table_open": "table",
    "fence": "fence",
    "code_block": "fence",
    "html_block": "html",
    "hr": "rule",
}
MARKUP = re.compile(r"<[^>]+>|[`*_]|\]\([^)]*\)|\[")  # what takes no room: tags, emphasis, links
SVG_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)(?:pt|px)?"[^>]*?\sheight="([\d.]+)(?:pt|px)?"')


def cell_height(cell) -> float:
    """Estimated height in slide pixels of one cell as the deck shows it (0 for notes)."""
    kind = cell.metadata.get("slideshow", {}).get("slide_type")
    if kind in ("notes", "skip"):
        return 0.0
    frame = EXERCISE_FRAME.get(cell.cell_type, 0.0) if "exercise" in _tags(cell) else 0.0
    if cell.cell_type == "markdown":
        text, images = markdown_parts(cell.source, image_cap(cell))
        return text * cell_scale(cell) + images + frame  # images are sized in px, not em
    if cell.cell_type == "code":
        figures = figures_height(cell)
        text = input_height(cell) + sum(
            output_height(o) for o in cell.get("outputs", []) if not is_figure(o)
        )
        return text * cell_scale(cell) + figures + frame
    return 0.0


def image_cap(cell) -> float:
    """The height the build allows a prose cell's images (FIGURE_HEIGHT unless it lowered it
    to keep the slide's next cell beside them: scripts/slidefit.py)."""
    return float(cell.metadata.get("deck", {}).get("image_height", FIGURE_HEIGHT))


def figures_height(cell) -> float:
    """The height a code cell's figures take: one above the other, or in rows (figure_row)."""
    outputs = cell.get("outputs", [])
    if not cell.metadata.get("deck", {}).get("figure_row"):
        return sum(output_height(o) for o in outputs if is_figure(o))
    return sum(max(figure_height(o) for o in row) + FIGURE_MARGIN for row in figure_rows(outputs))


def figure_rows(outputs: list) -> list[list]:
    """The figures as the browser packs them side by side: in order, a row full when the next
    one would not fit ROW_WIDTH; an output that is not a figure takes a row of its own."""
    rows: list[list] = []
    width = ROW_WIDTH  # of the current row so far: full, so the first figure opens a row
    for output in outputs:
        if not is_figure(output):
            width = ROW_WIDTH
            continue
        wide = figure_height(output) / max(figure_ratio(output.get("data", {})), 0.05)
        if rows and width + ROW_GAP + wide <= ROW_WIDTH:
            rows[-1].append(output)
            width += ROW_GAP + wide
        else:
            rows.append([output])
            width = min(wide, ROW_WIDTH)
    return rows


def cell_scale(cell) -> float:
    """The font scale the build chose for a cell that is shown smaller to fit (1 otherwise)."""
    return float(cell.metadata.get("deck", {}).get("scale", 1.0))


def is_figure(output) -> bool:
    return any(m in output.get("data", {}) for m in FIGURE_MIMES)


def input_height(cell) -> float:
    """The code box of a code cell (0 when the input is hidden)."""
    if cell.metadata.get("transient", {}).get("remove_source") or not cell.source.strip():
        return 0.0
    return code_height(cell.source) + CELL_GAP


def output_height(output) -> float:
    """One output: a text box, or a figure at the height the deck will draw it."""
    if output.output_type == "stream":
        return code_height(output.text)
    if output.output_type == "error":
        return code_height("\n".join(output.traceback))
    data = output.get("data", {})
    if is_figure(output):
        return figure_height(output) + FIGURE_MARGIN
    if "text/plain" in data:
        return code_height(data["text/plain"])
    return 0.0


def code_height(text: str) -> float:
    """A box of monospaced lines, long lines wrapped."""
    lines = text.rstrip("\n").split("\n")
    rows = sum(max(1, math.ceil(len(line.expandtabs(4)) / CODE_CHARS)) for line in lines)
    return rows * CODE_LINE + BOX_PADDING


def figure_height(output) -> float:
    """The height the deck draws a figure at: the one the build chose, or its natural one."""
    chosen = output.get("metadata", {}).get("deck", {}).get("height")
    return float(chosen) if chosen else natural_figure_height(output)


def natural_figure_height(output) -> float:
    """A figure's height when drawn FIGURE_WIDTH wide, capped at FIGURE_HEIGHT."""
    ratio = figure_ratio(output.get("data", {}))
    return min(FIGURE_HEIGHT, FIGURE_WIDTH * ratio)


def figure_ratio(data) -> float:
    """Height over width of a figure, from the SVG's size or the PNG header; 0.5 if unknown."""
    svg = data.get("image/svg+xml")
    if svg:
        size = SVG_SIZE.search(svg if isinstance(svg, str) else "".join(svg))
        if size and float(size.group(1)) > 0:
            return float(size.group(2)) / float(size.group(1))
    png = data.get("image/png")
    if png:
        header = b64decode(png[:64] if isinstance(png, str) else "".join(png)[:64])
        if header[12:16] == b"IHDR":
            width, height = struct.unpack(">II", header[16:24])
            return height / width if width else 0.5
    return 0.5


def markdown_height(source: str, image_cap: float = FIGURE_HEIGHT) -> float:
    """Prose: headings, paragraphs, list items, table rows, display math, fenced code, images."""
    return sum(markdown_parts(source, image_cap))


def markdown_parts(source: str, image_cap: float = FIGURE_HEIGHT) -> tuple[float, float]:
    """The prose's height as (text, images): a smaller font shrinks only the first."""
    height, images, previous = 0.0, 0.0, ""
    for kind, text in markdown_blocks(source):
        if kind == "item" and previous != "item":
            height += LIST_GAP
        if kind == "image":
            images += min(image_cap, float(text)) + FIGURE_MARGIN
        else:
            height += _block_height(kind, text)
        previous = kind
    return height + (LIST_GAP if previous == "item" else 0.0), images


def markdown_chunks(source: str) -> list[tuple[str, str]]:
    """The markdown's blocks as (kind, source text), where a slide may be cut between them.

    markdown-it finds the blocks and their lines: each top-level block, and each item of a
    top-level list. Kinds: heading, item, table, fence (code), html (raw HTML or display math),
    rule (`---`), paragraph (a blockquote counts as one). join_chunks puts them back together.
    """
    lines = source.split("\n")
    chunks = []
    for token in _MARKDOWN.parse(source):
        block = token.level == 0 and token.type not in ("bullet_list_open", "ordered_list_open")
        item = token.level == 1 and token.type == "list_item_open"
        if token.map is None or token.nesting == -1 or not (block or item):
            continue
        first, last = token.map
        text = "\n".join(lines[first:last]).strip("\n")
        chunks.append((BLOCK_KINDS.get(token.type, "paragraph"), text))
    return chunks


def join_chunks(chunks: list[tuple[str, str]]) -> str:
    """Markdown from chunks: list items stay one list, other blocks are paragraphs apart."""
    text = ""
    for index, (kind, chunk) in enumerate(chunks):
        if index:
            text += "\n" if kind == "item" and chunks[index - 1][0] == "item" else "\n\n"
        text += chunk
    return text


def markdown_blocks(source: str) -> list[tuple[str, str]]:
    """The markdown as (kind, text) blocks: h1/h2/h3, paragraph, item, row, math, code."""
    source = DISPLAY_MATH.sub(lambda m: f"\n\n\x00math {m.group(1)}\n\n", source)
    source = INLINE_MATH.sub(lambda m: "x" * round(float(m.group(1)) * 2.2), source)
    source = PROSE_IMAGE.sub(lambda m: f"\n\n\x00image {prose_image_height(m)}\n\n", source)
    blocks: list[tuple[str, str]] = []
    fence: list[str] | None = None
    for line in source.split("\n"):
        stripped = line.strip()
        if fence is not None:  # inside ``` ... ```: collect code lines until the fence closes
            if stripped.startswith(("```", "~~~")):
                blocks.append(("code", "\n".join(fence)))
                fence = None
            else:
                fence.append(line)
        elif stripped.startswith(("```", "~~~")):
            fence = []
        elif not stripped or (stripped.startswith("|") and set(stripped) <= set("|-: ")):
            blocks.append(("blank", ""))
        elif stripped.startswith("\x00math"):
            blocks.append(("math", stripped.split()[1]))
        elif stripped.startswith("\x00image"):
            blocks.append(("image", stripped.split()[1]))
        elif HEADING.match(stripped):
            hashes, text = HEADING.match(stripped).groups()
            blocks.append((f"h{min(len(hashes), 3)}", text))
        elif LIST_ITEM.match(line):
            blocks.append(("item", LIST_ITEM.sub("", line)))
        elif stripped.startswith("|"):
            blocks.append(("row", stripped))
        elif blocks and blocks[-1][0] in ("paragraph", "item"):
            blocks[-1] = (blocks[-1][0], f"{blocks[-1][1]} {stripped}")  # the same paragraph
        else:
            blocks.append(("paragraph", stripped))
    return [b for b in blocks if b[0] != "blank"]


def prose_image_height(match: re.Match) -> float:
    """The height deck.css draws a prose image at: FIGURE_WIDTH wide, FIGURE_HEIGHT at most."""
    mime = match["mime"] or match["hmime"]
    data = match["data"] or match["hdata"]
    return round(min(FIGURE_HEIGHT, FIGURE_WIDTH * image_ratio(mime, data)), 1)


def image_ratio(mime: str, data: str) -> float:
    """Height over width of a base64 image of any kind the prose may show; 0.75 if unknown."""
    if mime in ("image/png", "image/svg+xml"):
        text = data if mime == "image/png" else b64decode(data).decode("utf-8", "replace")
        ratio = figure_ratio({mime: text})
        return ratio if ratio != 0.5 or mime == "image/png" else _viewbox_ratio(text)
    raw = b64decode(data[:65536])  # a JPEG's size may follow its metadata: read 48 kB
    if mime == "image/gif" and raw[:3] == b"GIF":
        width, height = struct.unpack("<HH", raw[6:10])
        return height / width if width else 0.75
    if mime == "image/jpeg":
        return _jpeg_ratio(raw)
    return 0.75


def _viewbox_ratio(svg: str) -> float:
    box = re.search(r'viewBox="[\d.\s-]*?\s([\d.]+)[\s,]+([\d.]+)"', svg)
    return float(box[2]) / float(box[1]) if box and float(box[1]) else 0.75


def _jpeg_ratio(raw: bytes) -> float:
    """From the first start-of-frame marker's size fields."""
    index = 2
    while index + 9 < len(raw):
        if raw[index] != 0xFF:
            index += 1
            continue
        marker = raw[index + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3):
            height, width = struct.unpack(">HH", raw[index + 5 : index + 9])
            return height / width if width else 0.75
        index += 2 + struct.unpack(">H", raw[index + 2 : index + 4])[0]
    return 0.75


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def _block_height(kind: str, text: str) -> float:
    chars = len(MARKUP.sub("", text).strip()) or 1
    if kind in ("h1", "h2", "h3"):
        line_px, per_line, margin = HEADINGS[int(kind[1])]
        return math.ceil(chars / per_line) * line_px + margin
    if kind == "item":
        return math.ceil(chars / (TEXT_CHARS - 3)) * TEXT_LINE
    if kind == "row":
        return TABLE_ROW
    if kind == "math":
        return float(text) * 30.0 + 24.0
    if kind == "code":
        return code_height(text) + PARAGRAPH_GAP
    return math.ceil(chars / TEXT_CHARS) * TEXT_LINE + PARAGRAPH_GAP
