"""`make new TITLE="..."`: start the next lesson from a skeleton that passes the lint and runs."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from pathlib import Path

from .config import CourseConfig
from .course import refresh_readme
from .errors import CourseError, SettingError
from .files import write_atomic
from .lesson import LessonError, shown
from .lessons import Lessons

TEMPLATE = Path(__file__).resolve().parent / "templates" / "new_lesson.py.tmpl"
SLUG_WORDS = 5  # file names stay readable in a terminal listing
DANGLING_WORDS = {"a", "an", "and", "the", "of", "to", "from", "with", "in", "on", "for", "or"}
PLACEHOLDER_SUMMARY = [
    "Replace these lines: one short line per topic",
    "They appear on the title slide, the handout cover and the course page",
]


def command_new(root: Path, config: CourseConfig, title: str) -> int:
    """Create sources/NN_slug.py for `title`; say where it is, or why not."""
    path = create_lesson(root / "sources", title, datetime.date.today())
    print(f"created {shown(path)}; edit it, and `make watch` shows each save in the browser")
    note = refresh_readme(root, config, Lessons.find(root))  # list it in the README table
    if note:
        print(note)
    return 0


def create_lesson(sources: Path, title: str, today: datetime.date) -> Path:
    """Write the skeleton lesson as the next number; never overwrite an existing lesson."""
    title = " ".join(title.split())
    slug = slugify(title)
    if not slug:
        raise SettingError(
            "TITLE",
            f"the title {title!r} has no letters or digits to name the file after"
            if title
            else "the title is empty",
            'give a title, e.g. make new TITLE="Loss Functions"',
        )
    same_name = sorted(sources.glob(f"[0-9][0-9]_{slug}.py"))
    if same_name:
        raise LessonError(
            same_name[0],
            1,
            "a lesson with this name already exists",
            "edit that lesson, or choose another title",
        )
    path = sources / f"{next_number(sources):02d}_{slug}.py"
    write_atomic(path, render(title, today))
    return path


def slugify(title: str) -> str:
    """`Über: Loss Functions, Part 2` → `uber_loss_functions_part_2` (ASCII, at most 5 words)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())[:SLUG_WORDS]
    while len(words) > 1 and words[-1] in DANGLING_WORDS:
        words.pop()  # "linear_regression_from" reads as cut off
    return "_".join(words)


def next_number(sources: Path) -> int:
    """One more than the highest lesson number in `sources/` (1 for an empty course)."""
    numbers = [int(p.name[:2]) for p in sources.glob("[0-9][0-9]_*.py")]
    number = max(numbers, default=0) + 1
    if number > 99:
        raise CourseError(
            "sources/", "lesson numbers are two digits and 99 is taken", "renumber the course"
        )
    return number


def render(title: str, today: datetime.date) -> str:
    """The skeleton's text with its header filled in."""
    text = TEMPLATE.read_text(encoding="utf-8")
    return text.replace("{{ header }}", lesson_header(title, today, PLACEHOLDER_SUMMARY))


def lesson_header(title: str, today: datetime.date, summary: list[str]) -> str:
    """A lesson's header, version 1.0 of `today`, as sources/README.md shows it."""
    lines = [
        "# ---",
        "# jupyter:",
        "#   jupytext:",
        "#     formats: py:percent",
        "#     notebook_metadata_filter: lesson",
        "#     text_representation: {extension: .py, format_name: percent}",
        "#   kernelspec: {name: python3, display_name: Python 3, language: python}",
        "#   lesson:",
        f"#     title: {_quoted(title)}",
        '#     version: "1.0"',
        f'#     date: "{today.isoformat()}"',
        "#     summary:",
        *[f"#       - {_quoted(line)}" for line in summary],
        "# ---",
    ]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML string
