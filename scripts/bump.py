"""`make bump LESSON=NN`: raise a lesson's version and date, editing only those header lines."""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path

from .archive import archived_versions, version_tuple
from .config import CourseConfig
from .course import refresh_readme
from .errors import SettingError
from .files import write_atomic
from .lesson import read_lesson
from .lessons import Lessons

VERSION_LINE = re.compile(r'^(#\s+version:\s*)"(\d+)\.(\d+)"(.*)$')
DATE_LINE = re.compile(r'^(#\s+date:\s*)"[^"]*"(.*)$')
CHANGES_LINE = re.compile(r"^#\s+changes:")


def next_version(version: str, part: str) -> str:
    """1.2 → 1.3 (minor) or 2.0 (major)."""
    major, minor = (int(n) for n in version.split("."))
    return f"{major + 1}.0" if part == "major" else f"{major}.{minor + 1}"


def bump_text(
    text: str, part: str, today: str, above: str = "0.0", changes: str = ""
) -> tuple[str, str, str]:
    """The source with its header's version raised and date set; also old and new version.

    The new version is the next one after the header's version or `above` (the newest
    archived one), whichever is higher: a bump always gets past legacy/. The `changes` note
    goes on the line after the date; the outgoing version's note is dropped (it described
    the outgoing version, and stays in that version's archived source).
    """
    lines = text.splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "# ---")
    old = new = ""
    bumped = []
    for index in range(end + 1):
        line = lines[index]
        version = VERSION_LINE.match(line.rstrip("\n")) if 0 < index < end else None
        date = DATE_LINE.match(line.rstrip("\n")) if 0 < index < end else None
        if version:
            old = f"{version.group(2)}.{version.group(3)}"
            new = next_version(max(old, above, key=version_tuple), part)
            line = f'{version.group(1)}"{new}"{version.group(4)}\n'
        elif date:
            line = f'{date.group(1)}"{today}"{date.group(2)}\n'
        elif 0 < index < end and CHANGES_LINE.match(line):
            continue
        bumped.append(line)
        if date and changes:
            indent = line[: len(line) - len(line.lstrip("# "))]
            # JSON's quoted string is a YAML double-quoted scalar: quotes and colons are safe.
            bumped.append(f"{indent}changes: {json.dumps(changes, ensure_ascii=False)}\n")
    return "".join(bumped + lines[end + 1 :]), old, new


def bump_lesson(
    root: Path,
    config: CourseConfig,
    which: str,
    part: str,
    today: str | None = None,
    changes: str | None = None,
) -> int:
    """Bump the lesson whose number (or file) is `which`; then the README table follows.

    `changes` is the one-line note on what the new version changes; when it is not given
    and someone is at the terminal, they are asked for it (Enter skips).
    """
    lessons = Lessons.find(root)
    path = lessons.select([which])[0]
    if path in lessons.problems:
        raise lessons.problems[path]
    info = read_lesson(path).info  # refuse to bump a lesson whose header is already broken
    archived = archived_versions(root, info.name)
    day = today or datetime.date.today().isoformat()
    note = _change_note(changes)
    above = archived[-1] if archived else "0.0"
    text, old, new = bump_text(path.read_text(encoding="utf-8"), part, day, above, note)
    write_atomic(path, text)
    noted = f", changes: {note}" if note else ""
    print(f"{path.relative_to(root)}: version {old} → {new}, date {day}{noted}")
    readme = refresh_readme(root, config, lessons)  # make test checks the table
    if readme:
        print(readme)
    return 0


def _change_note(given: str | None) -> str:
    """The change note: as given, asked for at a terminal, or none; always one line."""
    if given is None and sys.stdin.isatty() and sys.stdout.isatty():  # a person, not a pipe
        given = input("What changed in this version (one line, Enter to skip)? ")
    note = (given or "").strip()
    if "\n" in note or "\r" in note:
        raise SettingError(
            "--changes", "the change note has more than one line", "write it on one line"
        )
    return note
