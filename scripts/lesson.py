"""Find lessons in sources/, read one with jupytext and check its header against the format."""

from __future__ import annotations

import ast
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CourseError, shown

if TYPE_CHECKING:
    import nbformat

FILE_NAME = re.compile(r"^(?P<number>\d\d)_(?P<slug>[a-z0-9]+(?:_[a-z0-9]+)*)\.py$")
VERSION = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)$")
HEADER_KEYS = ("title", "version", "date", "summary")
KNOWN_TAGS = frozenset(
    {
        "exercise",
        "solution",
        "check",
        "notes",
        "slides-only",
        "handout-only",
        "hide-input",
        "incremental",
    }
)
# Tags a notebook brings from Jupyter Book, nbsphinx or papermill: what to do instead here.
FOREIGN_TAGS = {
    "raises-exception": "a lesson runs to its end: show the error by catching it, "
    "`try: ... except ValueError as error: print(error)`",
    "remove-input": "use hide-input",
    "remove-cell": "every cell shows: tag it hide-input to show only its output, or delete it",
    "hide-cell": "every cell shows: tag it hide-input to show only its output, or delete it",
    "remove-output": "a cell shows what it prints: print less",
    "hide-output": "a cell shows what it prints: print less",
    "skip-execution": "every cell runs: delete it, or make it a prose cell",
    "parameters": "a lesson has no parameters: set the values in the code",
}
CELL_MARKER = re.compile(r"^# %%")
MAGIC_LINE = re.compile(r"^\s*[%!]")


class LessonError(CourseError):
    """A problem in a lesson source, reported as `path:line: what went wrong; what to do`."""

    def __init__(self, path: Path | str, line: int, problem: str, fix: str):
        super().__init__(f"{shown(Path(path))}:{line}", problem, fix)
        self.path, self.line = Path(path), line


@dataclass(frozen=True)
class LessonInfo:
    """The facts from a lesson's header, plus where its outputs go."""

    path: Path
    name: str  # NN_slug: names every output of the lesson
    number: str
    title: str
    version: str
    date: str
    summary: tuple[str, ...]
    changes: str = ""  # the author's one-line note on what this version changed (optional)

    @property
    def stem(self) -> str:
        """The versioned file stem every artifact shares, e.g. `02_minimal_learning_v1.2`."""
        return f"{self.name}_v{self.version}"


@dataclass
class Lesson:
    """A lesson read from its source: the header facts, the notebook, and each cell's lines."""

    info: LessonInfo
    notebook: nbformat.NotebookNode
    cell_lines: list[tuple[int, int]]  # 1-based first and last line of each cell in the .py
    # The bytes this was read from: the build records their hash, not the file's at the end,
    # so a save while the build runs (course watch) is never taken as built.
    source: bytes = b""
    # The files beside it that its prose shows or its code names, by path from its folder,
    # with their hashes: the build fills it in (scripts/images.py, scripts/lessonfiles.py) and
    # the manifest records it.
    files: dict[str, str] = field(default_factory=dict)


def read_lesson(path: Path) -> Lesson:
    """Read and validate one lesson source; raise LessonError naming the line at fault."""
    name = _check_file_name(path)
    raw = path.read_bytes()
    text = _decode(path, raw)
    _check_python_syntax(path, text)
    notebook = _jupytext().reads(text, fmt="py:percent")
    cell_lines = _cell_line_ranges(path, text, len(notebook.cells))  # percent format first
    info = _read_header(path, name, text, notebook.metadata)
    lesson = Lesson(info, notebook, cell_lines, raw)
    _check_no_magics(lesson)
    return lesson


def read_cells(path: Path) -> tuple[nbformat.NotebookNode, list[tuple[int, int]]]:
    """A source's cells and their line ranges, without the header checks (for the linter)."""
    text = _read_text(path)
    notebook = _jupytext().reads(text, fmt="py:percent")
    return notebook, _cell_line_ranges(path, text, len(notebook.cells))


