"""`make bump LESSON=NN`: raise a lesson's version and date, editing only those header lines."""

from __future__ import annotations

import datetime
import re
import sys
from pathlib import Path

from .files import write_atomic
from .lesson import LessonError, find_lessons, read_lesson

VERSION_LINE = re.compile(r'^(#\s+version:\s*)"(\d+)\.(\d+)"(.*)$')
DATE_LINE = re.compile(r'^(#\s+date:\s*)"[^"]*"(.*)$')


def next_version(version: str, part: str) -> str:
    """1.2 → 1.3 (minor) or 2.0 (major)."""
    major, minor = (int(n) for n in version.split("."))
    return f"{major + 1}.0" if part == "major" else f"{major}.{minor + 1}"


def bump_text(text: str, part: str, today: str) -> tuple[str, str, str]:
    """The source with its header's version raised and date set; also old and new version."""
    lines = text.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "# ---")
    old = new = ""
    for index in range(1, end):
        version = VERSION_LINE.match(lines[index].rstrip("\n"))
        date = DATE_LINE.match(lines[index].rstrip("\n"))
        if version:
            old = f"{version.group(2)}.{version.group(3)}"
            new = next_version(old, part)
            lines[index] = f'{version.group(1)}"{new}"{version.group(4)}\n'
        elif date:
            lines[index] = f'{date.group(1)}"{today}"{date.group(2)}\n'
    return "".join(lines), old, new


def bump_lesson(root: Path, which: str, part: str, today: str | None = None) -> int:
    """Bump the lesson whose number (or file) is `which`; print what changed."""
    path = _find(root, which)
    if path is None:
        print(
            f"sources/:1: no lesson numbered {which!r}; use LESSON=NN (e.g. LESSON=02)",
            file=sys.stderr,
        )
        return 1
    try:
        read_lesson(path)  # refuse to bump a lesson whose header is already broken
    except LessonError as error:
        print(error, file=sys.stderr)
        return 1
    day = today or datetime.date.today().isoformat()
    text, old, new = bump_text(path.read_text(encoding="utf-8"), part, day)
    write_atomic(path, text)
    print(f"{path.relative_to(root)}: version {old} → {new}, date {day}")
    return 0


def _find(root: Path, which: str) -> Path | None:
    key = Path(which).stem[:2]
    matches = [p for p in find_lessons(root / "sources") if p.name[:2] == key]
    return matches[0] if matches else None
