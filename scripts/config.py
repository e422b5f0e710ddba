"""The course's settings: `[tool.course]` in the course's pyproject.toml, read once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CourseConfig:
    """What the outputs say about the course as a whole (the title slide, for one)."""

    title: str = "PyTorch Fundamentals"
    subtitle: str = ""
    author: str = ""


def load_config(root: Path) -> CourseConfig:
    """`[tool.course]` from root/pyproject.toml; the defaults where the file or table is absent."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return CourseConfig()
    with path.open("rb") as file:
        table = tomllib.load(file).get("tool", {}).get("course", {})
    known = CourseConfig.__dataclass_fields__
    return CourseConfig(**{key: str(value) for key, value in table.items() if key in known})
