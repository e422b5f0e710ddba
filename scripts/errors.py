"""The build's user errors: one small hierarchy, turned into one line at the top (cli.main).

A `CourseError` is something the user can fix: its text is `where: what went wrong; what to
do`, with `where` a file and line only when there is one. Anything else that escapes a
command is a bug in the build and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class CourseError(Exception):
    """A problem the user can fix, reported as `where: problem; fix`."""

    def __init__(self, where: str, problem: str, fix: str):
        super().__init__(f"{where}: {problem}; {fix}")
        self.where, self.problem, self.fix = where, problem, fix


class CourseErrors(CourseError):
    """Several problems found at once, each still its own line."""

    def __init__(self, errors: list[CourseError]):
        first = errors[0]
        super().__init__(first.where, first.problem, first.fix)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class SettingError(CourseError):
    """A bad setting: an environment variable or a command-line value."""

    def __init__(self, name: str, problem: str, fix: str):
        super().__init__(name, problem, fix)


def shown(path: Path) -> str:
    """A course file as authors see it: `sources/NN_slug.py`, wherever the course lives."""
    return f"sources/{path.name}" if path.parent.name == "sources" else str(path)
