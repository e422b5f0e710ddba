"""The handout's contents list: an entry per `#`/`##` heading and the page it starts on.

A long list is set in two columns on the cover. CSS columns would do that, but WeasyPrint
balances them by laying the list out again at trial heights, each time the cover is laid out
(three times while the page numbers settle). So the list is split here, by the lines its
entries take, into two floated lists; WeasyPrint lays each out once. A float that does not
fit on its page is cut off, though, so a list too long for the cover is left to CSS columns,
which run on to the next page; and `lost_from_cover` checks the laid-out cover, so that an
entry is never lost when the estimate is wrong.

Each entry's page number is a `target-counter()`, which WeasyPrint knows only once the heading
is laid out: it lays the cover out again with the numbers, and a third time because the page
total changed (WeasyPrint 70): 5 % of lesson 01's worked handout (valgrind). Within
`pages_kept(...)`, the numbers the last render of the handout found are written into the
entries instead (`data-page`, which handout.css shows in place of the counter, so the PDF has
the same bytes), the cover is laid out once, and `verified(...)` checks each heading against
where it landed: where one moved (an edit long enough to push a heading onto another page),
the handout is laid out again with the numbers found. The numbers stand in a box of their
own, out of the flow, so they never move a heading. A first render, with no record, lets
WeasyPrint find the numbers as before; the record goes to
build/.cache/<lesson>.<edition>.contents.json once the render has succeeded.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .files import write_atomic

# A contents list this long is set in two columns: in one, the cover holds about 28 entries,
# and the rest would sit alone on a page of their own (handout.css: .toc-columns).
COLUMNS_FROM = 20
COLUMN_CHARS = 44  # an entry's characters on one line of a column (9.5 pt, half the text width)
# Lines a column may take and still fit on the cover below a long summary (it holds about 38
# below seven topics); a longer list is set in CSS columns, which run on to the next page.
COVER_COLUMN_LINES = 32

# nbconvert's HTML for a markdown `#`/`##` heading (its markdown renderer, mistune, writes
# the id from the text).
HEADING = re.compile(r'<h([12]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
FLOATED = re.compile(r'<div class="toc-columns"><ol>(.*?)</ol><ol>(.*?)</ol></div>', re.DOTALL)
FLOATED_TARGET = re.compile(r'<a href="#(sec-\d+)"')
# An entry's page number, left to WeasyPrint's target-counter (Entry.html), by its heading.
PAGE_SLOT = re.compile(r'<span class="toc-page" data-target="#([^"]+)"></span>')
PAGES_SUFFIX = ".contents.json"  # build/.cache/<lesson>.<edition>.contents.json


@dataclass(frozen=True)
class Entry:
    level: str  # "1" or "2"
    anchor: str  # sec-N
    text: str  # the heading's text, escaped for HTML

    def html(self) -> str:
        # The dotted leader is the link's background (handout.css), not a row of dots: a
        # screen reader reads the entry as its title and page, and WeasyPrint paints one
        # pattern instead of a glyph per dot.
        return (
            f'<li class="level-{self.level}"><a href="#{self.anchor}">'
            f'<span class="toc-text">{self.text}</span>{page_slot(self.anchor)}</a></li>'
        )

    def lines(self) -> int:
        """About how many lines the entry takes in a column (its title wraps)."""
        return 1 + (len(html.unescape(self.text)) - 1) // COLUMN_CHARS


def number_headings(body: str) -> tuple[str, list[Entry]]:
    """Give `#`/`##` headings plain ids (`sec-N`) and list them as contents entries."""
    # nbconvert's ids are the heading text, with quotes and `?` that break PDF links.
    entries: list[Entry] = []

    def renumber(match: re.Match) -> str:
        level, inner = match.group(1), match.group(3)
        anchor = f"sec-{len(entries) + 1}"
        text = html.escape(html.unescape(TAG.sub("", inner)).replace("¶", "").strip())
        entries.append(Entry(level, anchor, text))
        return f'<h{level} id="{anchor}">{inner}</h{level}>'

    return HEADING.sub(renumber, body), entries


def contents_list(entries: list[Entry]) -> str:
    """The list's HTML: one column, two floated ones, or CSS columns when it is long."""
    if len(entries) < COLUMNS_FROM:
        return f"<ol>{_items(entries)}</ol>"
    left, right = balanced_columns(entries)
    if max(_lines(left), _lines(right)) > COVER_COLUMN_LINES:
        return _flowing(entries)
    return f'<div class="toc-columns"><ol>{_items(left)}</ol><ol>{_items(right)}</ol></div>'