def unknown_tags(lesson: Lesson) -> list[str]:
    """Warnings for tags the format does not define; the build goes on without them."""
    warnings = []
    for index, cell in enumerate(lesson.notebook.cells):
        for tag in cell.metadata.get("tags", []):
            if tag not in KNOWN_TAGS:
                first, _ = lesson.cell_lines[index]
                warnings.append(
                    f"{shown(lesson.info.path)}:{first}: unknown tag {tag!r} is ignored; "
                    f"{tag_advice(tag)}"
                )
    return warnings


def tag_advice(tag: str) -> str:
    """What to do about a tag the format does not define."""
    known = f"use one of {', '.join(sorted(KNOWN_TAGS))}"
    return f"{FOREIGN_TAGS[tag]} (another tool's tag; {known})" if tag in FOREIGN_TAGS else known


def header_line(path: Path, key: str) -> int:
    """The line of `key` (e.g. `version:`) in a source's header, for messages."""
    return _header_line(path.read_text(encoding="utf-8", errors="replace"), key)


def _check_file_name(path: Path) -> str:
    match = FILE_NAME.match(path.name)
    if not match:
        raise LessonError(
            path,
            1,
            f"file name {path.name!r} does not match NN_slug.py",
            "rename it to two digits, an underscore and lowercase words joined by _ "
            "(e.g. 05_loss_functions.py)",
        )
    return path.stem


def _jupytext():
    """jupytext, imported when a lesson is first read: it loads nbformat and jupyter_client,
    about half a second, which a build with nothing to do never needs."""
    import jupytext

    return jupytext


def _read_text(path: Path) -> str:
    return _decode(path, path.read_bytes())


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise LessonError(
            path,
            line,
            f"the file is not UTF-8 (byte {raw[error.start]:#04x})",
            "save it as UTF-8 in your editor",
        ) from None
    if not text.strip():
        raise LessonError(path, 1, "the file is empty", "start from `make new TITLE=...`")
    return text.removeprefix("\ufeff")  # a byte-order mark, as some Windows editors save


def _check_python_syntax(path: Path, text: str) -> None:
    try:
        ast.parse(text, filename=str(path))
    except SyntaxError as error:
        hint = "fix the Python on that line"
        stripped = (error.text or "").strip()
        if stripped.startswith(("pip ", "conda ", "!", "%")):
            hint = "shell commands and IPython magics cannot run as a script; remove the line"
        raise LessonError(path, error.lineno or 1, f"SyntaxError: {error.msg}", hint) from None


def _read_header(path: Path, name: str, text: str, metadata: dict) -> LessonInfo:
    if not text.startswith("# ---"):
        raise LessonError(
            path,
            1,
            "the lesson header is missing",
            "start the file with the `# ---` YAML header shown in sources/README.md",
        )
    lesson = metadata.get("lesson")
    if not isinstance(lesson, dict):
        raise LessonError(
            path,
            _header_line(text, "jupyter:"),
            "the header has no `lesson:` section",
            "add `lesson:` with title, version, date and summary under `jupyter:`",
        )
    for key in HEADER_KEYS:
        if key not in lesson or lesson[key] in (None, "", []):
            raise LessonError(
                path,
                _header_line(text, "lesson:"),
                f"header key `lesson.{key}` is missing",
                f"add `{key}:` under `lesson:` (see sources/README.md)",
            )
    return LessonInfo(
        path=path,
        name=name,
        number=name[:2],
        title=_check_title(path, text, lesson["title"]),
        version=_check_version(path, text, lesson["version"]),
        date=_check_date(path, text, lesson["date"]),
        summary=_check_summary(path, text, lesson["summary"]),
        changes=_check_changes(path, text, lesson.get("changes", "")),
    )


def _check_title(path: Path, text: str, title) -> str:
    if not isinstance(title, str):
        raise LessonError(
            path,
            _header_line(text, "title:"),
            "`lesson.title` is not text",
            'quote the title: title: "..."',
        )
    return title.strip()


