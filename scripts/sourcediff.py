"""What changed between two versions of a lesson, read from their sources (difflib, no JSON).

Both sources are read as cells with jupytext; cells are matched with difflib, then each
changed cell is compared on its own: prose word by word (as text), code line by line (a
unified diff). A solution cell's content is never shown: the diff only says that a worked
solution was added, removed or changed, since the site must give no solution away.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import jupytext

HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class Segment:
    """A piece of a changed cell: `same`, `del` or `ins` text (prose) or lines (code)."""

    kind: str
    text: str


@dataclass(frozen=True)
class CellChange:
    """One cell added, removed or changed, with where it sits (the slide heading above it)."""

    status: str  # added | removed | changed
    cell_type: str  # prose | code | solution
    where: str
    segments: tuple[Segment, ...] = ()
    retagged: str = ""  # "notes → handout-only": where the cell shows changed, not its text


@dataclass(frozen=True)
class SourceDiff:
    """Every change from one version's source to the next's."""

    header: tuple[str, ...] = ()  # "Title: old → new", "Topic added: ..."
    cells: tuple[CellChange, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.header and not self.cells


@dataclass(frozen=True)
class _Cell:
    kind: str  # prose | code | solution
    source: str
    where: str
    tags: tuple[str, ...] = ()  # decide where the cell shows: a change matters to students


def diff_sources(old_text: str, new_text: str) -> SourceDiff:
    """The changes from `old_text` to `new_text`, two lesson sources (percent format)."""
    old_meta, old_cells = _read(old_text)
    new_meta, new_cells = _read(new_text)
    cells = tuple(_cell_changes(old_cells, new_cells))
    return SourceDiff(tuple(_header_changes(old_meta, new_meta)), cells)


def _read(text: str) -> tuple[dict, list[_Cell]]:
    notebook = jupytext.reads(text.removeprefix("\ufeff"), fmt="py:percent")
    cells, where = [], "the start of the lesson"
    for cell in notebook.cells:
        found = HEADING.findall(cell.source) if cell.cell_type == "markdown" else []
        where = found[0].strip() if found else where
        tags = tuple(sorted(set(cell.metadata.get("tags", [])) - {"solution"}))
        cells.append(_Cell(_kind(cell), cell.source.strip("\n"), where, tags))
    return dict(notebook.metadata.get("lesson") or {}), cells


def _kind(cell) -> str:
    if "solution" in cell.metadata.get("tags", []):
        return "solution"
    return "prose" if cell.cell_type == "markdown" else "code"


def _header_changes(old: dict, new: dict) -> list[str]:
    changes = []
    if old.get("title") != new.get("title"):
        changes.append(f"Title: {old.get('title')} → {new.get('title')}")
    old_topics, new_topics = list(old.get("summary") or []), list(new.get("summary") or [])
    changes += [f"Topic removed: {t}" for t in old_topics if t not in new_topics]
    changes += [f"Topic added: {t}" for t in new_topics if t not in old_topics]
    return changes


def _cell_changes(old: list[_Cell], new: list[_Cell]):
    """Match cells by kind and text; pair up the cells of a replaced block in order."""
    keys = [(c.kind, c.source, c.tags) for c in old], [(c.kind, c.source, c.tags) for c in new]
    matcher = difflib.SequenceMatcher(None, *keys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before, after = old[i1:i2], new[j1:j2]
        for index in range(max(len(before), len(after))):
            a = before[index] if index < len(before) else None
            b = after[index] if index < len(after) else None
            yield from _compare(a, b)


def _compare(old: _Cell | None, new: _Cell | None):
    if old is not None and new is not None and old.kind != new.kind:
        yield from _compare(old, None)  # a prose cell became code: one out, one in
        yield from _compare(None, new)
        return
    cell = new or old
    status = "added" if old is None else "removed" if new is None else "changed"
    retagged = _retagged(old, new) if status == "changed" else ""
    if cell.kind == "solution":
        yield CellChange(status, "solution", cell.where, retagged=retagged)  # never its content
        return
    segments = ()
    if old is None or new is None or old.source != new.source:  # not only its tags changed
        compare = _prose_segments if cell.kind == "prose" else _code_segments
        segments = tuple(compare(old.source if old else "", new.source if new else ""))
    yield CellChange(status, cell.kind, cell.where, segments, retagged)


def _retagged(old: _Cell, new: _Cell) -> str:
    """ "notes → handout-only" when the tags changed, else ""."""
    if old.tags == new.tags:
        return ""
    return f"{', '.join(old.tags) or 'no tags'} → {', '.join(new.tags) or 'no tags'}"


def _prose_segments(old: str, new: str) -> list[Segment]:
    """Word by word, so a reworded sentence shows the words that changed, not two paragraphs."""
    a, b = WORDS.findall(old), WORDS.findall(new)
    segments = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(Segment("del", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(Segment("ins", "".join(b[j1:j2])))
    return segments


def _code_segments(old: str, new: str) -> list[Segment]:
    """A unified diff of the cell's lines, two lines of context; hunks apart show as a gap.

    The file header and the hunks' line numbers (counted within the cell) would only confuse.
    """
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=2, lineterm=""))[2:]
    kinds = {"+": "ins", "-": "del", " ": "same", "@": "gap"}
    segments = [Segment(kinds[line[0]], line[1:] if line[0] != "@" else "…") for line in lines]
    return segments[1:] if segments and segments[0].kind == "gap" else segments