def balanced_columns(entries: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """Split where the two columns take the most even number of lines, the left one longer."""
    total = _lines(entries)

    def unevenness(split: int) -> tuple[int, bool]:
        left = _lines(entries[:split])
        return max(left, total - left), left < total - left

    split = min(range(1, len(entries)), key=unevenness)
    return entries[:split], entries[split:]


def lost_from_cover(document, page_html: str) -> bool:
    """Whether a floated contents list ran past the cover, where WeasyPrint cuts floats off."""
    match = FLOATED.search(page_html)
    if match is None:
        return False
    wanted = set(FLOATED_TARGET.findall(match.group(0)))
    shown = {target for kind, target, *_ in document.pages[0].links if kind == "internal"}
    return not wanted <= shown


def as_flowing_columns(page_html: str) -> str:
    """The page with its floated contents list set in CSS columns instead."""
    return FLOATED.sub(lambda m: f'<ol class="columns">{m.group(1)}{m.group(2)}</ol>', page_html)


@dataclass
class _PageRecord:
    known: dict[str, int]  # heading anchor → page, as the last render found them
    found: dict[str, int] = field(default_factory=dict)  # as this render found them


_record: _PageRecord | None = None  # within pages_kept()


@contextlib.contextmanager
def pages_kept(folder: Path, lesson: str, edition: str):
    """Lay contents lists out with the page numbers the last render of this handout found, and
    keep the ones this render finds if the block succeeds (see the module's docstring)."""
    global _record
    path = folder / f"{lesson}.{edition}{PAGES_SUFFIX}"
    _record = _PageRecord(known=_read_pages(path))
    try:
        yield
        if _record.found:
            with contextlib.suppress(OSError):  # a record not kept costs only time
                write_atomic(path, json.dumps(_record.found, sort_keys=True).encode())
    finally:
        _record = None


def numbered(page_html: str) -> tuple[str, dict[str, int]]:
    """The page with the record's page number in each contents entry, and those numbers; the
    page as it is and no numbers when there is no record or it lacks a heading of the page."""
    wanted = PAGE_SLOT.findall(page_html)
    known = _record.known if _record else {}
    if not wanted or not set(wanted) <= known.keys():
        return page_html, {}
    numbers = {anchor: known[anchor] for anchor in wanted}
    return with_page_numbers(page_html, numbers), numbers


def with_page_numbers(page_html: str, numbers: dict[str, int]) -> str:
    """Each contents entry with its page number written in (handout.css shows `data-page`)."""

    return PAGE_SLOT.sub(lambda match: page_slot(match[1], numbers[match[1]]), page_html)


def page_slot(anchor: str, page: int | None = None) -> str:
    """An entry's page number: WeasyPrint's counter for the heading `anchor` (handout.css),
    or `page` when the last render's record gives it (matched by PAGE_SLOT without one)."""
    written = "" if page is None else f' data-page="{page}"'
    return f'<span class="toc-page" data-target="#{anchor}"{written}></span>'


def verified(document, page_html: str, numbers: dict[str, int], lay_out: Callable):
    """`document`, laid out from `page_html` with `numbers` in its contents (none: WeasyPrint's
    counters), or, where a heading landed on another page, `page_html` laid out again with the
    pages found. The pages found are what pages_kept() keeps."""
    wanted = PAGE_SLOT.findall(page_html)
    landed = landed_pages(document, wanted)
    if numbers and landed != numbers:
        document = _laid_out_again(page_html, wanted, landed, lay_out)
        landed = landed_pages(document, wanted)
    if _record is not None:
        _record.found = landed
    return document


def _laid_out_again(page_html: str, wanted: list[str], landed: dict[str, int], lay_out):
    """The page numbered where each heading landed; WeasyPrint's own counters where a heading
    is on no page (not shown) or the numbers moved one (never seen)."""
    if landed.keys() == set(wanted):
        document = lay_out(with_page_numbers(page_html, landed))
        if landed_pages(document, wanted) == landed:
            return document
    return lay_out(page_html)


def landed_pages(document, anchors: list[str]) -> dict[str, int]:
    """The number of the page each anchor's element starts on (the page counter the handout
    shows: it counts every page from 1)."""
    wanted = set(anchors)
    landed: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in wanted.intersection(page.anchors):
            landed.setdefault(anchor, number)
    return landed


def _read_pages(path: Path) -> dict[str, int]:
    """The record at `path`; an empty one when it is missing or does not read as one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        anchor: page
        for anchor, page in data.items()
        if isinstance(anchor, str) and type(page) is int and page > 0
    }


def _flowing(entries: list[Entry]) -> str:
    return f'<ol class="columns">{_items(entries)}</ol>'


def _items(entries: list[Entry]) -> str:
    return "".join(entry.html() for entry in entries)


def _lines(entries: list[Entry]) -> int:
    return sum(entry.lines() for entry in entries)
