"""The build tool's fingerprint: its own code and the packages it builds with.

A lesson built by other code is built again (scripts/archive.py), and a warm build process
runs only builds of its own code (scripts/buildserver.py). Kept apart from the archive so that
`course build`'s first step, which names the warm process by it, imports nothing more.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tomllib
from pathlib import Path

TOOL_PACKAGE = Path(__file__).resolve().parent  # scripts/: the build tool's own code


@functools.cache  # taken once, at the start of a build: edits during a build count next time
def tool_fingerprint() -> str:
    """A hash of the build tool and the packages it builds with: a change rebuilds every lesson.

    Only the build's own pins count (`[project] dependencies`, package-lock.json): upgrading
    a dev tool such as ruff or pytest rebuilds nothing.
    """
    digest = hashlib.sha256()
    files = sorted(
        p for p in TOOL_PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    for path in files + [TOOL_PACKAGE.parent / "package-lock.json"]:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(json.dumps(_build_pins()).encode())
    return digest.hexdigest()


def _build_pins() -> list[str]:
    try:
        with open(TOOL_PACKAGE.parent / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return []
