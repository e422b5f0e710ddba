"""The course's own facts, `[tool.course]` in pyproject.toml, read and checked once.

The command line loads a `CourseConfig` once and passes it down; no stage reads
pyproject.toml, the environment or a literal course name by itself. Every key is optional:

    [tool.course]
    title = "PyTorch Fundamentals"
    subtitle = "From tensors to autograd"
    authors = ["Ada Lovelace", "Alan Turing"]
    institution = "University of Somewhere"
    logo = "docs/logo.svg"               # relative to the course folder; SVG or PNG
    licence = "CC BY 4.0"
    language = "en"                      # BCP 47: the decks', handouts' and pages' language
    repository = "https://github.com/org/course"
    base_url = "https://org.github.io/course/"

    [tool.course.colours]
    accent = "#1d5fa7"                   # links, buttons, numbers
    heading = "#0b2e59"                  # headings in handouts and on the course page

A wrong key or a value of the wrong kind is one error naming pyproject.toml, its line and
the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import CourseError

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
URL = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class Colours:
    """The theme's two colours: accents (links, buttons) and headings."""

    accent: str = "#1d5fa7"
    heading: str = "#0b2e59"


@dataclass(frozen=True)
class CourseConfig:
    """Who made the course and how it presents itself; the same in every artifact."""

    title: str = "Course materials"
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    institution: str = ""
    logo: Path | None = None
    licence: str = ""
    language: str = "en"
    repository: str = ""
    base_url: str = ""
    colours: Colours = field(default_factory=Colours)

    @property
    def author(self) -> str:
        """The authors as one line: "A", "A and B", "A, B and C"."""
        if len(self.authors) < 2:
            return "".join(self.authors)
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]


TEXT_KEYS = ("title", "subtitle", "institution", "licence", "language", "repository", "base_url")
KEYS = (*TEXT_KEYS, "authors", "author", "logo", "colours")


def load_config(root: Path) -> CourseConfig:
    """`[tool.course]` of the course's pyproject.toml (defaults where it says nothing)."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return CourseConfig()
    text = path.read_text(encoding="utf-8")
    try:
        table = tomllib.loads(text).get("tool", {}).get("course", {})
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _line_of_message(str(error))
        raise CourseError(f"pyproject.toml:{line}", f"not valid TOML ({error})", "fix it") from None
    return _parse(table, _Where(text), root)


class _Where:
    """Lines of `tool.course` keys in pyproject.toml, for messages."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def __call__(self, key: str) -> str:
        section = "[tool.course.colours]" if key.startswith("colours.") else "[tool.course]"
        name = key.rsplit(".", 1)[-1]
        inside = False
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                inside = stripped == section
            elif inside and re.match(rf"{re.escape(name)}\s*=", stripped):
                return f"pyproject.toml:{number}"
        return "pyproject.toml:1"


def _parse(table: dict, where: _Where, root: Path) -> CourseConfig:
    for key in table:
        if key not in KEYS:
            raise _error(where, key, f"unknown key `tool.course.{key}`", f"use one of {_known()}")
    values: dict = {key: _text(table, key, where) for key in TEXT_KEYS if key in table}
    values["authors"] = _authors(table, where)
    if "logo" in table:
        values["logo"] = _logo(table["logo"], where, root)
    if "colours" in table:
        values["colours"] = _colours(table["colours"], where)
    _check_formats(values, where)
    return CourseConfig(**values)


def _text(table: dict, key: str, where: _Where) -> str:
    value = table[key]
    if not isinstance(value, str):
        raise _error(where, key, f"`tool.course.{key}` is {value!r}, not text", 'quote it: "..."')
    return value.strip()


def _authors(table: dict, where: _Where) -> tuple[str, ...]:
    if "author" in table and "authors" in table:
        raise _error(where, "author", "both `author` and `authors` are set", "keep `authors`")
    if "author" in table:
        return (_text(table, "author", where),)
    authors = table.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise _error(
            where, "authors", f"`tool.course.authors` is {authors!r}", 'write ["Name", ...]'
        )
    return tuple(a.strip() for a in authors)


def _logo(value, where: _Where, root: Path) -> Path:
    if not isinstance(value, str) or Path(value).suffix.lower() not in (".svg", ".png"):
        raise _error(where, "logo", f"`tool.course.logo` is {value!r}", "name an .svg or .png file")
    path = (root / value).resolve()
    if not path.is_file():
        raise _error(where, "logo", f"the logo {value} does not exist", "fix the path")
    return path


def _colours(value, where: _Where) -> Colours:
    if not isinstance(value, dict):
        raise _error(where, "colours", "`tool.course.colours` is not a table", "see the README")
    known = {f.name for f in fields(Colours)}
    for key, colour in value.items():
        name = f"colours.{key}"
        if key not in known:
            raise _error(where, name, f"unknown colour `{key}`", f"use {', '.join(sorted(known))}")
        if not isinstance(colour, str) or not HEX_COLOUR.match(colour):
            raise _error(where, name, f"colour `{key}` is {colour!r}", 'write "#rrggbb"')
    return Colours(**value)


def _check_formats(values: dict, where: _Where) -> None:
    if "language" in values and not LANGUAGE.match(values["language"]):
        raise _error(where, "language", f"{values['language']!r} is not a language tag", "e.g. en")
    for key in ("repository", "base_url"):
        if values.get(key) and not URL.match(values[key]):
            raise _error(where, key, f"`{key}` {values[key]!r} is not an http(s) URL", "fix it")


def _error(where: _Where, key: str, problem: str, fix: str) -> CourseError:
    return CourseError(where(key), problem, fix)


def _known() -> str:
    return ", ".join(KEYS)


def _line_of_message(message: str) -> int:
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else 1
