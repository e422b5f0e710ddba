"""Printable handouts: nbconvert HTML with print CSS, laid out as PDF by WeasyPrint."""

from __future__ import annotations

import contextlib
import datetime
import functools
import gc
import multiprocessing.util
import os
import re

import nbformat
from pygments import highlight
from pygments.filter import Filter
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Operator, String, Text
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from . import assets, contents, nbhtml, pdfua, uasheet
from .config import CourseConfig
from .exercises import add_tag, number_exercises
from .lesson import LessonInfo
from .slideheight import SVG_SIZE, is_figure

DEFAULT_CONFIG = CourseConfig()

EDITION_LABELS = {"worked": "Worked edition (with solutions)", "student": "Student edition"}
LONG_CODE_LINE = 84  # characters; a handout's code box holds about 90 (8.6 pt mono on A4)
SHORT_CELL_LINES = 30  # a code cell (input and output) up to this many lines stays on one page
# Two figures to a row share the text's width (170 mm on A4, less a gap): a figure up to this
# wide prints there at 3/4 of its own size or more.
PAIRED_WIDTH_MM = 110
TOC_NAV = re.compile(r'\s*<nav class="toc">.*?</nav>', re.DOTALL)  # the cover's contents
# The two places our handout template (templates/handout/index.html.j2) leaves for this module:
# where the cells start, and the contents list, which is known only once nbconvert has written
# the headings. Passed to the template, so that both sides name the same strings.
BODY_START = "<main>"
CONTENTS_SLOT = "<!-- contents: filled in by scripts/handout.py -->"


def render_handout_html(
    notebook: nbformat.NotebookNode,
    info: LessonInfo,
    edition: str,
    config: CourseConfig = DEFAULT_CONFIG,
) -> str:
    """The handout as HTML for print: cover, contents, cells, footer stamp."""
    number_exercises(notebook, edition)  # "Exercise 2", its answer box and its solution
    _mark_short_cells(notebook)
    _keep_prose_with_code(notebook)
    _pair_small_figures(notebook)
    exporter = nbhtml.exporter("html", "handout", highlight_for_print)
    resources = {"handout": _handout_facts(info, edition, config)}
    page, _ = exporter.from_notebook_node(notebook, resources=resources)
    # The cells come after BODY_START, so the cover's own headings are never numbered.
    cover, body = page.split(BODY_START, 1)
    body, entries = contents.number_headings(body)
    if f"<ol>{CONTENTS_SLOT}</ol>" not in cover:  # the template lost its slot: say so, loudly
        raise RuntimeError("templates/handout/index.html.j2 has no contents slot")
    if not entries:  # a lesson without headings: no "Contents" title over an empty list
        cover = TOC_NAV.sub("", cover, count=1)
    listed = contents.contents_list(entries) if entries else ""
    return cover.replace(f"<ol>{CONTENTS_SLOT}</ol>", listed, 1) + BODY_START + body


def write_pdf(
    page_html: str, info: LessonInfo, edition: str, config: CourseConfig = DEFAULT_CONFIG
) -> bytes:
    """Lay out the handout HTML as a PDF (bytes; the caller writes them atomically)."""
    _require_fonts(assets.NODE_MODULES)
    cjk = bool(CJK_TEXT.search(page_html))
    fonts = _font_configuration(cjk)
    stamp_css = _stamp_css(info, edition, config)
    stylesheet = CSS(string=stamp_css, font_config=fonts, base_url=str(assets.TEMPLATES / "css"))
    stylesheets = [stylesheet, *([CSS(string=_cjk_faces_css(), font_config=fonts)] if cjk else [])]
    # No footnote or note styles for every element when the page has none (uasheet.py).
    user_agent = uasheet.user_agent_sheets(page_html, stamp_css)
    lay_out = functools.partial(
        _lay_out, stylesheets=stylesheets, fonts=fonts, user_agent=user_agent
    )
    # The contents' page numbers from the last render's record, when there is one (contents.py).
    document, numbers = _lay_out_numbered(page_html, lay_out)
    if contents.lost_from_cover(document, page_html):  # rare: the estimate let a float run over
        page_html = contents.as_flowing_columns(page_html)
        document, numbers = _lay_out_numbered(page_html, lay_out)
    document = contents.verified(document, page_html, numbers, lay_out)
    pdfua.mark_page_furniture(document)
    # Tagged PDF/UA-1; WeasyPrint's variant sets the PDF version but not the tags (pdf_tags
    # defaults to False, not None), so both are given. The identifier is the lesson's stem,
    # not a hash of the time, so two builds of the same commit are byte-identical.
    with _fonts_dated(info.date):
        return document.write_pdf(
            pdf_identifier=info.stem.encode(), pdf_variant=pdfua.VARIANT, pdf_tags=True
        )


