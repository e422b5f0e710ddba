"""Slide cuts and the self-contained reveal.js deck (nbconvert's reveal exporter, local assets).

Where the cuts fall when content runs over a slide is scripts/slidefit.py's job.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import html
import io
import json
import re

import fontTools
import nbformat
from fontTools import subset
from nbconvert.filters import Highlight2HTML
from nbformat.v4 import new_markdown_cell

from . import assets, nbhtml
from .config import CourseConfig
from .deckfonts import fallback_font_css
from .editions import tags
from .files import write_atomic
from .lesson import LessonInfo
from .slideheight import CODE_CHARS, join_chunks, markdown_chunks

HEADING = re.compile(r"^\s*#{1,2}\s")  # `#` or `##` opens a slide; `###` does not
SLIDE_HEADING = re.compile(r"^\s*(#{1,2})\s+(.+?)\s*$", re.MULTILINE)
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
LEAD_CHARS = 320  # a title slide's lead: about four lines under the title, the topics, ...
# What makes prose more than a lead: an image, displayed math, a table, a code block.
NOT_LEAD = re.compile(r"!\[|<img|\$\$|^\s*\||^\s*(```|~~~)", re.MULTILINE)
PEP8_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")  # two or more blank lines in a row
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
    "pdfSeparateFragments": False,  # a printed slide shows all its steps, on one page
}
# reveal.js plugins inside every deck (global name, file in node_modules): speaker view (S),
# search (Ctrl+Shift+F) and zoom (Alt+click); scripts/templates/deck/deck.js adds the rest.
PLUGINS = {
    "RevealNotes": "reveal.js/plugin/notes/notes.js",
    "RevealSearch": "reveal.js/plugin/search/search.js",
    "RevealZoom": "reveal.js/plugin/zoom/zoom.js",
}
# The code font, embedded so code looks the same on every lecturer's laptop; only the scripts
# code uses (Latin, Greek, Cyrillic, punctuation, arrows, maths, box drawing).
MONO_FONTS = {
    400: "@expo-google-fonts/noto-sans-mono/400Regular/NotoSansMono_400Regular.ttf",
    700: "@expo-google-fonts/noto-sans-mono/700Bold/NotoSansMono_700Bold.ttf",
}
MONO_UNICODES = (
    "U+0020-024F,U+0370-03FF,U+0400-04FF,U+2000-206F,U+2190-21FF,U+2200-22FF,U+2500-259F"
)
FONT_CACHE = assets.NODE_MODULES / ".cache" / "course"  # where npm's tools keep theirs too


def cut_slides(
    notebook: nbformat.NotebookNode, info: LessonInfo, config: CourseConfig, edition: str = ""
) -> nbformat.NotebookNode:
    """Give every cell a slide type (author's choice wins) and open with a title slide.

    `edition` names a deck other than the lecturer's on its title slide (e.g. the student's).
    """
    deck = copy.deepcopy(notebook)
    cells, heading, previous, authored = [], "", None, set()
    for cell in _split_at_headings(deck.cells):
        chosen = cell.metadata.get("slideshow", {}).get("slide_type")
        if chosen in SLIDE_TYPES:
            authored.add(id(cell))
        if cell.cell_type == "markdown" and SLIDE_HEADING.search(cell.source):
            heading = SLIDE_HEADING.search(cell.source).group(2)
        if chosen not in SLIDE_TYPES and _opens_solution(cell, previous):
            cells.append(solution_heading(heading))  # a solution follows its task, on its own
            chosen = "-"
        if chosen not in SLIDE_TYPES:
            opens = cell.cell_type == "markdown" and HEADING.match(cell.source)
            chosen = "slide" if opens or previous is None else "-"  # not on the title slide
        cell.metadata.setdefault("slideshow", {})["slide_type"] = chosen
        if cell.cell_type == "code" and not cell.metadata.get("steps"):  # steps count lines
            cell.source = PEP8_BLANKS.sub("\n\n", cell.source).strip("\n")  # one blank is enough
        cells.append(cell)
        if chosen not in ("notes", "skip"):
            previous = cell
    _lead_on_title_slide(cells, authored)
    deck.cells = [title_slide(info, config, edition), *cells]
    return deck


def _lead_on_title_slide(cells: list, authored: set) -> None:
    """A few lines of prose before the lesson's first heading (a notebook's opening
    paragraph, under its title cell) join the title slide as its lead: alone they would make
    a near-empty slide. Only plain, short prose that the author gave no slide type, and only
    when a heading follows it (in a lesson without headings, prose introduces its code)."""
    lead = []
    for cell in cells:
        if _slide_type(cell) in ("notes", "skip"):
            continue
        if cell.cell_type != "markdown" or HEADING.match(cell.source):
            break
        lead.append(cell)
    last = next((i for i, c in enumerate(cells) if lead and c is lead[-1]), len(cells))
    after = cells[last + 1 : last + 2]
    if (
        not after
        or not (after[0].cell_type == "markdown" and HEADING.match(after[0].source))
        or sum(len(c.source) for c in lead) > LEAD_CHARS
        or any(NOT_LEAD.search(c.source) or tags(c) for c in lead)
        or any(id(c) in authored for c in lead)
    ):
        return
    for cell in lead:
        cell.metadata["slideshow"]["slide_type"] = "-"
        cell.metadata["tags"] = ["title-lead"]


def _slide_type(cell) -> str | None:
    return cell.metadata.get("slideshow", {}).get("slide_type")


def title_slide(info: LessonInfo, config: CourseConfig, edition: str = "") -> nbformat.NotebookNode:
    """The opening slide: course, lesson number and title, version, date, author, topics."""
    stamp = f"Version {html.escape(info.version)} · {html.escape(info.date)}"
    if edition:
        stamp += f" · {html.escape(edition)}"
    course = html.escape(config.title)
    if config.subtitle:
        course += f' <span class="subtitle">{html.escape(config.subtitle)}</span>'
    author = f'<p class="author">{html.escape(config.author)}</p>' if config.author else ""
    topics = "".join(f"<li>{html.escape(t)}</li>" for t in info.summary)
    cell = new_markdown_cell(
        f'<div class="title-slide"><p class="course">{course}</p>'
        f'<p class="lesson-number">Lesson {html.escape(info.number)}</p>'
        f"<h1>{html.escape(info.title)}</h1>"
        f'<p class="stamp">{stamp}</p>'
        f'{author}<ul class="topics">{topics}</ul></div>'
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


def slide_count(deck: nbformat.NotebookNode) -> int:
    """How many slides (horizontal and vertical) the deck will show."""
    return sum(
        1
        for c in deck.cells
        if c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide")
    )


def render_deck(deck: nbformat.NotebookNode, info: LessonInfo, config: CourseConfig) -> str:
    """The deck as one HTML file with reveal.js, its theme, plugins, fonts and images inside."""
    exporter = nbhtml.exporter("slides", "deck", highlight_for_deck)
    shown = json.dumps([deck.cells, info.title, str(config)], ensure_ascii=False)
    resources = {
        "deck": {
            "title": info.title,
            "stamp": f"{config.title} · {info.name} · v{info.version} · {info.date}",
            "config": REVEAL_CONFIG,
            "slide_count": slide_count(deck),
            "reveal_css": assets.inline_css("reveal.js/dist/reveal.css"),
            "theme_css": assets.inline_css("reveal.js/dist/theme/white-contrast.css"),
            "fonts_css": mono_font_css() + fallback_font_css(shown),
            "deck_css": assets.template_css("deck.css"),
            "reveal_js": assets.inline_js("reveal.js/dist/reveal.js"),
            "plugins_js": [assets.inline_js(path) for path in PLUGINS.values()],
            "plugins": list(PLUGINS),
            "deck_js": assets.template_js("deck.js"),
        },
        "lesson": {"title": info.title, "version": info.version, "date": info.date},
    }
    body, _ = exporter.from_notebook_node(deck, resources=resources)
    return body


def highlight_for_deck(source: str, language: str | None = None, metadata=None) -> str:
    """nbconvert's highlighting, each line a block of its own: walk-through steps pick lines
    by number, and a wrapped line continues with a hanging indent, as in the handout."""
    # Of a cell's metadata, nbconvert's highlighter reads only the language of a %%magic cell.
    return _highlight_lines(source, language, (metadata or {}).get("magics_language"))


@functools.lru_cache(maxsize=nbhtml.HIGHLIGHT_CACHE)
def _highlight_lines(source: str, language: str | None, magics_language: str | None) -> str:
    """Cached: `course watch` renders the deck again on every save, most cells unchanged."""
    metadata = {"magics_language": magics_language} if magics_language else None
    page = _HIGHLIGHT(source, language=language, metadata=metadata)
    head, rest = page.split("<pre>", 1)
    body, tail = rest.rsplit("</pre>", 1)
    lines = body.removesuffix("\n").split("\n")  # pygments closes its spans at each line end
    blocks = []
    for line in lines:
        text = html.unescape(re.sub(r"<[^>]+>", "", line))
        style = ""
        if len(text) > CODE_CHARS:
            hang = len(text) - len(text.lstrip(" ")) + 4
            style = f' style="padding-left: {hang}ch; text-indent: -{hang}ch"'
        blocks.append(f'<span class="line"{style}>{line or " "}</span>')
    return f"{head}<pre>{''.join(blocks)}</pre>{tail}"


_HIGHLIGHT = Highlight2HTML(pygments_lexer="ipython3")


@functools.cache
def mono_font_css() -> str:
    """@font-face rules for "Deck Mono": Noto Sans Mono, subset and inlined as WOFF.

    WOFF rather than WOFF2: brotli took 0.5 s of every build process's first deck, to save
    35 KB in a 1.3 MB file that is opened from disk. The subsetting itself took 0.5-0.8 s of
    every build process's and pool worker's first deck, so it is done once and kept beside the
    fonts (FONT_CACHE), under a name that changes with the fonts, the characters kept and
    fontTools' version. Nothing in it comes from a lesson: every course shares it.
    """
    stored = FONT_CACHE / f"deck-mono-{_mono_font_key()}.css"
    if stored.is_file():
        return stored.read_text(encoding="utf-8")
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
    css = "\n".join(rules)
    try:
        write_atomic(stored, css)
    except OSError:
        pass  # a tool installed read-only: subset in each process, as before
    return css


def _mono_font_key() -> str:
    digest = hashlib.sha256(f"{fontTools.version} {MONO_UNICODES}".encode())
    for weight, relative in MONO_FONTS.items():
        digest.update(f"{weight} ".encode() + assets.vendored(relative).read_bytes())
    return digest.hexdigest()[:16]


def _opens_solution(cell, previous) -> bool:
    """The first cell of a solution, unless the author gave it a heading of its own."""
    titled = cell.cell_type == "markdown" and HEADING.match(cell.source)
    after_task = previous is not None and "solution" not in tags(previous)
    return "solution" in tags(cell) and after_task and not titled


def _split_at_headings(cells: list):
    """Each markdown cell cut before every `#`/`##` heading inside it: a heading opens a slide."""
    for cell in cells:
        if cell.cell_type != "markdown":
            yield cell
            continue
        chunks = markdown_chunks(cell.source)
        starts = [
            i
            for i, (kind, text) in enumerate(chunks)
            if i and kind == "heading" and HEADING.match(text)
        ]
        if not starts:
            yield cell
            continue
        bounds = zip([0, *starts], [*starts, len(chunks)], strict=True)
        for number, (begin, end) in enumerate(bounds):
            part = copy.deepcopy(cell)
            part.source = join_chunks(chunks[begin:end])
            if number:
                part["id"] = f"{cell.get('id', 'cell')}-h{number}"[-64:]
                part.metadata.pop("slideshow", None)  # the heading cuts, as in a cell of its own
            yield part
