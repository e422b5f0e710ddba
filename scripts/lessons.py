"""The course's lesson files, found, ordered and checked once for every command.

Each command (build, lint, readme, bump, run) starts from `Lessons.find(root)`: the files in
`sources/` in course order, and the ones that cannot be lessons as they stand (a number used
twice, a notebook dropped in), each with its one-line error. Reading a lesson's content is
lesson.py's job; this module only looks at the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import CourseError, CourseErrors, shown


@dataclass(frozen=True)
class Lessons:
    """Every `sources/*.py` in course order, and the files' problems (path → one line)."""

    sources: Path
    paths: tuple[Path, ...]
    problems: dict[Path, CourseError] = field(default_factory=dict)

    @classmethod
    def find(cls, root: Path) -> Lessons:
        sources = root / "sources"
        paths = tuple(sorted(sources.glob("*.py")))
        problems = {**_duplicate_numbers(paths), **_notebooks(sources)}
        return cls(sources, paths, problems)

    def buildable(self) -> list[Path]:
        """The lesson files without a problem of their own."""
        return [p for p in self.paths if p not in self.problems]

    def select(self, names: list[str]) -> list[Path]:
        """The files named by NN, NN_slug or path (all when none); an unknown name is an error."""
        if not names:
            return list(self.paths)
        chosen: list[Path] = []
        for name in names:
            matches = [p for p in self.paths if _names(p, name)]
            if not matches:
                known = ", ".join(p.stem[:2] for p in self.paths) or "none yet"
                raise CourseError(
                    "sources/",
                    f"no lesson {name!r}",
                    f"name one by number, NN_slug or path (lessons: {known})",
                )
            chosen += [m for m in matches if m not in chosen]
        return chosen

    def check(self) -> None:
        """Raise every problem at once (for commands that need the whole course sound)."""
        if self.problems:
            raise CourseErrors(list(self.problems.values()))


def _names(path: Path, name: str) -> bool:
    given = Path(name)
    if given.suffix == ".py":
        return given.name == path.name
    return name in (path.stem, path.stem[:2])


def _duplicate_numbers(paths: tuple[Path, ...]) -> dict[Path, CourseError]:
    """Each file whose NN another file also uses, with a line naming all the others."""
    by_number: dict[str, list[Path]] = {}
    for path in paths:
        if path.name[:2].isdigit():
            by_number.setdefault(path.name[:2], []).append(path)
    problems = {}
    for number, group in by_number.items():
        if len(group) < 2:
            continue
        for path in group:
            others = ", ".join(shown(p) for p in group if p != path)
            problems[path] = CourseError(
                f"{shown(path)}:1",
                f"lesson number {number} is also used by {others}",
                "give each lesson its own two-digit number",
            )
    return problems


def _notebooks(sources: Path) -> dict[Path, CourseError]:
    """A notebook in sources/ is not a lesson until it is converted: say how."""
    return {
        path: CourseError(
            f"{shown(path)}:1",
            "a notebook is not a lesson source",
            f"make it a lesson with `make adopt NOTEBOOK={shown(path)}` (header, images and "
            "data included), then delete the .ipynb",
        )
        for path in sorted(sources.glob("*.ipynb"))
    }