@contextlib.contextmanager
def _fonts_dated(day: str):
    """Subset fonts stamped with the lesson's date (`day`, ISO), not the second they were saved.

    Where HarfBuzz's subsetter is missing, WeasyPrint subsets with fontTools, which writes the
    time of saving into each font's `head` table: two builds of the same lesson a second apart
    differed. fontTools takes SOURCE_DATE_EPOCH, the reproducible-builds convention, instead;
    one the caller set is kept."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    midnight = datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(midnight.timestamp()))
    try:
        yield
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]


# The faces handout.css declares, by their path under node_modules.
FONT_FACE_URL = re.compile(r'url\("\.\./\.\./\.\./node_modules/([^"]+)"\)')


@functools.lru_cache(maxsize=1)
def _require_fonts(node_modules) -> None:
    """Every face the handout's stylesheet declares is installed, or MissingAsset with the fix.

    WeasyPrint itself only warns about a font it cannot load and lays the page out in the
    system's fonts instead: a handout in DejaVu Sans, built without a word of error."""
    for relative in FONT_FACE_URL.findall(assets.template_css("handout.css")):
        assets.vendored(relative)


def _lay_out_numbered(page_html: str, lay_out):
    numbered_html, numbers = contents.numbered(page_html)
    return lay_out(numbered_html), numbers


def _lay_out(
    page_html: str, stylesheets: list[CSS], fonts: FontConfiguration, user_agent: list[CSS]
):
    # Everything the page shows is inline (figures and math as data); CSS urls resolve above.
    page = uasheet.PrintHTML(
        string=page_html, base_url=str(assets.TEMPLATES), user_agent_sheets=user_agent
    )
    return page.render(stylesheets=stylesheets, font_config=fonts, pdf_tags=True)


# This process's font configurations, by "has CJK text". One serves every handout the process
# lays out: a new one per PDF loaded the system's fonts again (about 0.1 s) and left about
# 0.3 MB behind in fontconfig and Pango, so a worker that laid out 40 handouts held 30 MB more
# than one that laid out two. A handout with CJK text gets one of its own, so that the CJK
# faces never become another handout's fallback font: a PDF's bytes do not depend on what its
# process laid out before (tests/test_handout.py).
_FONTS: dict[bool, FontConfiguration] = {}
# Which of them this process made, and so deletes as it ends. A forked worker lays out with its
# parent's too: faces loaded and Pango's caches filled where watch's process has laid out a
# handout (1.3 % of the instructions of lesson 01's handout, and no system font scan). But it
# never deletes them: the font files they point at are the parent's, which WeasyPrint deletes
# when a configuration is collected; so a process drops only its own, and they stay in _FONTS.
_OWN: set[bool] = set()


def _font_configuration(cjk: bool) -> FontConfiguration:
    if cjk not in _FONTS:
        if not _OWN:  # the files WeasyPrint wrote go when the process ends (pool workers too)
            multiprocessing.util.Finalize(None, _drop_fonts, exitpriority=0)
        _FONTS[cjk] = FontConfiguration()
        _OWN.add(cjk)
    return _FONTS[cjk]


