"""The handout's contents list: an entry per `#`/`##` heading and the page it starts on.

A long list is set in two columns on the cover. CSS columns would do that, but WeasyPrint
balances them by laying the list out again at trial heights, each time the cover is laid out
(three times while the page numbers settle). So the list is split here, by the lines its
entries take, into two floated lists; WeasyPrint lays each out once. A float that does not
fit on its page is cut off, though, so a list too long for the cover is left to CSS columns,
which run on to the next page; and `lost_from_cover` checks the laid-out cover, so that an
entry is never lost when the estimate is wrong.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

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
            f'<span class="toc-text">{self.text}</span>'
            f'<span class="toc-page" data-target="#{self.anchor}"></span></a></li>'
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


def _flowing(entries: list[Entry]) -> str:
    return f'<ol class="columns">{_items(entries)}</ol>'


def _items(entries: list[Entry]) -> str:
    return "".join(entry.html() for entry in entries)


def _lines(entries: list[Entry]) -> int:
    return sum(entry.lines() for entry in entries)
