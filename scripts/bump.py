"""`make bump LESSON=NN`: raise a lesson's version and date, editing only those header lines."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from .archive import archived_versions, version_tuple
from .config import CourseConfig
from .course import refresh_readme
from .files import write_atomic
from .lesson import read_lesson
from .lessons import Lessons

VERSION_LINE = re.compile(r'^(#\s+version:\s*)"(\d+)\.(\d+)"(.*)$')
DATE_LINE = re.compile(r'^(#\s+date:\s*)"[^"]*"(.*)$')


def next_version(version: str, part: str) -> str:
    """1.2 → 1.3 (minor) or 2.0 (major)."""
    major, minor = (int(n) for n in version.split("."))
    return f"{major + 1}.0" if part == "major" else f"{major}.{minor + 1}"


def bump_text(text: str, part: str, today: str, above: str = "0.0") -> tuple[str, str, str]:
    """The source with its header's version raised and date set; also old and new version.

    The new version is the next one after the header's version or `above` (the newest
    archived one), whichever is higher: a bump always gets past legacy/.
    """
    lines = text.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "# ---")
    old = new = ""
    for index in range(1, end):
        version = VERSION_LINE.match(lines[index].rstrip("\n"))
        date = DATE_LINE.match(lines[index].rstrip("\n"))
        if version:
            old = f"{version.group(2)}.{version.group(3)}"
            new = next_version(max(old, above, key=version_tuple), part)
            lines[index] = f'{version.group(1)}"{new}"{version.group(4)}\n'
        elif date:
            lines[index] = f'{date.group(1)}"{today}"{date.group(2)}\n'
    return "".join(lines), old, new


def bump_lesson(
    root: Path, config: CourseConfig, which: str, part: str, today: str | None = None
) -> int:
    """Bump the lesson whose number (or file) is `which`; then the README table follows."""
    lessons = Lessons.find(root)
    path = lessons.select([which])[0]
    if path in lessons.problems:
        raise lessons.problems[path]
    info = read_lesson(path).info  # refuse to bump a lesson whose header is already broken
    archived = archived_versions(root, info.name)
    day = today or datetime.date.today().isoformat()
    text, old, new = bump_text(path.read_text(encoding="utf-8"), part, day, *archived[-1:])
    write_atomic(path, text)
    print(f"{path.relative_to(root)}: version {old} → {new}, date {day}")
    note = refresh_readme(root, config, lessons)  # make test checks the table
    if note:
        print(note)
    return 0