def _drop_fonts() -> None:
    for cjk in _OWN:
        _FONTS.pop(cjk, None)
    _OWN.clear()
    gc.collect()  # a configuration sits in reference cycles: only a collection deletes it


def _borrow_parents_fonts() -> None:
    _OWN.clear()  # the parent's configurations: used here, never dropped here


os.register_at_fork(after_in_child=_borrow_parents_fonts)


# Han, kana, Hangul, CJK punctuation and full-width forms.
CJK_TEXT = re.compile(
    "[\u2e80-\u303f\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
CJK_FACES = (  # Noto Sans SC for Han and kana; KR for Hangul, which SC lacks
    ("Course CJK", 400, "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf"),
    ("Course CJK", 700, "@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf"),
    ("Course Hangul", 400, "@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf"),
    ("Course Hangul", 700, "@expo-google-fonts/noto-sans-kr/700Bold/NotoSansKR_700Bold.ttf"),
)


@functools.cache
def _cjk_faces_css() -> str:
    """Noto Sans SC and KR, for a handout with Chinese, Japanese or Korean text only."""
    return "".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
        f'src: url("{assets.vendored(path).as_uri()}"); }}'
        for family, weight, path in CJK_FACES
    )


class _InkOnly(Filter):
    """Keywords, strings and comments keep their token type; everything else becomes text."""

    def filter(self, lexer, stream):
        for kind, value in stream:
            yield _PRINT_KINDS.get(_top_kind(kind), Text), value


_PRINT_KINDS = {Keyword: Keyword, Operator.Word: Keyword, String: String, Comment: Comment}


def _top_kind(kind):
    while kind.parent is not None and kind not in _PRINT_KINDS:
        kind = kind.parent
    return kind


def highlight_for_print(source: str, language: str | None = None, metadata=None) -> str:
    """Code for paper: keywords bold, comments italic, strings tinted, the rest plain text.

    Pygments wraps every name, operator and bracket in its own span, and each span is a box
    WeasyPrint lays out: about 40% of a handout's layout time went on spans that printed no
    differently from plain text. Merging them keeps the print style and drops that cost.
    """
    return _print_highlight(source, language or "ipython3")


@functools.lru_cache(maxsize=nbhtml.HIGHLIGHT_CACHE)
def _print_highlight(source: str, language: str) -> str:
    """Cached: the worked and student handouts share most cells, and watch renders again."""
    lexer = get_lexer_by_name(language)
    lexer.add_filter(_InkOnly())
    # The lines alone: the handout template's input box is the <pre> around them, and the
    # empty span pygments opens every block with is one more box to lay out.
    lines = highlight(source or " ", lexer, HtmlFormatter(nowrap=True))
    return _hang_long_lines(lines, source)


def _hang_long_lines(highlighted: str, source: str) -> str:
    """Long source lines as blocks with a hanging indent, so a wrapped line reads as one.

    Code wraps at the right margin; without this the rest of a line would start at the left
    edge, like a new statement. Its continuation is indented four columns past the line's
    own indentation instead. Only lines that may reach the margin get a block of their own.
    """
    lines = highlighted.split("\n")  # pygments closes its spans at each line end
    hung = set()
    # the lexer drops the source's leading and trailing newlines (pygments' `stripnl`)
    for number, text in enumerate(source.strip("\n").split("\n")[: len(lines) - 1]):
        if len(text) > LONG_CODE_LINE:
            hang = len(text) - len(text.lstrip(" ")) + 4
            style = f"padding-left: {hang}ch; text-indent: -{hang}ch"
            lines[number] = f'<span class="long-line" style="{style}">{lines[number]}</span>'
            hung.add(number)
    # a block ends its own line: the newline after it would add an empty one
    joined = "".join(line if n in hung else line + "\n" for n, line in enumerate(lines[:-1]))
    return joined + lines[-1]


