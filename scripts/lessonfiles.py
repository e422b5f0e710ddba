"""Files beside a lesson that its code reads: a CSV in sources/data/, say.

Jupyter, VS Code and Colab run a notebook in its own folder, so a notebook opens
`data/points.csv` by that path. A lesson runs the same way everywhere the build runs it (the
build's kernels, `make run`, `make test`): in a temporary folder that holds a link to each
entry of the lesson's folder (`link_lesson_folder`). The path resolves, read-only (the course
is read-only to a lesson, scripts/sandbox.py), and what the lesson writes stays in the
temporary folder. Python files are not linked: a lesson never imports a helper module.

What the code reads changes its outputs, so the execution cache and the manifest must see a
changed file. Which files a lesson reads is known only by running it; the build takes the
paths its code spells out (`named_files`): each string literal that names a file or a folder
beside the lesson (`"data/points.csv"`, `Path("data")`) adds that file, or each file in that
folder.
"""

from __future__ import annotations

import ast
import hashlib
import os
from pathlib import Path

MAX_FILES_PER_FOLDER = 200  # a folder named in the code: the files hashed for the cache, at most


def link_lesson_folder(run_dir: Path, folder: Path) -> None:
    """Link each entry of the lesson's folder into the folder the lesson runs in."""
    for entry in _linked_entries(folder):
        link = run_dir / entry.name
        if not link.exists() and not link.is_symlink():
            link.symlink_to(entry, target_is_directory=entry.is_dir())


def named_files(notebook, folder: Path) -> dict[str, str]:
    """The files beside the lesson its code names, by path from its folder, with their hashes."""
    found: dict[str, str] = {}
    base = folder.resolve()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for literal in _string_literals(cell.source):
            for path in _files_named(base, literal):
                relative = path.relative_to(base).as_posix()
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(found.items()))


def _linked_entries(folder: Path) -> list[Path]:
    """Everything but hidden entries and Python: no file or folder (a package, even one
    without `__init__.py`) that the lesson could import."""
    return [
        entry
        for entry in sorted(folder.iterdir())
        if not entry.name.startswith((".", "__pycache__"))
        and entry.suffix != ".py"
        and not (entry.is_dir() and any(entry.glob("*.py")))
    ]


def _string_literals(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # the build reports it where it runs the cell
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _files_named(base: Path, literal: str) -> list[Path]:
    """The file `literal` names in the lesson's folder `base` (resolved), or the files of the
    folder it names."""
    text = literal.strip()
    if not text or len(text) > 255 or "\n" in text or "\0" in text or os.path.isabs(text):
        return []
    try:
        # Most literals name nothing (messages, dtypes): one stat says so, before resolve()'s
        # stat of every part of the path.
        path = (base / text).resolve() if (base / text).exists() else None
    except (OSError, RuntimeError):
        return []
    if path is None:
        return []
    if path == base or not path.is_relative_to(base) or path.suffix == ".py":
        return []
    if path.is_file():
        return [path]
    if path.is_dir():
        files = [f for f in sorted(path.rglob("*")) if f.is_file() and not _hidden(f, base)]
        return files[:MAX_FILES_PER_FOLDER]
    return []


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith((".", "__pycache__")) for part in path.relative_to(base).parts)