def _check_version(path: Path, text: str, version) -> str:
    if not isinstance(version, str) or not VERSION.match(version):
        raise LessonError(
            path,
            _header_line(text, "version:"),
            f"`lesson.version` is {version!r}, not MAJOR.MINOR",
            'write it quoted, e.g. version: "1.0"',
        )
    return version


def _check_date(path: Path, text: str, date) -> str:
    problem = None
    if not isinstance(date, str):
        problem = f"`lesson.date` is {date!r}, not a quoted ISO date"
    else:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            problem = f"`lesson.date` is {date!r}, not an ISO date YYYY-MM-DD"
        else:
            if len(date) != 10:
                problem = f"`lesson.date` is {date!r}, not an ISO date YYYY-MM-DD"
    if problem:
        raise LessonError(
            path, _header_line(text, "date:"), problem, 'write it quoted, e.g. date: "2026-02-03"'
        )
    return date


def _check_summary(path: Path, text: str, summary) -> tuple[str, ...]:
    if not isinstance(summary, list) or not all(isinstance(s, str) for s in summary):
        raise LessonError(
            path,
            _header_line(text, "summary:"),
            "`lesson.summary` is not a list of lines",
            'write one `- "topic"` line per topic under summary:',
        )
    return tuple(s.strip() for s in summary)


def _check_changes(path: Path, text: str, changes) -> str:
    """The optional change note: one line of text (the site shows it above the diff)."""
    if changes is None:
        return ""
    if not isinstance(changes, str) or "\n" in changes.strip():
        raise LessonError(
            path,
            _header_line(text, "changes:"),
            f"`lesson.changes` is {changes!r}, not one line of text",
            'write it quoted on one line, e.g. changes: "Fixed the broadcasting example"',
        )
    return changes.strip()


def _header_line(text: str, key: str) -> int:
    """The line of `key` in the YAML header, or 1 when it is not there."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip("# ").startswith(key):
            return number
        if number > 1 and line.strip() == "# ---":
            break
    return 1


def _cell_line_ranges(path: Path, text: str, cell_count: int) -> list[tuple[int, int]]:
    """1-based line ranges of the cells, found from the `# %%` markers."""
    lines = text.splitlines()
    body_start = header_end(lines)
    starts = [i + 1 for i, line in enumerate(lines) if i >= body_start and CELL_MARKER.match(line)]
    if not starts and cell_count:
        raise LessonError(
            path,
            body_start + 1,
            "no `# %%` cell markers: this is not a Jupytext percent script (a light-format "
            "script, or plain Python?)",
            f"convert it in place with `.venv/bin/jupytext --to py:percent {shown(path)}`",
        )
    if len(starts) < cell_count:
        # Text before the first marker is a cell of its own.
        starts.insert(0, body_start + 1)
    if len(starts) != cell_count:
        raise LessonError(
            path,
            body_start + 1,
            f"jupytext reads {cell_count} cells but the file has {len(starts)} `# %%` markers",
            "start every cell with a `# %%` line (see sources/README.md)",
        )
    ends = [start - 1 for start in starts[1:]] + [len(lines)]
    ranges = []
    for start, end in zip(starts, ends, strict=True):
        while end > start and not lines[end - 1].strip():
            end -= 1  # blank lines between cells belong to neither
        ranges.append((start, end))
    return ranges


def header_end(lines: list[str]) -> int:
    """How many lines the `# ---` ... `# ---` header at the top takes; 0 when there is none."""
    if not lines or lines[0].strip() != "# ---":
        return 0
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "# ---":
            return index + 1
    return 0


def _check_no_magics(lesson: Lesson) -> None:
    for index, cell in enumerate(lesson.notebook.cells):
        if cell.cell_type != "code":
            continue
        for offset, line in enumerate(cell.source.splitlines()):
            if MAGIC_LINE.match(line):
                first, _ = lesson.cell_lines[index]
                raise LessonError(
                    lesson.info.path,
                    first + 1 + offset,
                    f"IPython magic or shell command `{line.strip()}`",
                    "lessons are plain Python; remove it (dependencies go in pyproject.toml)",
                )