def _handout_facts(info: LessonInfo, edition: str, config: CourseConfig) -> dict:
    return {
        "course": config.title,
        "subtitle": config.subtitle,
        "institution": config.institution,
        "licence": config.licence,
        "language": config.language,
        "logo": assets.data_uri(config.logo) if config.logo else "",
        "title": info.title,
        "version": info.version,
        "date": info.date,
        "summary": info.summary,
        "edition": edition,
        "edition_label": EDITION_LABELS[edition],
        "author": config.author,
        "subject": f"{config.title}: {info.title}, version {info.version} ({info.date}), "
        f"{edition} edition",
        "keywords": ", ".join(
            [config.title, info.name, f"v{info.version}", edition, *info.summary]
        ),
        "contents_slot": CONTENTS_SLOT,
        "body_start": BODY_START,
    }


def _stamp_css(info: LessonInfo, edition: str, config: CourseConfig) -> str:
    """The running header and footer: which lesson, version and date a printed page belongs to;
    and the course's heading colour."""
    stamp = _css_string(f"{info.title} · v{info.version} · {info.date}")
    label = _css_string(EDITION_LABELS[edition])
    return (
        assets.template_css("handout.css")
        + f"\n@page {{ @bottom-left {{ content: {stamp}; }} @top-right {{ content: {label}; }} }}"
        # handout.css blanks the first page's header; repeat it after the label rule above.
        + "\n@page :first { @top-right { content: none; } }\n"
        + f"h1, h2, h3 {{ color: {config.colours.heading}; }}\n"
    )


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _mark_short_cells(notebook: nbformat.NotebookNode) -> None:
    # A short cell split over two pages is hard to read; long ones must be allowed to break,
    # or a page would be left half empty. Figures count as many lines as they are tall.
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        code = len(cell.source.splitlines())
        tags = cell.metadata.setdefault("tags", [])
        if code + sum(_output_lines(o) for o in cell.get("outputs", [])) <= SHORT_CELL_LINES:
            tags.append("short-cell")
        elif code <= SHORT_CELL_LINES:
            tags.append("short-input")


def _keep_prose_with_code(notebook: nbformat.NotebookNode) -> None:
    # A few lines of prose that introduce a short cell belong on its page, not alone at the
    # foot of the one before.
    for prose, code in zip(notebook.cells, notebook.cells[1:], strict=False):
        short = "short-cell" in code.metadata.get("tags", [])
        if prose.cell_type == "markdown" and short and len(prose.source.splitlines()) <= 8:
            add_tag(prose, "keep-with-next")


def _pair_small_figures(notebook: nbformat.NotebookNode) -> None:
    # Small multiples (a plot per learning rate, say) print two to a row where each keeps at
    # least three quarters of its size, so its labels still read: fewer pages, and the plots
    # side by side to compare. Larger figures stay one to a row (handout.css).
    for cell in notebook.cells:
        figures = [o for o in cell.get("outputs", []) if is_figure(o)]
        if len(figures) > 1 and all(0 < _print_width_mm(o) <= PAIRED_WIDTH_MM for o in figures):
            add_tag(cell, "figure-pairs")


def _print_width_mm(output) -> float:
    """A figure's width on paper at its own size (an SVG's width; 0 when not known)."""
    svg = output.get("data", {}).get("image/svg+xml")
    size = SVG_SIZE.search(svg if isinstance(svg, str) else "".join(svg or []))
    if not size:
        return 0.0
    unit = "px" if re.search(r'width="[\d.]+px"', size.group(0)) else "pt"
    return float(size.group(1)) * (25.4 / 96 if unit == "px" else 25.4 / 72)


def _output_lines(output) -> int:
    if output.output_type == "stream":
        return len(output.text.splitlines())
    if output.output_type == "error":
        return len(output.traceback)
    data = output.get("data", {})
    if any(m.startswith("image/") for m in data):
        return 20  # a figure is about as tall as 20 lines of code
    return len(data.get("text/plain", "").splitlines())
